"""The oldest Python version the code must keep running on: what a codemod may emit."""

from __future__ import annotations

import re
from pathlib import Path

from codemods.base import Version

DEFAULT_TARGET: Version = (3, 9)
# Where a project states its oldest Python: the file, then the setting that holds the spec.
_DECLARATIONS = (
    ("pyproject.toml", re.compile(r"""^\s*requires-python\s*=\s*["']([^"']*)["']""", re.M)),
    ("pyproject.toml", re.compile(r"""^\s*python\s*=\s*["']([^"']*)["']""", re.M)),
    ("setup.cfg", re.compile(r"^\s*python_requires\s*=\s*(.+)$", re.M)),
    ("setup.py", re.compile(r"""python_requires\s*=\s*["']([^"']*)["']""")),
)
# The lower bound in a specifier such as ">=3.8,<4", "~=3.10", "^3.9" or "==3.11.*".
_LOWER_BOUND = re.compile(r"(?:>=|~=|\^|==|>)\s*3\.(\d+)")


def parse_version(text: str) -> Version:
    """`3.10` or `py310` to (3, 10); a clear error otherwise."""
    match = re.fullmatch(r"(?:py)?3\.?(\d+)", text.strip())
    if not match:
        raise ValueError(f"target version {text!r}: expected a Python 3 version like 3.10")
    return 3, int(match.group(1))


def declared_target(folder: Path) -> Version | None:
    """The oldest Python the project in ``folder`` itself declares, if it says.

    Only this folder is read: a repository's clone must not inherit the requirement of
    whatever project happens to contain the workspace.
    """
    for name, setting in _DECLARATIONS:
        path = folder / name
        if not path.is_file():
            continue
        for spec in setting.findall(path.read_text(errors="replace")):
            if bound := _LOWER_BOUND.search(spec):
                return 3, int(bound.group(1))
    return None


def target_for(path: Path) -> Version:
    """What the nearest project around ``path`` declares, else the default (3.9)."""
    start = path.resolve()
    for folder in [start, *start.parents]:
        if (folder / "pyproject.toml").is_file() or (folder / "setup.py").is_file():
            return declared_target(folder) or DEFAULT_TARGET
    return DEFAULT_TARGET
