"""A compliance policy: which repositories, which codemods and commands, which checks, how to
propose the change, within which limits, and which exceptions were granted.

The models are the single source of truth for the YAML format: `fleetmod policy schema`
prints their JSON Schema, and every field carries the description shown there. A policy
that cannot be used is refused before anything is touched, with one line that says where
and what was expected: `policies/x.yaml:12: codemods[2].options.timeout: must be a positive
number`. That is why validation raises errors at the exact field path, and why `load_policy`
keeps the line of every YAML node.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import pathspec
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

from codemods.base import Codemod, Version
from codemods.files import DEFAULT_INCLUDE
from codemods.registry import CodemodError, all_codemods, configure, load_class
from codemods.target import declared_target, parse_version

PROTECTED_BRANCHES = frozenset({"main", "master", "trunk", "develop", "production", "release"})
EXPIRY_WARNING_DAYS = 14
TRAILER = "Fleetmod-Policy"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

Loc = tuple[str | int, ...]


class PolicyError(ValueError):
    """A policy that cannot be used; ``str()`` is one line: ``FILE:LINE: field.path: message``."""

    def __init__(
        self, file: str, line: int | None, field: str, message: str, more: int = 0
    ) -> None:
        self.file, self.line, self.field, self.message, self.more = file, line, field, message, more
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        more = f" (and {self.more} more problem{'s' * (self.more != 1)})" if self.more else ""
        return f"{where}:{field} {self.message}{more}"


_BUILTIN_ERRORS = frozenset(get_args(ErrorType))


def _problem(loc: Loc, message: str) -> InitErrorDetails:
    """An error of ours at ``loc`` below the model being validated (pydantic adds the prefix)."""
    kind = PydanticCustomError("policy", "{message}", {"message": message})
    return InitErrorDetails(type=kind, loc=loc, input=None)


def _moved(error: ErrorDetails, prefix: Loc = ()) -> InitErrorDetails:
    """A caught error, raised again at ``prefix`` + its own path."""
    loc = (*prefix, *error["loc"])
    if error["type"] not in _BUILTIN_ERRORS:
        return _problem(loc, error["msg"])
    ctx = error.get("ctx", {})
    return InitErrorDetails(type=error["type"], loc=loc, input=error["input"], ctx=ctx)


def _invalid(title: str, details: Iterable[InitErrorDetails]) -> ValidationError:
    return ValidationError.from_exception_data(title, list(details))


def _unknown(what: str, key: object, allowed: Iterable[str]) -> str:
    names = sorted(allowed)
    close = difflib.get_close_matches(str(key), names, n=1)
    if close:
        return f"unknown {what} {key!r}; did you mean {close[0]!r}?"
    return f"unknown {what} {key!r}; expected one of: {', '.join(names)}"


# -- field types whose errors say what was expected ------------------------------------------


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _one_line(value: str) -> str:
    if "\n" in _text(value) or "\r" in value:
        raise ValueError("must be a single line")
    return value


def _matching(pattern: str, meaning: str) -> Any:
    """A string type that must match ``pattern``; the schema carries the pattern, the error
    says what it means."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r}: {meaning}")
        return value

    schema = Field(json_schema_extra={"pattern": f"^{pattern}$"})
    return Annotated[str, AfterValidator(check), schema]


def _inside_repository(glob: str) -> str:
    """A glob is matched against paths relative to the repository root; it cannot point out."""
    posix = _text(glob).removeprefix("!").replace("\\", "/")
    if posix.startswith("/") or re.match(r"[A-Za-z]:", posix):
        raise ValueError(f"{glob!r} is absolute; globs are relative to the repository root")
    if ".." in posix.split("/"):
        raise ValueError(f"{glob!r} leaves the repository; '..' is not allowed in a glob")
    return glob


def _not_a_number(value: Any) -> Any:
    """YAML reads 20250101 as a number, and pydantic would take it for a Unix timestamp."""
    if isinstance(value, int | float):
        raise ValueError(f"expected a date like 2030-12-31, got {value!r}")
    return value


