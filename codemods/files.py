"""Which files a run looks at: a root, include/exclude globs, and the repository's .gitignore."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

DEFAULT_INCLUDE = ("**/*.py", "**/*.pyi")
DEFAULT_EXCLUDE = (
    ".git/",
    ".hg/",
    ".venv/",
    "venv/",
    ".tox/",
    ".nox/",
    "node_modules/",
    "__pycache__/",
    "build/",
    "dist/",
    "site-packages/",
    "vendor/",
    "_vendor/",
    "third_party/",
)


@dataclass(frozen=True)
class Candidate:
    """A file to consider: where it is, the root it must not leave, and the name it is shown by."""

    path: Path
    root: Path
    relpath: str


def _label(path: Path, base: Path | None, root: Path) -> str:
    for anchor in (base, root):
        if anchor is not None and path.is_relative_to(anchor):
            return path.relative_to(anchor).as_posix()
    return path.as_posix()


def _gitignore_spec(root: Path) -> pathspec.PathSpec:
    """Patterns from every .gitignore under ``root``, anchored to their own folder."""
    lines: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        if ".gitignore" not in filenames:
            continue
        prefix = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if prefix == "." else prefix + "/"
        for raw in (Path(dirpath) / ".gitignore").read_text(errors="replace").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line[1:] if negate else line
            anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
            pattern = pattern.lstrip("/")
            full = prefix + pattern if anchored else prefix + "**/" + pattern
            lines.append(("!" if negate else "") + full)
    return pathspec.PathSpec.from_lines("gitwildmatch", lines)


def discover(
    paths: Sequence[Path],
    include: Iterable[str] = DEFAULT_INCLUDE,
    exclude: Iterable[str] = (),
    default_excludes: bool = True,
    base: Path | None = None,
) -> Iterator[Candidate]:
    """Files under ``paths``; a file named directly is always taken, as linters do.

    Each is labelled relative to ``base`` when under it (a repository root, or the current
    folder on the command line), else relative to the folder it was found in.
    """
    include_spec = pathspec.PathSpec.from_lines("gitwildmatch", include)
    excludes = [*DEFAULT_EXCLUDE, *exclude] if default_excludes else list(exclude)
    exclude_spec = pathspec.PathSpec.from_lines("gitwildmatch", excludes)
    for given in paths:
        if not given.is_dir():
            yield Candidate(given, given.parent, _label(given, base, given.parent))
            continue
        root = given
        ignored = _gitignore_spec(root)
        for dirpath, dirnames, filenames in os.walk(root):
            rel_dir = Path(dirpath).relative_to(root).as_posix()
            rel_dir = "" if rel_dir == "." else rel_dir + "/"
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not exclude_spec.match_file(rel_dir + d + "/")
                and not ignored.match_file(rel_dir + d + "/")
            )
            for name in sorted(filenames):
                rel = rel_dir + name
                if (
                    include_spec.match_file(rel)
                    and not exclude_spec.match_file(rel)
                    and not ignored.match_file(rel)
                ):
                    path = Path(dirpath) / name
                    yield Candidate(path, root, _label(path, base, root))


def leaves_root(candidate: Candidate) -> bool:
    """A symlink whose target is outside the root must not be read or written through."""
    if not candidate.path.is_symlink():
        return False
    target = candidate.path.resolve()
    return not target.is_relative_to(candidate.root.resolve())
