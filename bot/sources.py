"""Which repositories a policy covers: selection, filtering, and the shard a job takes."""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Sequence
from pathlib import Path

from bot.forges.base import Repo
from bot.forges.local import local_repo
from bot.policy import Policy


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