Text = Annotated[str, AfterValidator(_text)]
OneLine = Annotated[str, AfterValidator(_one_line)]
RepoGlob = Annotated[str, AfterValidator(_inside_repository)]
Date = Annotated[dt.date, BeforeValidator(_not_a_number)]
PolicyId = _matching(
    r"[a-z0-9][a-z0-9._-]*",
    "expected lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
)
PolicyVersion = _matching(
    r"[A-Za-z0-9][A-Za-z0-9._+-]*", "expected a version like 1 or 2.1 (no spaces)"
)
Email = _matching(r"[^<>\s@]+@[^<>\s@]+", "expected an email address like bot@example.com")
Login = _matching(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?", "expected a GitHub user or organisation name"
)
FullName = _matching(
    r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}", "expected owner/name, e.g. acme/billing"
)
Topic = _matching(
    r"[a-z0-9][a-z0-9-]{0,49}", "expected a GitHub topic: lower-case letters, digits and '-'"
)
ApiUrl = _matching(
    r"https?://[^\s/]+(/\S*)?", "expected a URL like https://github.example.com/api/v3"
)

_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")


def branch_problem(name: str) -> str | None:
    """Why ``name`` cannot be the bot's branch: git's ref-name rules, then protected names."""
    if not name or name.startswith("-") or name == "HEAD":
        return f"{name!r} is not a valid git branch name"
    parts = name.split("/")
    if (
        _REF_FORBIDDEN.search(name)
        or name.endswith((".", "/"))
        or name.startswith("/")
        or any(p.startswith(".") or p.endswith(".lock") for p in parts)
    ):
        return f"{name!r} is not a valid git branch name"
    if parts[0].lower() in PROTECTED_BRANCHES:
        return f"{name!r} is a protected branch; the bot never pushes there"
    return None


# -- the models ------------------------------------------------------------------------------


