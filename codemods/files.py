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
    """A file to consider: where it is, the root it must not leave, and the name it is shown by.

    ``excluded`` marks a file named directly that an exclude pattern matches: it is
    reported as skipped rather than silently dropped, so a pre-commit hook says why.
    """

    path: Path
    root: Path
    relpath: str
    excluded: bool = False


def _label(path: Path, base: Path | None, root: Path) -> str:
    """Relative to ``base``; a file outside it keeps its full path, so labels stay unique."""
    if base is None:
        return path.relative_to(root).as_posix()
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else path.as_posix()


def _gitignore_lines(folder: Path, prefix: str) -> list[str]:
    """``folder``'s .gitignore patterns, anchored to ``prefix`` (the folder, seen from the top)."""
    ignore_file = folder / ".gitignore"
    if not ignore_file.is_file():
        return []
    lines: list[str] = []
    for raw in ignore_file.read_text(errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
        full = "/" + prefix + ("" if anchored else "**/") + pattern.lstrip("/")
        lines.append(("!" if negate else "") + full)
    return lines


def _work_tree(root: Path) -> Path | None:
    return next((f for f in [root, *root.parents] if (f / ".git").exists()), None)


def _gitignore_spec(root: Path) -> tuple[pathspec.GitIgnoreSpec, str]:
    """Patterns from every .gitignore that applies under ``root``, and ``root``'s prefix.

    Those of the folders between the repository's top and ``root`` count too, as they do
    for git, unless they ignore ``root`` itself: a folder named on purpose is looked at.
    """
    root = root.absolute()
    top = _work_tree(root) or root
    prefix = "" if top == root else root.relative_to(top).as_posix() + "/"
    outer: list[str] = []
    for folder in reversed(root.parents):
        if folder.is_relative_to(top):
            outer += _gitignore_lines(folder, _prefix(folder, top))
    if pathspec.GitIgnoreSpec.from_lines(outer).match_file(prefix):
        outer = []
    inner: list[str] = []
    for dirpath, dirnames, _ in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        inner += _gitignore_lines(Path(dirpath), _prefix(Path(dirpath), top))
    return pathspec.GitIgnoreSpec.from_lines(outer + inner), prefix


def _prefix(folder: Path, top: Path) -> str:
    rel = folder.relative_to(top).as_posix()
    return "" if rel == "." else rel + "/"


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
    include_spec = pathspec.GitIgnoreSpec.from_lines(include)
    excludes = [*DEFAULT_EXCLUDE, *exclude] if default_excludes else list(exclude)
    exclude_spec = pathspec.GitIgnoreSpec.from_lines(excludes)
    seen: set[str] = set()
    for given in paths:
        if given.is_dir():
            found = _walk(given, include_spec, exclude_spec, base)
        else:
            label = _label(given, base, given.parent)
            excluded = exclude_spec.match_file(label)
            found = iter([Candidate(given, given.parent, label, excluded)])
        for candidate in found:
            key = os.path.abspath(candidate.path)
            if key not in seen:
                seen.add(key)
                yield candidate


def _walk(
    root: Path, include: pathspec.GitIgnoreSpec, exclude: pathspec.GitIgnoreSpec, base: Path | None
) -> Iterator[Candidate]:
    ignored, prefix = _gitignore_spec(root)
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not exclude.match_file(rel_dir + d + "/")
            and not ignored.match_file(prefix + rel_dir + d + "/")
        )
        for name in sorted(filenames):
            rel = rel_dir + name
            if (
                include.match_file(rel)
                and not exclude.match_file(rel)
                and not ignored.match_file(prefix + rel)
            ):
                path = Path(dirpath) / name
                yield Candidate(path, root, _label(path, base, root))


def leaves_root(candidate: Candidate) -> bool:
    """A symlink whose target is outside the root must not be read or written through."""
    if not candidate.path.is_symlink():
        return False
    target = candidate.path.resolve()
    return not target.is_relative_to(candidate.root.resolve())
