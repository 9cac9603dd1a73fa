"""Which repositories a policy covers: selection, filtering, and the shard a job takes.

The policy's scope also picks the forge: GitHub when it names `github` repositories (unless
local repositories are given on the command line), else the local forge. On GitHub a
repository may opt out: `.github/fleetmod.yml` with `opt_out: true` leaves it alone, and
`opt_out: [...]` names the policies (by id) or codemods (by name) it declines; a declined
codemod becomes a waiver for that repository, so the report says why it was not applied.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from bot.forges.base import CredentialsRefused, Forge, ForgeError, Repo
from bot.forges.local import LocalForge, local_repo
from bot.policy import Policy, Waiver

if TYPE_CHECKING:
    from bot.forges.github import GitHubForge

OPT_OUT_FILE = ".github/fleetmod.yml"


class SourceError(ValueError):
    pass


def _is_git_repo(path: Path) -> bool:
    return (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir())


def local_paths(policy: Policy, base: Path, override: Sequence[Path] = ()) -> list[Path]:
    """Repository folders from ``override`` (a repo or a folder of repos) or the policy."""
    local = policy.scope.repositories.local
    found: list[Path] = []
    if override:
        for path in override:
            found += [path] if _is_git_repo(path) else _children(path)
    elif local is not None:
        for pattern in local.paths:
            found += sorted(p for p in base.glob(pattern) if _is_git_repo(p))
        if local.directory:
            found += _children(base / local.directory)
    return sorted(dict.fromkeys(p.resolve() for p in found))


def _children(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise SourceError(f"{folder}: no such folder of repositories")
    return sorted(p for p in folder.iterdir() if p.is_dir() and _is_git_repo(p))


def select(policy: Policy, repos: Sequence[Repo], only: Sequence[str] = ()) -> list[Repo]:
    """The policy's include/exclude globs, then `--only` names, applied to ``repos``."""
    scope = policy.scope.repositories
    kept = [
        r
        for r in repos
        if (not scope.include or any(fnmatch.fnmatchcase(r.full_name, g) for g in scope.include))
        and not any(fnmatch.fnmatchcase(r.full_name, g) for g in scope.exclude)
    ]
    if only:
        unknown = sorted(set(only) - {r.full_name for r in kept})
        if unknown:
            raise SourceError(f"--only {unknown[0]!r}: not a repository in scope")
        kept = [r for r in kept if r.full_name in only]
    return kept


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` with 1 <= K <= N."""
    k, sep, n = text.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise SourceError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. 2/4")
    return int(k), int(n)


def shard(repos: Sequence[Repo], k: int, n: int) -> list[Repo]:
    """Shard K of N by a stable hash of the full name: disjoint, covering, order-independent."""

    def bucket(repo: Repo) -> int:
        digest = hashlib.sha256(repo.full_name.encode()).digest()
        return int.from_bytes(digest[:8], "big") % n

    return [r for r in repos if bucket(r) == k - 1]


def local_repos(policy: Policy, base: Path, override: Sequence[Path] = ()) -> list[Repo]:
    return [local_repo(p) for p in local_paths(policy, base, override)]


@dataclass
class Fleet:
    """What a command works on: the forge, the repositories, and the policy as amended by
    the repositories' own opt-outs (extra waivers)."""

    policy: Policy
    forge: Forge
    repos: list[Repo]
    skipped: dict[str, str] = field(default_factory=dict)  # opted out: name -> why


def fleet(
    policy: Policy,
    state_dir: Path,
    override: Sequence[Path] = (),
    only: Sequence[str] = (),
    shard_text: str | None = None,
) -> Fleet:
    """The forge and the repositories in scope: selected, sharded, then opt-outs honoured
    (read only for this shard's repositories). Raises SourceError or ForgeError."""
    github = policy.scope.repositories.github
    if github is None or override:
        repos = select(policy, local_repos(policy, policy.base_dir, override), only)
        return Fleet(policy, LocalForge(state_dir), _sharded(repos, shard_text))
    from bot.forges.github import GitHubForge  # PyGithub loads only when GitHub is used

    forge = GitHubForge.from_env(base_url=github.base_url)
    repos = _sharded(select(policy, forge.repositories(github), only), shard_text)
    return honour_opt_outs(policy, forge, repos)


def _sharded(repos: list[Repo], shard_text: str | None) -> list[Repo]:
    return shard(repos, *parse_shard(shard_text)) if shard_text else repos


def honour_opt_outs(policy: Policy, forge: GitHubForge, repos: Sequence[Repo]) -> Fleet:
    """Read each repository's OPT_OUT_FILE (through the forge, no clone) and apply it."""
    workers = max(1, min(policy.limits.concurrency, len(repos)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        texts = list(pool.map(lambda repo: _opt_out_text(forge, repo), repos))
    kept: list[Repo] = []
    skipped: dict[str, str] = {}
    waivers: list[Waiver] = []
    steps = {step.codemod for step in policy.active_codemods()}
    for repo, text in zip(repos, texts, strict=True):
        declined = _declined(text)
        if isinstance(declined, str):
            skipped[repo.full_name] = declined
        elif declined is True or policy.id in declined:
            skipped[repo.full_name] = f"opted out in {OPT_OUT_FILE}"
        else:
            kept.append(repo)
            if codemods := sorted(steps & set(declined)):
                waivers.append(_opt_out_waiver(repo, codemods))
    amended = policy.model_copy(update={"waivers": [*policy.waivers, *waivers]})
    return Fleet(amended, forge, kept, skipped)


def _opt_out_text(forge: GitHubForge, repo: Repo) -> str | ForgeError | None:
    """The repository's OPT_OUT_FILE; a failure to read it skips that repository only, but a
    refused token stops the whole selection: every other read would be refused alike."""
    try:
        return forge.read_file(repo, OPT_OUT_FILE)
    except CredentialsRefused:
        raise
    except ForgeError as exc:
        return exc


def _declined(text: str | ForgeError | None) -> bool | list[str] | str:
    """What a repository declines: everything (True), names, or why it is left alone."""
    if isinstance(text, ForgeError):
        return f"{OPT_OUT_FILE} could not be read ({text}); left for the next run"
    if text is None:
        return []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return f"{OPT_OUT_FILE} is not valid YAML ({exc.__class__.__name__}); left alone"
    value = data.get("opt_out", False) if isinstance(data, dict) else None
    if isinstance(value, bool):
        return value or []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return f"{OPT_OUT_FILE}: opt_out must be true, false or a list of names; left alone"


def _opt_out_waiver(repo: Repo, codemods: list[str]) -> Waiver:
    return Waiver(
        repository=repo.full_name,
        codemods=codemods,
        reason=f"opted out in {OPT_OUT_FILE}",
        owner=f"{repo.full_name} maintainers",
        expires=dt.date.max,
    )