class Model(BaseModel):
    """Frozen, and an unknown key is refused naming the key that was probably meant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="wrap")
    @classmethod
    def _known_keys(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        """Unknown keys are reported with, not instead of, the other problems of the mapping."""
        if not isinstance(data, Mapping):
            return handler(data)
        unknown = [key for key in data if key not in cls.model_fields]
        if not unknown:
            return handler(data)
        details = [_problem((str(k),), _unknown("key", k, cls.model_fields)) for k in unknown]
        try:
            handler({k: v for k, v in data.items() if k in cls.model_fields})
        except ValidationError as exc:
            details += [_moved(error) for error in exc.errors()]
        raise _invalid(cls.__name__, details)


class LocalRepositories(Model):
    """Repositories on this machine."""

    paths: list[Text] = Field(
        default_factory=list,
        description="Repository paths or globs, relative to the policy file's folder.",
    )
    directory: Text | None = Field(
        None,
        description="A folder whose every git repository (one level down) is in scope; "
        "relative to the policy file's folder.",
    )

    @model_validator(mode="after")
    def _names_something(self) -> LocalRepositories:
        if not self.paths and self.directory is None:
            raise ValueError("give `paths`, a `directory`, or both")
        return self


class GitHubScope(Model):
    """Repositories on GitHub or GitHub Enterprise Server: the union of an owner's
    repositories, a search and a list, narrowed by topics. Disabled repositories are never
    in scope; archived ones and forks only when asked for."""

    org: Login | None = Field(None, description="Every repository of this organisation.")
    user: Login | None = Field(None, description="Every repository this user owns.")
    query: OneLine | None = Field(
        None, description="A repository search, e.g. `org:acme language:python`."
    )
    repositories: list[FullName] = Field(
        default_factory=list, description="Repositories by full name (owner/name)."
    )
    topics: list[Topic] = Field(
        default_factory=list, description="Keep only repositories that have all these topics."
    )
    include_archived: bool = False
    include_forks: bool = False
    base_url: ApiUrl | None = Field(
        None,
        description="The API root of GitHub Enterprise Server, e.g. "
        "https://github.example.com/api/v3; default: $GITHUB_API_URL, else api.github.com.",
    )

    @model_validator(mode="after")
    def _names_something(self) -> GitHubScope:
        if not (self.org or self.user or self.query or self.repositories):
            raise ValueError("give `org`, `user`, `query` or `repositories`")
        return self


class RepositoryScope(Model):
    """Which repositories; without a source, they are given on the command line."""

    local: LocalRepositories | None = None
    github: GitHubScope | None = None
    include: list[Text] = Field(default_factory=list, description="Repository name globs to keep.")
    exclude: list[Text] = Field(default_factory=list, description="Repository name globs to drop.")

    @model_validator(mode="after")
    def _one_forge(self) -> RepositoryScope:
        if self.local is not None and self.github is not None:
            raise ValueError("give `local` or `github`, not both: one campaign, one forge")
        return self


class PathScope(Model):
    """Which files inside each repository; `.gitignore` is always honoured."""

    include: list[RepoGlob] = Field(
        default_factory=lambda: list(DEFAULT_INCLUDE),
        description="Globs (gitignore syntax) relative to the repository root.",
    )
    exclude: list[RepoGlob] = Field(
        default_factory=list, description="Globs (gitignore syntax) of files to leave alone."
    )
    exclude_vendored: bool = Field(
        True, description="Leave vendored, third-party and generated code alone."
    )


class Scope(Model):
    repositories: RepositoryScope = Field(default_factory=RepositoryScope)
    paths: PathScope = Field(default_factory=PathScope)


class CodemodStep(Model):
    """A codemod run in the repository; its options are checked against the codemod's own."""

    codemod: str = Field(
        description="A codemod name (`fleetmod codemods`), or a module:Class path."
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="The codemod's options (`fleetmod codemods show NAME`)."
    )
    level: Literal["error", "warning", "off"] = Field(
        "error",
        description="error: counts against compliance; warning: proposed, not counted; off.",
    )

    @field_validator("codemod")
    @classmethod
    def _exists(cls, ref: str) -> str:
        try:
            load_class(ref)
        except CodemodError as exc:
            close = difflib.get_close_matches(ref, list(all_codemods()), n=1)
            hint = f"unknown codemod {ref!r}; did you mean {close[0]!r}?" if close else str(exc)
            raise ValueError(hint) from None
        return ref

    @model_validator(mode="after")
    def _options_fit(self) -> CodemodStep:
        try:
            self.configured()
        except CodemodError as exc:
            raise _option_errors(self.codemod, exc) from None
        return self

    def configured(self) -> Codemod:
        """The codemod instance this step runs, with its validated options."""
        return configure(self.codemod, self.options)


def _option_errors(ref: str, exc: CodemodError) -> ValidationError:
    """The registry's error, back at the path of the option that caused it."""
    cause = exc.__cause__
    if not isinstance(cause, ValidationError):
        return _invalid("CodemodStep", [_problem(("options",), str(exc))])
    known = load_class(ref).Options.model_fields
    details = []
    for error in cause.errors():
        if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
            name = error["loc"][0]
            message = _unknown("option", name, known) if known else f"{ref} takes no options"
            details.append(_problem(("options", name), message))
        else:
            details.append(_moved(error, ("options",)))
    return _invalid("CodemodStep", details)


class CommandStep(Model):
    """A fixer that is not a codemod (ruff, pyupgrade, a team's script), run in order with them."""

    command: Text = Field(
        description="A shell command run in the repository, e.g. `ruff check --fix`."
    )
    name: OneLine = Field(description="How the step is named in the pull request.")
    timeout: float = Field(600, gt=0, description="Seconds before the step is killed.")


_STEP_TAGS = ("codemod", "command")


def _step_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "command" if "command" in value else "codemod"
    return "command" if isinstance(value, CommandStep) else "codemod"


Step = Annotated[
    Annotated[CodemodStep, Tag("codemod")] | Annotated[CommandStep, Tag("command")],
    Discriminator(_step_kind),
]


