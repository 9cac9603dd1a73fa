"""The GitHub forge: pull requests on GitHub or GitHub Enterprise Server, through PyGithub.

It answers the Forge protocol as the local forge does, with as few requests as GitHub allows:
objects are lazy and only attributes a response already carried are read (so PyGithub never
"completes" one with an extra GET), a new pull request costs three writes (create, labels,
reviewers), and the campaign's rerun with nothing new costs none.

Every request goes through `bot.ratelimit` (process-wide pacing and retries); every secret
is registered with `bot.redact`, and text sent to GitHub is redacted too; git authenticates
through `git_env` only. A pull request the bot closed carries its close comment (with a
hidden marker), which is how `find_pr` knows a closed pull request was closed by the bot and
not by a person: the pulls API does not say who closed one.

Once GitHub refuses the token (401), the forge sends nothing more with it: every later call
raises `CredentialsRefused` at once, and the campaign stops instead of trying each remaining
repository with a dead token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

import requests
from github import Auth, Github, GithubException
from github.GithubObject import NotSet
from github.PullRequest import PullRequest as GhPull
from github.Repository import Repository as GhRepository

from bot import ratelimit
from bot.forges.base import (
    CredentialsRefused,
    ForgeError,
    PrRequest,
    PrState,
    PrStatus,
    PullRequest,
    Repo,
)
from bot.github_auth import (
    DEFAULT_BASE_URL,
    app_auth,
    auth_from_env,
    base_url_from_env,
    current_token,
    git_env,
    token_auth,
)
from bot.policy import GitHubScope
from bot.redact import redact

BOT = "fleetmod"
CLOSE_MARKER = "<!-- fleetmod:closed -->"
CLOSE_NOTE = "fleetmod closed this pull request."
CLOSE_WINDOW = dt.timedelta(minutes=10)  # the bot comments, then closes, within seconds
USER_AGENT = "fleetmod"
PER_PAGE = 100
STOPPING = "stopping the run, the next run resumes"


class GitHubForge:
    """Pull requests on GitHub; see the module docstring."""

    name = "github"

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        app_id: str | int | None = None,
        private_key: str | None = None,
        installation_id: int | None = None,
        web_url: str | None = None,
        auth: Auth.Auth | None = None,
        settings: ratelimit.Settings | None = None,
    ) -> None:
        if auth is None and token:
            auth = token_auth(token)
        elif auth is None and app_id is not None and private_key and installation_id is not None:
            auth = app_auth(app_id, private_key, installation_id)
        if auth is None:
            raise ForgeError("GitHub needs a token, or an app id, private key and installation")
        settings = settings or ratelimit.Settings.from_env()
        ratelimit.configure(settings)
        ratelimit.route_pygithub()
        self.base_url = base_url.rstrip("/")
        self.web_url = web_url.rstrip("/") if web_url else None
        self._auth = auth
        self._refused = ""  # why GitHub refused the token; then nothing more is sent with it
        self._gh = Github(
            auth=auth,
            base_url=self.base_url,
            user_agent=USER_AGENT,
            timeout=int(settings.timeout),
            per_page=PER_PAGE,
            retry=None,  # bot.ratelimit retries, for every verb
            seconds_between_requests=None,  # and paces, across every client
            seconds_between_writes=None,
            lazy=True,
        )

    @classmethod
    def from_env(cls, base_url: str | None = None) -> GitHubForge:
        """Credentials from the environment (see `bot.github_auth.auth_from_env`); the API
        at ``base_url``, else $FLEETMOD_GITHUB_API_URL or $GITHUB_API_URL."""
        return cls(auth=auth_from_env(), base_url=base_url or base_url_from_env())

    # Selection

    def repositories(self, scope: GitHubScope) -> list[Repo]:
        """The scope's repositories by full name: disabled ones never, archived ones and forks
        only when the scope asks for them."""
        found: dict[str, GhRepository] = {}
        with self._failures("select repositories"):
            listings = []
            if scope.org:
                listings.append(self._gh.get_organization(scope.org).get_repos())
            if scope.user:
                listings.append(self._gh.get_user(scope.user, lazy=True).get_repos(type="owner"))
            if scope.query:
                listings.append(self._gh.search_repositories(scope.query))
            for listing in listings:
                for repository in listing:
                    found.setdefault(repository.full_name.lower(), repository)
        for name in scope.repositories:
            with self._failures(f"{name}: read the repository"):
                repository = self._gh.get_repo(name).complete()
            found.setdefault(repository.full_name.lower(), repository)
        wanted = set(scope.topics)
        with self._failures("select repositories"):
            kept = [
                self._repo_of(r)
                for r in found.values()
                if not r.disabled
                and (scope.include_archived or not r.archived)
                and (scope.include_forks or not r.fork)
                and wanted <= set(r.topics or ())
            ]
        return sorted(kept, key=lambda r: r.full_name)

    def read_file(self, repo: Repo, path: str) -> str | None:
        """A text file of the default branch through the contents API; None if absent."""
        with self._failures(f"{repo.full_name}: read {path}"):
            try:
                content = self._repository(repo).get_contents(path, ref=repo.default_branch)
            except GithubException as exc:
                if exc.status == 404:
                    return None
                raise
        if isinstance(content, list):
            raise ForgeError(f"{repo.full_name}: {path} is a folder")
        try:
            return content.decoded_content.decode("utf-8")
        except UnicodeDecodeError:
            raise ForgeError(f"{repo.full_name}: {path} is not UTF-8 text") from None

    # The Forge protocol

    def git_env(self, repo: Repo) -> dict[str, str]:
        with self._failures(f"{repo.full_name}: authenticate"):
            token = current_token(self._auth)
        return git_env(repo.clone_url, token)

    def find_pr(self, repo: Repo, head_branch: str) -> PullRequest | None:
        owner = repo.full_name.split("/", 1)[0]
        with self._failures(f"{repo.full_name}: find the pull request from {head_branch}"):
            page = (
                self._repository(repo)
                .get_pulls(state="all", head=f"{owner}:{head_branch}", sort="created")
                .get_page(0)
            )
            # GitHub filters by head; a server that ignored the filter must not fool us.
            mine = [p for p in page if p.head.ref == head_branch]
            if not mine:
                return None
            return self._pull_request(repo, max(mine, key=lambda p: p.number))

    def create_pr(self, repo: Repo, request: PrRequest) -> PullRequest:
        if request.head_branch == request.base_branch:
            raise ForgeError(f"{repo.full_name}: head and base are both {request.head_branch}")
        with self._failures(f"{repo.full_name}: open a pull request"):
            try:
                pull = self._repository(repo).create_pull(
                    base=request.base_branch,
                    head=request.head_branch,
                    title=redact(request.title),
                    body=redact(request.body),
                    draft=request.draft,
                )
            except GithubException as exc:
                existing = self._opened_before(repo, request, exc)
                if existing is None:
                    raise
                return existing
            opened = self._pull_request(repo, pull)
            return self._label_and_request_reviews(repo, opened, request, pull.user.login)

    def update_pr(
        self,
        repo: Repo,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
    ) -> PullRequest:
        pull = self._repository(repo).get_pull(number)
        with self._failures(f"{repo.full_name}: update pull request #{number}"):
            if title is not None or body is not None:
                pull.edit(
                    title=NotSet if title is None else redact(title),
                    body=NotSet if body is None else redact(body),
                )
            else:
                pull.complete()
            if draft is not None and pull.draft != draft:
                # Only GraphQL changes a pull request's draft state.
                if draft:
                    pull.convert_to_draft()
                else:
                    pull.mark_ready_for_review()
            return self._pull_request(repo, pull)

    def comment(self, repo: Repo, number: int, body: str) -> None:
        with self._failures(f"{repo.full_name}: comment on #{number}"):
            self._repository(repo).get_issue(number).create_comment(redact(body))

    def close_pr(self, repo: Repo, number: int, comment: str) -> PullRequest:
        """Close with ``comment`` (and the marker that says the bot closed it); closing a
        closed pull request changes nothing; a merged one cannot be closed. A close comment
        left within CLOSE_WINDOW (by an attempt whose answer was lost) is not left again."""
        with self._failures(f"{repo.full_name}: close pull request #{number}"):
            pull = self._repository(repo).get_pull(number).complete()
            current = self._pull_request(repo, pull)
            if current.state is PrState.MERGED:
                raise ForgeError(f"{repo.full_name} #{number} is merged; it cannot be closed")
            if current.state is PrState.CLOSED:
                return current
            now = dt.datetime.now(dt.timezone.utc)
            if not any(now - left <= CLOSE_WINDOW for left in self._close_comments(repo, pull)):
                note = redact(comment.strip() or CLOSE_NOTE)
                issue = self._repository(repo).get_issue(number)
                issue.create_comment(f"{note}\n\n{CLOSE_MARKER}")
            pull.edit(state="closed")
            return replace(_plain(repo, pull), closed_by=BOT)

    def enable_automerge(self, repo: Repo, number: int) -> None:
        """GitHub merges once the branch rules are met (GraphQL; the repository must allow
        auto-merge)."""
        with self._failures(f"{repo.full_name}: enable auto-merge on #{number}"):
            self._repository(repo).get_pull(number).complete().enable_automerge()

    def status(self, repo: Repo, number: int) -> PrStatus:
        """State and mergeability, then every commit status and check run of the head."""
        with self._failures(f"{repo.full_name}: read the status of #{number}"):
            pull = self._repository(repo).get_pull(number).complete()
            pr = self._pull_request(repo, pull)
            commit = self._repository(repo).get_commit(pr.head_sha)
            checks = {s.context: s.state for s in commit.get_combined_status().statuses}
            for run in commit.get_check_runs():
                checks[run.name] = run.conclusion or run.status
            mergeable = pull.mergeable if pr.state is PrState.OPEN else None
        return PrStatus(pr=pr, mergeable=mergeable, checks=checks)

    # Plumbing

    @contextmanager
    def _failures(self, action: str) -> Iterator[None]:
        """PyGithub's and the network's exceptions as one safe line: `<action>: <what
        happened>`. A 401 is CredentialsRefused, and after it nothing more is sent."""
        if self._refused:
            raise CredentialsRefused(f"{action}: not sent: {self._refused}; {STOPPING}")
        try:
            yield
        except GithubException as exc:
            message = _message(exc)
            what = f"GitHub answered {exc.status}" + (f": {message}" if message else "")
            if exc.status == 401:
                self._refused = redact(f"GitHub refused the token ({exc.status} {message})")
                raise CredentialsRefused(redact(f"{action}: {what}; {STOPPING}")) from None
            raise ForgeError(redact(f"{action}: {what}")) from None
        except ratelimit.AnswerLost as exc:
            raise ratelimit.AnswerLost(f"{action}: {exc}") from None
        except requests.RequestException as exc:
            raise ForgeError(redact(f"{action}: {type(exc).__name__}: {exc}")) from None

    def _repository(self, repo: Repo) -> GhRepository:
        """A lazy repository object: building it sends nothing."""
        return self._gh.get_repo(repo.full_name)

    def _repo_of(self, repository: GhRepository) -> Repo:
        web = f"{self.web_url}/{repository.full_name}" if self.web_url else repository.html_url
        return Repo(
            full_name=repository.full_name,
            clone_url=repository.clone_url,
            default_branch=repository.default_branch,
            archived=bool(repository.archived),
            fork=bool(repository.fork),
            web_url=web,
        )

    def _opened_before(
        self, repo: Repo, request: PrRequest, exc: GithubException
    ) -> PullRequest | None:
        """The open pull request a duplicate refusal (422) is about, when it is this very
        request (an attempt whose answer was lost opened it): its labels and reviewers are
        completed. Another pull request open from the branch is an error, as on every forge."""
        if exc.status != 422 or "already exists" not in _message(exc):
            return None
        existing = self.find_pr(repo, request.head_branch)
        if existing is None or existing.state is not PrState.OPEN:
            return None
        if (existing.title, existing.body) != (redact(request.title), redact(request.body)):
            raise ForgeError(
                f"{repo.full_name}: pull request #{existing.number} is already open"
                f" from {request.head_branch}"
            )
        return self._label_and_request_reviews(repo, existing, request, author="")

    def _label_and_request_reviews(
        self, repo: Repo, pr: PullRequest, request: PrRequest, author: str
    ) -> PullRequest:
        """One write for the missing labels and one for the missing reviewers, if any."""
        labels = [x for x in dict.fromkeys(request.labels) if x not in pr.labels]
        users, teams = _reviewers(request.reviewers, author, repo.full_name.split("/")[0])
        users = [u for u in users if u not in pr.reviewers]
        teams = [t for t in teams if t not in pr.reviewers]
        if labels:
            self._repository(repo).get_issue(pr.number).add_to_labels(*labels)
        if users or teams:
            self._repository(repo).get_pull(pr.number).create_review_request(
                reviewers=users or NotSet, team_reviewers=[t.split("/")[1] for t in teams] or NotSet
            )
        return replace(
            pr,
            labels=(*pr.labels, *labels),
            reviewers=(*pr.reviewers, *users, *teams),
        )

    def _pull_request(self, repo: Repo, pull: GhPull) -> PullRequest:
        """The pull request as plain data; who closed a closed one is read from its comments."""
        pr = _plain(repo, pull)
        if pr.state is PrState.CLOSED:
            return replace(pr, closed_by=self._closer(repo, pull))
        return pr

    def _closer(self, repo: Repo, pull: GhPull) -> str | None:
        """BOT when the pull request's author (the bot) left its close comment just before
        it was closed; None (someone else) otherwise."""
        closed = pull.closed_at
        if closed is None:
            return None
        for left in self._close_comments(repo, pull):
            if dt.timedelta(0) <= closed - left <= CLOSE_WINDOW:
                return BOT
        return None

    def _close_comments(self, repo: Repo, pull: GhPull) -> list[dt.datetime]:
        """When the pull request's author (the bot) left a close comment on it."""
        author = pull.user.login
        return [
            comment.created_at
            for comment in self._repository(repo).get_issue(pull.number).get_comments()
            if comment.user.login == author and CLOSE_MARKER in (comment.body or "")
        ]


