"""The oldest Python version the code must keep running on: what a codemod may emit."""

from __future__ import annotations

import re
from pathlib import Path

from codemods.base import Version

DEFAULT_TARGET: Version = (3, 9)
_REQUIRES = re.compile(r"""requires-python\s*=\s*["']\s*>=?\s*3\.(\d+)""")


def parse_version(text: str) -> Version:
    """`3.10` or `py310` to (3, 10); a clear error otherwise."""
    match = re.fullmatch(r"(?:py)?3\.?(\d+)", text.strip())
    if not match:
        raise ValueError(f"target version {text!r}: expected a Python 3 version like 3.10")
    return 3, int(match.group(1))


def target_for(path: Path) -> Version:
    """From the nearest pyproject.toml's requires-python, else the default (3.9)."""
    start = path.resolve()
    for folder in [start, *start.parents]:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            match = _REQUIRES.search(pyproject.read_text(errors="replace"))
            return (3, int(match.group(1))) if match else DEFAULT_TARGET
    return DEFAULT_TARGET
