"""``GitHubServer``: a GitHub REST + git smart-HTTP server on loopback, for tests.

PyGithub talks to it unchanged through ``base_url``; git clones and pushes through
``git_url``. A test sets the scene (accounts, repositories, commits, protection, statuses)
through this class, arms faults through ``server.faults``, and reads back what clients did
(``requests``, ``write_requests()``, ``git_pushes``, ``pulls()``, ``comments()``).
"""

from __future__ import annotations

import secrets
import shutil
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.github_server import gitstore, pulls
from tests.github_server.api import RestApi
from tests.github_server.dispatch import Dispatcher
from tests.github_server.faults import Faults
from tests.github_server.githttp import GitHttp, RefUpdate, install_hooks
from tests.github_server.handler import HttpServer
from tests.github_server.ratelimit import RateLimits
from tests.github_server.records import RequestLog, RequestRecord
from tests.github_server.schemas import Violation, book
from tests.github_server.state import (
    BOT_LOGIN,
    App,
    CheckRun,
    CommitStatus,
    Issue,
    Repository,
    State,
    Team,
    Token,
    now,
)
from tests.github_server.urls import API_PREFIX, GRAPHQL_PATH, Urls


class GitHubServer:
    """See the module docstring; ``with GitHubServer(tmp_path) as server:`` starts and stops it."""

    def __init__(self, root: Path, *, token: str | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.state = State()
        self.limits = RateLimits()
        self.log = RequestLog()
        self.faults = Faults(self.limits, self._revoke, self._delete_repo)
        self.git_pushes: list[tuple[str, str, list[str]]] = []
        self._token = token or "ghp_" + secrets.token_hex(18)
        self.login = BOT_LOGIN
        self.state.add_account(BOT_LOGIN, "User")
        self.state.tokens[self._token] = Token(self._token, BOT_LOGIN)
        self._http: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._api: RestApi | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> GitHubServer:
        self._http = HttpServer()
        urls = Urls(f"http://127.0.0.1:{self._http.port}")
        self._api = RestApi(self.state, urls, self.limits, self.faults, book())
        git = GitHttp(self.root, self.state, self.faults.push_rejected, self._pushed)
        self._http.dispatcher = Dispatcher(self._api, git, self.faults, self.log)
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> GitHubServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses and credentials -----------------------------------------------------

    @property
    def urls(self) -> Urls:
        assert self._api is not None, "start() the server first"
        return self._api.urls

    @property
    def web_url(self) -> str:
        return self.urls.root

    @property
    def base_url(self) -> str:
        return self.urls.root + API_PREFIX

    @property
    def graphql_url(self) -> str:
        return self.urls.root + GRAPHQL_PATH

    def git_url(self, owner: str, name: str) -> str:
        return self.urls.git(f"{owner}/{name}")

    @property
    def token(self) -> str:
        return self._token

    def add_token(self, token: str, login: str | None = None) -> None:
        """Another valid token, for ``login`` (default: the bot account ``server.login``)."""
        with self.state.lock:
            account = self.state.add_account(login or BOT_LOGIN, "User")
            self.state.tokens[token] = Token(token, account.login)

    def add_org(self, login: str) -> None:
        self.state.add_account(login, "Organization")

    def add_user(self, login: str) -> None:
        self.state.add_account(login, "User")

    def add_team(self, org: str, slug: str) -> None:
        """A team of ``org`` that reviews can be requested from."""
        with self.state.lock:
            self.add_org(org)
            self.state.teams[(org.lower(), slug.lower())] = Team(
                org, slug.lower(), self.state.next_id()
            )

    def add_app(self, app_id: int, installation_id: int, *, slug: str = "fleetmod-app") -> str:
        """A GitHub App installed once; returns its private key (PEM) for PyGithub's app auth."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        with self.state.lock:
            self.state.apps[str(app_id)] = App(
                str(app_id), public, {installation_id}, f"{slug}[bot]"
            )
        return private

    # --- repositories ------------------------------------------------------------------

    def create_repo(
        self,
        owner: str,
        name: str,
        files: Mapping[str, str],
        *,
        default_branch: str = "main",
        archived: bool = False,
        fork: bool = False,
        disabled: bool = False,
        topics: Iterable[str] = (),
        private: bool = False,
        description: str | None = None,
        allow_auto_merge: bool = True,
    ) -> Path:
        """A bare repository whose default branch holds ``files`` in one commit.

        An owner not added before becomes an organisation.
        """
        with self.state.lock:
            if (owner.lower(), name.lower()) in self.state.repos:
                raise ValueError(f"{owner}/{name} exists")
            account = self.state.accounts.get(owner.lower()) or self.state.add_account(
                owner, "Organization"
            )
            path = self.root / account.login / f"{name}.git"
            gitstore.init_bare(path, default_branch)
            install_hooks(path)
            if files:
                gitstore.commit_files(
                    path,
                    default_branch,
                    files,
                    parent=None,
                    message="Initial commit",
                    author=("Dev", "dev@example.com"),
                )
            self.state.repos[(owner.lower(), name.lower())] = Repository(
                owner=account.login,
                name=name,
                id=self.state.next_id(),
                path=path,
                default_branch=default_branch,
                created_at=now(),
                private=private,
                fork=fork,
                archived=archived,
                disabled=disabled,
                allow_auto_merge=allow_auto_merge,
                description=description,
                topics=list(topics),
            )
            return path

    def repo(self, owner: str, name: str) -> Repository:
        with self.state.lock:
            found = self.state.repos.get((owner.lower(), name.lower()))
        if found is None:
            raise KeyError(f"{owner}/{name}")
        return found

    def push_commit(
        self,
        owner: str,
        name: str,
        branch: str,
        files: Mapping[str, str | None],
        *,
        author_email: str = "dev@example.com",
        author_name: str = "Dev",
        message: str = "Update files",
    ) -> str:
        """A commit of ``files`` (None deletes one) on ``branch``, as someone pushing by hand.

        A new branch starts from the default branch. Protection does not apply (an admin).
        """
        repo = self.repo(owner, name)
        with self.state.lock:
            parent = gitstore.branch_sha(repo.path, branch) or gitstore.branch_sha(
                repo.path, repo.default_branch
            )
            sha = gitstore.commit_files(
                repo.path,
                branch,
                files,
                parent=parent,
                message=message,
                author=(author_name, author_email),
            )
            repo.pushed_at = now()
            return sha

    def protect(self, owner: str, name: str, branch: str) -> None:
        """REST writes to ``branch`` get 403 and git pushes to it are declined."""
        with self.state.lock:
            self.repo(owner, name).protected.add(branch)

    def unprotect(self, owner: str, name: str, branch: str) -> None:
        with self.state.lock:
            self.repo(owner, name).protected.discard(branch)

    def branch_sha(self, owner: str, name: str, branch: str) -> str | None:
        return gitstore.branch_sha(self.repo(owner, name).path, branch)

    # --- pull requests, statuses, checks -------------------------------------------------

    def close_pr(self, owner: str, name: str, number: int, *, by: str = "someone") -> None:
        """A human closes the pull request in the web UI."""
        repo = self.repo(owner, name)
        with self.state.lock:
            self.state.add_account(by, "User")
            issue = repo.pull(number)
            if issue.state == "open":
                pulls.close(repo, issue, by)

    def merge_pr(self, owner: str, name: str, number: int, *, by: str = "someone") -> str:
        """A human merges the pull request (a merge commit on the base branch)."""
        repo = self.repo(owner, name)
        with self.state.lock:
            self.state.add_account(by, "User")
            return pulls.merge(repo, repo.pull(number), by)

    def pulls(self, owner: str, name: str) -> list[dict[str, Any]]:
        """Every pull request of the repository, by number, as plain data for assertions."""
        repo = self.repo(owner, name)
        with self.state.lock:
            return [
                _pull_facts(repo, issue) for issue in sorted(repo.pulls(), key=lambda i: i.number)
            ]

    def comments(self, owner: str, name: str, number: int) -> list[dict[str, Any]]:
        repo = self.repo(owner, name)
        with self.state.lock:
            return [
                {
                    "id": c.id,
                    "user": c.author,
                    "body": c.body,
                    "created_at": c.created_at,
                    "updated_at": c.updated_at,
                }
                for c in self.state.comments_of(repo.issue(number))
            ]

    def set_status(
        self,
        owner: str,
        name: str,
        sha: str,
        context: str,
        state: str,
        *,
        description: str | None = None,
        target_url: str | None = None,
    ) -> None:
        """A commit status (``state``: error, failure, pending or success) on ``sha`` (or a ref)."""
        repo = self.repo(owner, name)
        full = self._commit(repo, sha)
        with self.state.lock:
            stamp = now()
            entry = CommitStatus(
                self.state.next_id(), context, state, description, target_url, stamp, stamp
            )
            repo.statuses.setdefault(full, []).append(entry)

    def add_check_run(
        self,
        owner: str,
        name: str,
        sha: str,
        check_name: str,
        conclusion: str | None,
        *,
        status: str | None = None,
    ) -> None:
        """A check run on ``sha`` (or a ref); ``conclusion`` None means still in progress."""
        repo = self.repo(owner, name)
        full = self._commit(repo, sha)
        with self.state.lock:
            stamp = now()
            done = conclusion is not None
            run = CheckRun(
                self.state.next_id(),
                check_name,
                full,
                status or ("completed" if done else "in_progress"),
                conclusion,
                stamp,
                stamp if done else None,
            )
            repo.check_runs.setdefault(full, []).append(run)

    @staticmethod
    def _commit(repo: Repository, rev: str) -> str:
        sha = gitstore.resolve(repo.path, rev)
        if sha is None:
            raise KeyError(f"{repo.full_name} has no commit {rev}")
        return sha

    # --- what clients did ----------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        return self.log.all()

    def write_requests(self) -> list[RequestRecord]:
        """POST/PATCH/PUT/DELETE on the API (REST and GraphQL), not git pushes."""
        return [record for record in self.log.all() if record.is_write]

    def clear_requests(self) -> None:
        self.log.clear()

    @property
    def schema_violations(self) -> list[Violation]:
        """Responses that did not match GitHub's schemas (a test fails on any)."""
        return list(self._api.violations) if self._api else []

    @property
    def errors(self) -> list[str]:
        """Tracebacks of handlers that crashed (answered 500); a test fails on any."""
        return list(self._api.crashes) if self._api else []

    # --- fault and hook callbacks --------------------------------------------------------

    def _revoke(self, token: str | None) -> None:
        with self.state.lock:
            self.state.tokens.pop(token or self._token, None)

    def _delete_repo(self, owner: str, name: str) -> None:
        with self.state.lock:
            repo = self.state.repos.pop((owner.lower(), name.lower()), None)
        if repo is not None:
            shutil.rmtree(repo.path, ignore_errors=True)

    def _pushed(self, repo: Repository, updates: list[RefUpdate]) -> None:
        with self.state.lock:
            self.git_pushes.append((repo.owner, repo.name, [update.ref for update in updates]))
            repo.pushed_at = now()
        for update in updates:
            if update.new == gitstore.ZERO and update.ref.startswith("refs/heads/"):
                pulls.branch_deleted(self.state, repo, update.ref[len("refs/heads/") :], update.old)


def _pull_facts(repo: Repository, issue: Issue) -> dict[str, Any]:
    pr = issue.pull
    assert pr is not None
    return {
        "number": issue.number,
        "state": issue.state,
        "title": issue.title,
        "body": issue.body,
        "draft": pr.draft,
        "labels": list(issue.labels),
        "requested_reviewers": list(pr.reviewers),
        "requested_teams": list(pr.teams),
        "head": pr.head_ref,
        "base": pr.base_ref,
        "head_sha": pulls.head_sha(repo, issue),
        "merged": pr.merged_at is not None,
        "user": issue.author,
        "closed_by": issue.closed_by,
        "auto_merge": pr.auto_merge,
        "created_at": issue.created_at,
        "updated_at": issue.updated_at,
    }
