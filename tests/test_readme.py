"""The README's claims point at tests that exist: a renamed or deleted test cannot leave a
row of the "what happens when" table proving nothing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMED = re.compile(r"`(?:tests/)?(test_\w+\.py)::(test_\w+)(?:\[[^\]`]*\])?`")


def defined_tests(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_readme_names_exists() -> None:
    named = NAMED.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(named) > 50  # the table is there and the pattern still reads it
    missing = sorted(
        f"{module}::{name}"
        for module, name in set(named)
        if not (ROOT / "tests" / module).is_file()
        or name not in defined_tests(ROOT / "tests" / module)
    )
    assert missing == []
