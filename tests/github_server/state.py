"""What the test server knows beside the git repositories: accounts, tokens, issues and PRs.

Branches, refs and files are never copied here: they are read from the bare repositories,
so a ``git push`` is seen by the REST API at once. One re-entrant lock guards everything;
each API request holds it while it runs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.github_server.messages import ApiError
from tests.github_server.urls import node_id

BOT_LOGIN = "fleetmod-bot"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Account:
    login: str
    id: int
    kind: str  # "User", "Organization" or "Bot"

    @property
    def node_id(self) -> str:
        return node_id(self.kind, self.id)


@dataclass
class Token:
    value: str
    login: str
    installation: bool = False  # GitHub App installation tokens may not read /user


@dataclass
class App:
    """A GitHub App: its public key checks the JWTs it signs; its installations get tokens."""

    app_id: str
    public_key: str
    installations: set[int]
    bot_login: str


@dataclass
class Team:
    org: str
    slug: str
    id: int


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str = ""  # pull-request-simple's labels may not carry null here


@dataclass
class Comment:
    id: int
    number: int
    author: str
    body: str
    created_at: str
    updated_at: str


@dataclass
class CommitStatus:
    id: int
    context: str
    state: str
    description: str | None
    target_url: str | None
    created_at: str
    updated_at: str


@dataclass
class CheckRun:
    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    started_at: str
    completed_at: str | None


@dataclass
class Pull:
    """The pull-request half of an issue."""

    head_ref: str
    base_ref: str
    draft: bool = False
    reviewers: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    closed_head_sha: str | None = None  # an open PR's head is read live from its branch
    merged_at: str | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    auto_merge: str | None = None  # merge method, e.g. "merge"
    auto_merge_by: str | None = None
    maintainer_can_modify: bool = False


@dataclass
class Issue:
    number: int
    id: int
    title: str
    body: str | None
    author: str
    created_at: str
    updated_at: str
    state: str = "open"
    labels: list[str] = field(default_factory=list)
    comments: list[int] = field(default_factory=list)
    closed_at: str | None = None
    closed_by: str | None = None
    pull: Pull | None = None

    @property
    def node_id(self) -> str:
        return node_id("PullRequest" if self.pull else "Issue", self.id)

    def touch(self) -> None:
        self.updated_at = now()


@dataclass
class Repository:
    owner: str
    name: str
    id: int
    path: Path
    default_branch: str
    created_at: str
    private: bool = False
    fork: bool = False
    archived: bool = False
    disabled: bool = False
    allow_auto_merge: bool = True
    description: str | None = None
    topics: list[str] = field(default_factory=list)
    protected: set[str] = field(default_factory=set)
    labels: dict[str, Label] = field(default_factory=dict)  # by lower-case name
    issues: dict[int, Issue] = field(default_factory=dict)
    statuses: dict[str, list[CommitStatus]] = field(default_factory=dict)  # by commit sha
    check_runs: dict[str, list[CheckRun]] = field(default_factory=dict)  # by commit sha
    pushed_at: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def node_id(self) -> str:
        return node_id("Repository", self.id)

    def pulls(self) -> Iterator[Issue]:
        return (issue for issue in self.issues.values() if issue.pull is not None)

    def issue(self, number: int) -> Issue:
        if number not in self.issues:
            raise ApiError(404, "Not Found")
        return self.issues[number]

    def pull(self, number: int) -> Issue:
        issue = self.issue(number)
        if issue.pull is None:
            raise ApiError(404, "Not Found")
        return issue


class State:
    """All accounts and repositories of one server, keyed case-insensitively as on GitHub."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, Token] = {}
        self.teams: dict[tuple[str, str], Team] = {}
        self.apps: dict[str, App] = {}
        self.repos: dict[tuple[str, str], Repository] = {}
        self.comment_index: dict[int, tuple[Repository, Comment]] = {}
        self._ids = itertools.count(1001)

    def next_id(self) -> int:
        return next(self._ids)

    def add_account(self, login: str, kind: str) -> Account:
        with self.lock:
            existing = self.accounts.get(login.lower())
            if existing is not None:
                return existing
            account = Account(login, self.next_id(), kind)
            self.accounts[login.lower()] = account
            return account

    def account(self, login: str) -> Account:
        account = self.accounts.get(login.lower())
        if account is None:
            raise ApiError(404, "Not Found")
        return account

    def repo(self, owner: str, name: str) -> Repository:
        repo = self.repos.get((owner.lower(), name.lower()))
        if repo is None:
            raise ApiError(404, "Not Found")
        return repo

    def owned_by(self, login: str) -> list[Repository]:
        return sorted(
            (repo for repo in self.repos.values() if repo.owner.lower() == login.lower()),
            key=lambda repo: repo.id,
        )

    def add_comment(self, repo: Repository, issue: Issue, author: str, body: str) -> Comment:
        stamp = now()
        comment = Comment(self.next_id(), issue.number, author, body, stamp, stamp)
        issue.comments.append(comment.id)
        issue.touch()
        self.comment_index[comment.id] = (repo, comment)
        return comment

    def comments_of(self, issue: Issue) -> list[Comment]:
        return [self.comment_index[cid][1] for cid in issue.comments]

    def node(self, global_id: str) -> tuple[Repository, Issue] | None:
        """The pull request or issue with GraphQL ``global_id``."""
        for repo in self.repos.values():
            for issue in repo.issues.values():
                if issue.node_id == global_id:
                    return repo, issue
        return None

    def next_number(self, repo: Repository) -> int:
        return max(repo.issues, default=0) + 1