class Check(Model):
    """A command that must pass after the rewrite before the change is proposed as it is."""

    name: OneLine
    run: Text = Field(description="A shell command run in the repository after the rewrite.")
    timeout: float = Field(600, gt=0, description="Seconds before the check is killed.")
    on_failure: Literal["skip", "draft", "open"] = Field(
        "draft", description="skip: no PR; draft: a draft PR saying what failed; open: a PR."
    )


class Author(Model):
    """The identity of the bot's commits."""

    name: OneLine = "fleetmod"
    email: Email = "fleetmod@users.noreply.github.com"


class Delivery(Model):
    """How a change is proposed."""

    action: Literal["report", "pr", "pr_automerge"] = Field(
        "pr",
        description="report: no writes anywhere; pr: open or update a pull request; "
        "pr_automerge: and ask the forge to merge it once the checks pass.",
    )
    branch: str | None = Field(None, description="Default: fleetmod/<policy id>.")
    title: OneLine | None = Field(None, description="Default: the policy title.")
    commit_message: Text | None = Field(
        None,
        description="Default: the pull request title. The trailer "
        f"`{TRAILER}: <id>@<version>` is always added.",
    )
    labels: list[OneLine] = Field(default_factory=lambda: ["fleetmod"])
    reviewers: list[OneLine] = Field(default_factory=list)
    draft: bool = False
    author: Author = Field(default_factory=Author)

    @field_validator("branch")
    @classmethod
    def _pushable(cls, branch: str | None) -> str | None:
        problem = None if branch is None else branch_problem(branch)
        if problem:
            raise ValueError(problem)
        return branch


class Limits(Model):
    """How much one run may do, so that a campaign never floods a fleet."""

    prs_per_run: int | None = Field(None, ge=0, description="New PRs opened by one run.")
    open_prs: int | None = Field(None, ge=0, description="Open PRs of this campaign in total.")
    changed_files_per_pr: int = Field(200, gt=0)
    concurrency: int = Field(4, gt=0, le=64)


class Waiver(Model):
    """An exception granted by someone, for a reason, until a date."""

    repository: OneLine = Field(description="Repository name glob.")
    codemods: list[str] = Field(default_factory=list, description="Empty: every codemod.")
    paths: list[RepoGlob] = Field(
        default_factory=list, description="Globs (gitignore syntax); empty: every path."
    )
    reason: Text
    owner: Text
    expires: Date = Field(description="The last day the waiver applies (YYYY-MM-DD).")

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def expiring_soon(self, today: dt.date) -> bool:
        return not self.expired(today) and (self.expires - today).days <= EXPIRY_WARNING_DAYS

    def covers(self, repo: str, codemod: str | None = None, path: str | None = None) -> bool:
        """Whether this waiver (ignoring expiry) exempts ``codemod`` on ``path`` of ``repo``.

        None asks about the whole: every codemod, every path. A waiver limited to some
        codemods or paths does not exempt the whole repository, so that a narrow
        exception never silently stops the rest of the campaign there.
        """
        if not fnmatch.fnmatchcase(repo, self.repository):
            return False
        if self.codemods and (codemod is None or codemod not in self.codemods):
            return False
        if not self.paths:
            return True
        return path is not None and pathspec.GitIgnoreSpec.from_lines(self.paths).match_file(path)


