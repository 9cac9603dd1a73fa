"""The forge interface: where repositories live and where pull requests are proposed.

The campaign talks only to this interface; the local forge (git repositories on disk and
a SQLite record of pull requests) and GitHub (PyGithub) implement it. Everything here is
plain data so that reports and the ledger can store it as it is.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class ForgeError(RuntimeError):
    """A forge operation failed; the message is one line, safe to show (no secrets)."""


class CredentialsRefused(ForgeError):
    """The forge refuses the bot's credentials (a revoked or expired token): every further
    request would fail alike, so the campaign stops and the next run resumes."""


class PrState(str, enum.Enum):
    OPEN = "open"
    CLOSED = "closed"
    MERGED = "merged"


@dataclass(frozen=True)
class Repo:
    """A repository in scope: its forge name, where git clones it from, its default branch."""

    full_name: str
    clone_url: str
    default_branch: str
    archived: bool = False
    fork: bool = False
    web_url: str = ""


@dataclass(frozen=True)
class PullRequest:
    number: int
    title: str
    body: str
    state: PrState
    head_branch: str
    base_branch: str
    head_sha: str
    url: str
    draft: bool = False
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    created_at: str = ""
    updated_at: str = ""
    closed_at: str | None = None
    merged_at: str | None = None
    closed_by: str | None = None


@dataclass(frozen=True)
class PrStatus:
    """What `fleetmod status` shows of one pull request beside its state."""

    pr: PullRequest
    mergeable: bool | None = None
    checks: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PrRequest:
    """Everything needed to open a pull request, as the campaign decided it."""

    head_branch: str
    base_branch: str
    title: str
    body: str
    draft: bool = False
    labels: Sequence[str] = ()
    reviewers: Sequence[str] = ()


class Forge(Protocol):
    """Where pull requests live. Every method is idempotent where the forge allows it."""

    name: str

    def git_env(self, repo: Repo) -> dict[str, str]:
        """Environment for git commands against ``repo`` (authentication, never in URLs)."""
        ...

    def find_pr(self, repo: Repo, head_branch: str) -> PullRequest | None:
        """The newest pull request from ``head_branch``, open or not."""
        ...

    def create_pr(self, repo: Repo, request: PrRequest) -> PullRequest: ...

    def update_pr(
        self,
        repo: Repo,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
    ) -> PullRequest:
        """Change only what is given; the caller gives only what changed."""
        ...

    def comment(self, repo: Repo, number: int, body: str) -> None: ...

    def close_pr(self, repo: Repo, number: int, comment: str) -> PullRequest:
        """Close with a comment saying why: the bot never closes silently."""
        ...

    def enable_automerge(self, repo: Repo, number: int) -> None: ...

    def status(self, repo: Repo, number: int) -> PrStatus: ...
