"""A compliance policy: which repositories, which codemods and commands, which checks, how to
propose the change, within which limits, and which exceptions were granted.

The models are the single source of truth for the YAML format: `fleetmod policy schema`
prints their JSON Schema, and every field carries the description shown there.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

PROTECTED_BRANCHES = frozenset({"main", "master", "trunk", "develop", "production", "release"})
EXPIRY_WARNING_DAYS = 14


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalRepositories(Model):
    paths: list[str] = Field(
        default_factory=list,
        description="Repository paths or globs, relative to the policy file's folder.",
    )
    directory: str | None = Field(
        None, description="A folder whose every git repository (one level down) is in scope."
    )


class RepositoryScope(Model):
    local: LocalRepositories | None = None
    include: list[str] = Field(default_factory=list, description="Repository name globs to keep.")
    exclude: list[str] = Field(default_factory=list, description="Repository name globs to drop.")


class PathScope(Model):
    include: list[str] = Field(default_factory=lambda: ["**/*.py"])
    exclude: list[str] = Field(default_factory=list)
    exclude_vendored: bool = Field(
        True, description="Leave vendored, third-party and generated code alone."
    )


class Scope(Model):
    repositories: RepositoryScope = Field(default_factory=RepositoryScope)
    paths: PathScope = Field(default_factory=PathScope)


class CodemodStep(Model):
    codemod: str = Field(description="A codemod name, or a module:Class path.")
    options: dict[str, Any] = Field(default_factory=dict)
    level: Literal["error", "warning", "off"] = Field(
        "error",
        description="error: counts against compliance; warning: proposed, not counted; off.",
    )


class CommandStep(Model):
    command: str = Field(description="A fixer run in the repository, e.g. `ruff check --fix`.")
    name: str = Field(description="How the step is named in the pull request.")
    timeout: float = Field(600, gt=0, description="Seconds before the step is killed.")


def _step_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "command" if "command" in value else "codemod"
    return "command" if isinstance(value, CommandStep) else "codemod"


Step = Annotated[
    Annotated[CodemodStep, Tag("codemod")] | Annotated[CommandStep, Tag("command")],
    Discriminator(_step_kind),
]


class Check(Model):
    name: str
    run: str = Field(description="A shell command run in the repository after the rewrite.")
    timeout: float = Field(600, gt=0, description="Seconds before the check is killed.")
    on_failure: Literal["skip", "draft", "open"] = Field(
        "draft", description="skip: no PR; draft: a draft PR saying what failed; open: a PR."
    )


class Author(Model):
    name: str = "fleetmod"
    email: str = "fleetmod@users.noreply.github.com"


class Delivery(Model):
    action: Literal["report", "pr", "pr_automerge"] = "pr"
    branch: str | None = Field(None, description="Default: fleetmod/<policy id>.")
    title: str | None = Field(None, description="Default: the policy title.")
    commit_message: str | None = None
    labels: list[str] = Field(default_factory=lambda: ["fleetmod"])
    reviewers: list[str] = Field(default_factory=list)
    draft: bool = False
    author: Author = Field(default_factory=Author)


class Limits(Model):
    prs_per_run: int | None = Field(None, ge=0, description="New PRs opened by one run.")
    open_prs: int | None = Field(None, ge=0, description="Open PRs of this campaign in total.")
    changed_files_per_pr: int = Field(200, gt=0)
    concurrency: int = Field(4, gt=0, le=64)


class Waiver(Model):
    repository: str = Field(description="Repository name glob.")
    codemods: list[str] = Field(default_factory=list, description="Empty: every codemod.")
    paths: list[str] = Field(default_factory=list, description="Empty: every path.")
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: dt.date

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def expiring_soon(self, today: dt.date) -> bool:
        return not self.expired(today) and (self.expires - today).days <= EXPIRY_WARNING_DAYS

    def covers(self, repo: str, codemod: str | None = None, path: str | None = None) -> bool:
        """Whether this waiver (ignoring expiry) exempts ``codemod`` on ``path`` of ``repo``."""
        if not fnmatch.fnmatchcase(repo, self.repository):
            return False
        if codemod is not None and self.codemods and codemod not in self.codemods:
            return False
        return (
            path is None or not self.paths or any(fnmatch.fnmatchcase(path, p) for p in self.paths)
        )


class Policy(Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="Stable identifier.")
    title: str
    description: str = ""
    version: str = "1"
    owner: str = ""
    url: str = ""
    target_python: str = Field("3.9", description="Oldest Python the code must run on.")
    scope: Scope = Field(default_factory=Scope)
    codemods: list[Step] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    delivery: Delivery = Field(default_factory=Delivery)
    limits: Limits = Field(default_factory=Limits)
    waivers: list[Waiver] = Field(default_factory=list)

    @property
    def branch(self) -> str:
        return self.delivery.branch or f"fleetmod/{self.id}"

    @property
    def pr_title(self) -> str:
        return self.delivery.title or self.title

    def active_codemods(self) -> list[CodemodStep]:
        return [s for s in self.codemods if isinstance(s, CodemodStep) and s.level != "off"]