class Policy(Model):
    """A compliance policy (`fleetmod policy schema` prints this document's JSON Schema)."""

    id: PolicyId = Field(description="Stable identifier; names the branch and the trailer.")
    title: OneLine
    description: str = ""
    version: PolicyVersion = "1"
    owner: str = ""
    url: str = ""
    target_python: str = Field(
        "3.9",
        description="Oldest Python the fleet's code must run on; a repository's "
        "requires-python can raise it, never lower it.",
        json_schema_extra={"pattern": r"^(py)?3\.?\d+$", "examples": ["3.10"]},
    )
    scope: Scope = Field(default_factory=Scope)
    codemods: list[Step] = Field(
        default_factory=list, description="Codemods and command steps, run in this order."
    )
    checks: list[Check] = Field(default_factory=list)
    delivery: Delivery = Field(default_factory=Delivery)
    limits: Limits = Field(default_factory=Limits)
    waivers: list[Waiver] = Field(default_factory=list)

    _source: Path | None = PrivateAttr(None)
    _lines: dict[Loc, int] = PrivateAttr(default_factory=dict)

    @field_validator("target_python")
    @classmethod
    def _is_version(cls, value: str) -> str:
        parse_version(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        problems: list[tuple[Loc, str]] = []
        if self.delivery.branch is None and (problem := branch_problem(self.branch)):
            message = f"{problem} (the default branch, fleetmod/<id>); set delivery.branch"
            problems.append((("id",), message))
        first: dict[str, int] = {}
        for index, check in enumerate(self.checks):
            if check.name in first:
                message = f"duplicate check name {check.name!r} (also checks[{first[check.name]}])"
                problems.append((("checks", index, "name"), message))
            first.setdefault(check.name, index)
        steps = {s.codemod for s in self.codemods if isinstance(s, CodemodStep)}
        for index, waiver in enumerate(self.waivers):
            for position, name in enumerate(waiver.codemods):
                if name not in steps:
                    message = _unknown("codemod", name, steps) if steps else "no codemods to waive"
                    problems.append((("waivers", index, "codemods", position), message))
        if problems:
            raise _invalid("Policy", (_problem(loc, message) for loc, message in problems))
        return self

    @property
    def branch(self) -> str:
        return self.delivery.branch or f"fleetmod/{self.id}"

    @property
    def pr_title(self) -> str:
        return self.delivery.title or self.title

    @property
    def target(self) -> Version:
        return parse_version(self.target_python)

    @property
    def source(self) -> Path | None:
        """The file this policy was loaded from (absolute), if any."""
        return self._source

    @property
    def base_dir(self) -> Path:
        """Where relative repository paths start: the policy file's folder, else the current one."""
        return self._source.parent if self._source else Path.cwd()

    def active_codemods(self) -> list[CodemodStep]:
        return [s for s in self.codemods if isinstance(s, CodemodStep) and s.level != "off"]

    def target_for(self, repo_root: Path) -> Version:
        """The oldest Python for one repository: the policy's, or the repository's if newer."""
        return max(self.target, declared_target(repo_root) or self.target)

    def commit_message_for(self, body: str = "") -> str:
        """The commit message: configured text, then ``body``, then the trailers, ours last."""
        text = (self.delivery.commit_message or self.pr_title).strip()
        paragraphs = text.split("\n\n")
        trailers: list[str] = []
        if len(paragraphs) > 1 and _are_trailers(paragraphs[-1]):
            trailers = paragraphs.pop().splitlines()
        if body.strip():
            paragraphs.append(body.strip())
        ours = f"{TRAILER}: {self.id}@{self.version}"
        trailers = [t for t in trailers if not t.startswith(f"{TRAILER}:")] + [ours]
        return "\n\n".join([*paragraphs, "\n".join(trailers)]) + "\n"

    def expired_waivers(self, today: dt.date | None = None) -> list[Waiver]:
        today = today or dt.date.today()
        return [w for w in self.waivers if w.expired(today)]

    def expiring_waivers(self, today: dt.date | None = None) -> list[Waiver]:
        today = today or dt.date.today()
        return [w for w in self.waivers if w.expiring_soon(today)]

    def waiver_for(
        self,
        repo: str,
        codemod: str | None = None,
        path: str | None = None,
        today: dt.date | None = None,
    ) -> Waiver | None:
        """The first waiver in force that exempts ``codemod`` on ``path`` of ``repo``."""
        today = today or dt.date.today()
        return next(
            (w for w in self.waivers if not w.expired(today) and w.covers(repo, codemod, path)),
            None,
        )

    def waiver_warnings(
        self, today: dt.date | None = None, *, expired: bool | None = None
    ) -> list[str]:
        """One line per expired or soon-expiring waiver (only one kind if ``expired`` says
        which), saying where it is written."""
        today = today or dt.date.today()
        lines = []
        for index, waiver in enumerate(self.waivers):
            who = f"waivers[{index}] ({waiver.repository!r}, owner {waiver.owner})"
            days = (waiver.expires - today).days
            if waiver.expired(today) and expired is not False:
                news = f"expired on {waiver.expires}; it no longer applies"
            elif waiver.expiring_soon(today) and not expired:
                news = f"expires on {waiver.expires}, " + (f"in {days} days" if days else "today")
            else:
                continue
            lines.append(f"{self._where(('waivers', index))}: {who} {news}")
        return lines

    def _where(self, loc: Loc) -> str:
        if self._source is None:
            return f"policy {self.id}"
        return f"{_display(self._source)}:{_line_at(loc, self._lines)}"


def _are_trailers(paragraph: str) -> bool:
    return all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*: \S.*", ln) for ln in paragraph.splitlines())


def _display(path: Path) -> str:
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


# -- loading YAML, with the line of every node -----------------------------------------------

_BOOL_TAG = "tag:yaml.org,2002:bool"
_DATE_TAG = "tag:yaml.org,2002:timestamp"
_VERSION_KEYS = ("version", "target_python")


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans, and dates left to pydantic.

    `off`, `on`, `yes` and `no` stay words (a codemod's level may be `off`), and a date is
    text until its field parses it, so that `2030-02-30` is an error at its line instead of
    an exception from the YAML constructor.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _DATE_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file; any problem is a `PolicyError` naming file and line."""
    name = path.as_posix()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PolicyError(name, None, "", "cannot read: not UTF-8 text") from None
    except OSError as exc:
        raise PolicyError(name, None, "", f"cannot read: {exc.strerror or exc}") from None
    data, lines = _parse(name, text)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise _policy_error(name, exc, data, lines) from None
    policy._source = path.resolve()
    policy._lines = lines
    return policy


def _parse(name: str, text: str) -> tuple[dict[str, Any], dict[Loc, int]]:
    try:
        node, data, lines = _compose_and_construct(name, text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise PolicyError(name, line, "", f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise PolicyError(name, line, "", f"invalid YAML: {exc.reason}") from None
    for key, value in node.value:
        if key.value in _VERSION_KEYS and value.tag.endswith((":int", ":float")):
            data[key.value] = value.value  # `3.10` is a version, not the number 3.1
    return data, lines


def _compose_and_construct(
    name: str, text: str
) -> tuple[yaml.MappingNode, dict[str, Any], dict[Loc, int]]:
    """One parse: the node tree, its lines (before construction merges `<<` keys into
    the tree), and the data built from that same tree."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise PolicyError(
                name, 1, "", "the file is empty; a policy needs at least id and title"
            )
        if not isinstance(node, yaml.MappingNode):
            line = node.start_mark.line + 1
            raise PolicyError(name, line, "", "expected a mapping of policy fields")
        lines = _line_map(name, node)
        return node, loader.construct_document(node), lines
    finally:
        loader.dispose()


def _line_map(name: str, root: yaml.Node) -> dict[Loc, int]:
    """The line of every key and list item, by path; a duplicate key is refused here."""
    lines: dict[Loc, int] = {(): root.start_mark.line + 1}
    pending: list[tuple[Loc, yaml.Node]] = [((), root)]
    seen: set[int] = set()
    while pending:
        loc, node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            children = [
                (key.value, key, value)
                for key, value in node.value
                if isinstance(key, yaml.ScalarNode) and key.value != "<<"
            ]
        elif isinstance(node, yaml.SequenceNode):
            children = [(index, item, item) for index, item in enumerate(node.value)]
        else:
            continue
        for part, marker, value in children:
            child = (*loc, part)
            line = marker.start_mark.line + 1
            if child in lines:
                message = f"duplicate key (first on line {lines[child]})"
                raise PolicyError(name, line, _dotted(child), message)
            lines[child] = line
            pending.append((child, value))
    return lines


def _policy_error(
    name: str, exc: ValidationError, data: dict[str, Any], lines: dict[Loc, int]
) -> PolicyError:
    """The first problem in the file, by line; the alternatives of a union are one problem."""
    by_field: dict[Loc, list[ErrorDetails]] = {}
    for error in exc.errors():
        loc = _in_document(error, data)
        by_field.setdefault(loc, []).append(error)
    problems = sorted(
        (
            (_line_at(loc, lines), _dotted(loc), _describe(errors))
            for loc, errors in by_field.items()
        ),
        key=lambda problem: problem[0],
    )
    line, field, message = problems[0]
    return PolicyError(name, line, field, message, more=len(problems) - 1)


def _without_step_tag(loc: Loc) -> Loc:
    """Pydantic puts the union tag in the path (`codemods.2.codemod.options`); YAML has none."""
    if len(loc) > 2 and loc[0] == "codemods" and loc[2] in _STEP_TAGS:
        return loc[:2] + loc[3:]
    return loc


def _in_document(error: ErrorDetails, data: Any) -> Loc:
    """The error's path, cut where the document ends: below a plain value, or below a key
    the document lacks, pydantic names the alternatives of a union (`int`, `float`), not a
    place in the file. Only a missing field is a path that does not exist."""
    loc = _without_step_tag(error["loc"])
    value = data
    for end, part in enumerate(loc):
        if not _has(value, part):
            return loc if error["type"] == "missing" else loc[:end]
        value = value[part]
    return loc


def _has(value: Any, part: str | int) -> bool:
    if isinstance(value, dict):
        return part in value
    return isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)