def _plain(repo: Repo, pull: GhPull) -> PullRequest:
    """Plain data from attributes every pulls response carries (so no completing GET)."""
    state = PrState.MERGED if pull.merged_at is not None else PrState(pull.state)
    owner = repo.full_name.split("/")[0]
    reviewers = [u.login for u in pull.requested_reviewers or ()]
    reviewers += [f"{owner}/{t.slug}" for t in pull.requested_teams or ()]
    return PullRequest(
        number=pull.number,
        title=pull.title,
        body=pull.body or "",
        state=state,
        head_branch=pull.head.ref,
        base_branch=pull.base.ref,
        head_sha=pull.head.sha,
        url=pull.html_url,
        draft=bool(pull.draft),
        labels=tuple(label.name for label in pull.labels),
        reviewers=tuple(reviewers),
        created_at=_iso(pull.created_at) or "",
        updated_at=_iso(pull.updated_at) or "",
        closed_at=_iso(pull.closed_at),
        merged_at=_iso(pull.merged_at),
    )


def _reviewers(names: Sequence[str], author: str, owner: str) -> tuple[list[str], list[str]]:
    """Users and `org/team` names from policy or CODEOWNERS entries (`@` optional); the
    author cannot review their own pull request, and an email is no GitHub login."""
    users: list[str] = []
    teams: list[str] = []
    for raw in dict.fromkeys(names):
        name = raw.removeprefix("@")
        if "/" in name:
            org, _, team = name.partition("/")
            if org.lower() == owner.lower() and team:
                teams.append(f"{owner}/{team}")
        elif "@" not in name and name and name.lower() != author.lower():
            users.append(name)
    return users, teams


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return aware.isoformat()


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    parts = [str(data.get("message") or "")]
    for error in data.get("errors") or ():
        if isinstance(error, dict) and error.get("message"):
            parts.append(str(error["message"]))
        elif isinstance(error, str):
            parts.append(error)
    return ": ".join(p for p in parts if p)
