"""Read a repository's refs on disk without starting git, where the answer is certain.

A rerun over a fleet of local repositories asks every origin two questions (its default
branch, and the commit that branch is at); a git process per question costs more than the
rest of an unchanged repository's rerun. The files answer them in microseconds when they
are plain: a symbolic ``HEAD``, a loose ref, or a line of ``packed-refs``. Anything else
(reftable, a ref that is itself symbolic, a path that is not a repository) gets ``None``,
and the caller asks git, which stays the authority.
"""

from __future__ import annotations

import re
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_SYMREF = "ref: refs/heads/"
# What reftable repositories keep in HEAD so that older git refuses them.
_REFTABLE_PLACEHOLDER = "refs/heads/.invalid"


def git_dir(path: str) -> Path | None:
    """The git directory of a local repository path (bare or with a work tree), if it is one."""
    if "://" in path and not path.startswith("file://"):
        return None
    folder = Path(path.removeprefix("file://"))
    for candidate in (folder, folder / ".git"):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return None if _other_ref_storage(candidate) else candidate
    return None


def default_branch(gitdir: Path) -> str | None:
    """The branch ``HEAD`` names, when HEAD is an ordinary symbolic ref to a branch."""
    head = _read(gitdir / "HEAD")
    if head is None or not head.startswith(_SYMREF) or head == f"ref: {_REFTABLE_PLACEHOLDER}":
        return None
    return head.removeprefix(_SYMREF)


def resolve(gitdir: Path, ref: str) -> str | None:
    """The object a full ref name (``refs/heads/main``) points at: loose, else packed."""
    loose = _read(gitdir / ref)
    if loose is not None:
        return loose if _SHA.match(loose) else None
    packed = _read(gitdir / "packed-refs", whole=True)
    for line in (packed or "").splitlines():
        sha, _, name = line.partition(" ")
        if name == ref and _SHA.match(sha):
            return sha
    return None


def _other_ref_storage(gitdir: Path) -> bool:
    """Whether refs live somewhere other than files (``extensions.refStorage = reftable``)."""
    config = _read(gitdir / "config", whole=True) or ""
    return re.search(r"^\s*refstorage\s*=", config, re.IGNORECASE | re.MULTILINE) is not None


def _read(path: Path, whole: bool = False) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text if whole else text.strip()