def _line_at(loc: Loc, lines: Mapping[Loc, int]) -> int:
    """The line of the deepest existing node on ``loc``: a missing field points at its parent."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _dotted(loc: Loc) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string (quote it)",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date like 2030-12-31",
    "date_parsing": "a date like 2030-12-31",
    "date_from_datetime_parsing": "a date like 2030-12-31",
    "date_from_datetime_inexact": "a date like 2030-12-31, without a time",
}
_BOUNDS = {
    "greater_than": ("gt", "must be greater than"),
    "greater_than_equal": ("ge", "must be at least"),
    "less_than": ("lt", "must be less than"),
    "less_than_equal": ("le", "must be at most"),
}


def _describe(errors: list[ErrorDetails]) -> str:
    """Pydantic's errors at one field as what was expected, and what was given."""
    first = errors[0]
    if first["type"] == "missing":
        return "required field missing"
    if first["type"] in ("policy", "value_error"):
        return first["msg"].removeprefix("Value error, ")
    wanted = list(dict.fromkeys(_expected(error) for error in errors))
    nouns = [w.removeprefix("expected ") for w in wanted if w.startswith("expected ")]
    rules = [w for w in wanted if not w.startswith("expected ")]
    expected = " or ".join(rules + ([f"expected {' or '.join(nouns)}"] if nouns else []))
    given = first.get("input")
    if isinstance(given, dict | list) or given is None:
        return expected
    shown = repr(given)
    return f"{expected}, got {shown if len(shown) <= 40 else shown[:37] + '...'}"


def _expected(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        positive = kind == "greater_than" and ctx[key] == 0
        return "must be a positive number" if positive else f"{words} {ctx[key]:g}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "literal_error":
        return f"expected {ctx['expected']}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}"
    return error["msg"][:1].lower() + error["msg"][1:]


# -- the JSON Schema -------------------------------------------------------------------------


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file, with each known codemod's options, for editors."""
    schema = Policy.model_json_schema()
    defs = schema["$defs"]
    step = defs["CodemodStep"]
    known = all_codemods()
    step["properties"]["codemod"]["anyOf"] = [
        {"enum": list(known)},
        {"pattern": r"^[\w.]+:[\w.]+$", "description": "A module:Class path."},
    ]
    step["allOf"] = []
    for name, cls in known.items():
        options = cls.Options.model_json_schema(ref_template=f"#/$defs/{name}.{{model}}")
        defs.update({f"{name}.{k}": v for k, v in options.pop("$defs", {}).items()})
        step["allOf"].append(
            {
                "if": {"properties": {"codemod": {"const": name}}, "required": ["codemod"]},
                "then": {"properties": {"options": options}},
            }
        )
    return {"$schema": SCHEMA_DIALECT, **schema}
