"""What one repository of the sample fleet is, and the files that most of them share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SampleRepo:
    """One repository of the demo fleet, as the single commit it starts from.

    A file's text is written as given, minus one leading newline, so that it can start on
    the line after its opening quotes.
    """

    name: str
    description: str
    files: Mapping[str, str]
    branch: str = "main"
    executable: frozenset[str] = frozenset()

    def texts(self) -> dict[str, str]:
        return {path: text.removeprefix("\n") for path, text in self.files.items()}


GITIGNORE = """
__pycache__/
*.py[cod]
.pytest_cache/
.venv/
build/
dist/
*.egg-info/
.coverage
"""


def pyproject(
    name: str,
    version: str,
    description: str,
    dependencies: Sequence[str],
    src_layout: bool = True,
) -> str:
    """A plain setuptools pyproject; tests import the code through pytest's `pythonpath`."""
    pythonpath = "src" if src_layout else "."
    deps = "".join(f'    "{dependency}",\n' for dependency in dependencies)
    return f"""
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "{version}"
description = "{description}"
readme = "README.md"
requires-python = ">=3.9"
dependencies = [
{deps}]

[project.optional-dependencies]
test = ["pytest>=7"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["{pythonpath}"]
"""
