"""Who owns the files a change touches, by the repository's CODEOWNERS file, as GitHub reads it.

GitHub takes the first of `.github/CODEOWNERS`, `CODEOWNERS` and `docs/CODEOWNERS`; each
line is a gitignore-style pattern and its owners (`@user`, `@org/team` or an email), and
for each file the last matching line wins (a line without owners leaves a file unowned).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pathspec

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

Rule = tuple[pathspec.GitIgnoreSpec, list[str]]


def owners_for(root: Path, paths: Iterable[str]) -> list[str]:
    """The owners (users and `org/team`, without `@`) of ``paths``, in order of first
    appearance; emails are left out, since a review is requested from a GitHub account."""
    rules = _rules(root)
    found: list[str] = []
    for path in paths:
        for spec, owners in reversed(rules):
            if spec.match_file(path):
                found += owners
                break
    return list(dict.fromkeys(found))


def _rules(root: Path) -> list[Rule]:
    for location in LOCATIONS:
        file = root / location
        if file.is_file():
            return _parse(file.read_text(encoding="utf-8", errors="replace"))
    return []


def _parse(text: str) -> list[Rule]:
    rules: list[Rule] = []
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        pattern = fields[0].replace("\\#", "#")
        owners = []
        for owner in fields[1:]:
            if owner.startswith("#"):
                break  # a trailing comment
            if owner.startswith("@"):
                owners.append(owner[1:])
        rules.append((pathspec.GitIgnoreSpec.from_lines([pattern]), owners))
    return rules
