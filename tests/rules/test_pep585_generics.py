"""pep585-generics on whole modules, against ruff's UP006 (with F401 for the imports)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import apply_codemod, output_of, ruff_fix

NAME = "pep585-generics"

MODULE = '''"""A module typed the Python 3.8 way."""

from typing import (
    Any,
    Dict,
    FrozenSet,
    List,
    Set,
    Tuple,
    Type,
)
import typing as t

Registry = Dict[str, Type[Any]]


def collect(items: List[Tuple[int, ...]], seen: Set[int]) -> FrozenSet[int]:
    found: t.List = []
    for item in items:
        found.append(item)
    return frozenset(x for x in seen if isinstance(x, Tuple))


class Box:
    kinds: t.Dict[str, t.Tuple[int, str]] = {}
'''

FUTURE_MODULE = """from __future__ import annotations

from typing import Dict, List


def load(path: str) -> Dict[str, List[int]]:
    data: Dict[str, List[int]] = {}
    return data


Cache = Dict[str, int]
"""


def squash_blank_lines(code: str) -> str:
    """libcst removes an import with the blank line before it, ruff keeps that line."""
    return re.sub(r"\n\n+", "\n\n", code)


@pytest.mark.parametrize(
    ("code", "target"),
    [(MODULE, (3, 9)), (MODULE, (3, 12)), (FUTURE_MODULE, (3, 8)), (FUTURE_MODULE, (3, 9))],
    ids=["module-3.9", "module-3.12", "future-3.8", "future-3.9"],
)
def test_agrees_with_ruff(code: str, target: tuple[int, int], tmp_path: Path) -> None:
    result = apply_codemod(NAME, code, target=target)
    expected = ruff_fix(tmp_path, code, "UP006,F401", target)
    assert squash_blank_lines(output_of(result)) == squash_blank_lines(expected)
    assert result.counts[NAME] > 0


def test_counts_every_rewrite() -> None:
    result = apply_codemod(NAME, MODULE, target=(3, 9))
    assert result.counts == {NAME: 10}
    new = output_of(result)
    assert "from typing import (\n    Any,\n)\n" in new
    assert "import typing as t" not in new


def test_nothing_below_3_9_without_future_annotations() -> None:
    result = apply_codemod(NAME, MODULE, target=(3, 8))
    assert result.new_text is None


def test_keep_runtime_typing_option() -> None:
    options = {"keep_runtime_typing": True}
    assert apply_codemod(NAME, FUTURE_MODULE, options, target=(3, 8)).new_text is None
    assert apply_codemod(NAME, FUTURE_MODULE, options, target=(3, 9)).new_text is not None


def test_runtime_typing_libraries_option() -> None:
    code = FUTURE_MODULE.replace("\n\n", "\nimport attr\n\n", 1)
    assert apply_codemod(NAME, code, target=(3, 8)).new_text is None
    options = {"runtime_typing_libraries": ["pydantic"]}
    assert "-> dict[str, list[int]]" in output_of(apply_codemod(NAME, code, options, (3, 8)))


def test_get_type_hints_in_the_module_keeps_old_spelling_below_3_9() -> None:
    code = FUTURE_MODULE + "HINTS = typing.get_type_hints(load)\n"
    assert apply_codemod(NAME, code, target=(3, 8)).new_text is None
    assert apply_codemod(NAME, code, target=(3, 9)).new_text is not None


def test_unknown_option_is_an_error() -> None:
    with pytest.raises(ValueError, match="keep_runtime"):
        apply_codemod(NAME, MODULE, {"keep_runtime": True})


def test_runtime_typing_libraries_are_package_names() -> None:
    with pytest.raises(ValueError, match=r"pydantic\.v1"):
        apply_codemod(NAME, MODULE, {"runtime_typing_libraries": ["pydantic.v1"]})


@pytest.mark.parametrize(
    "code",
    [
        "from typing import List\ndef f(list: int) -> None:\n    x: List[int] = []\n",
        "from typing import Type\nclass Model:\n    type = 'a'\n    def of(self) -> Type[A]: ...\n",
        "from typing import Dict\ndict = OrderedDict\nx: Dict[str, int] = {}\n",
    ],
    ids=["parameter", "class-attribute", "module-global"],
)
def test_rebound_builtin_is_left(code: str) -> None:
    assert apply_codemod(NAME, code).new_text is None


def test_type_comment_keeps_the_import() -> None:
    code = "from typing import List\nx: List[int] = []\ny = []  # type: List[str]\n"
    assert output_of(apply_codemod(NAME, code)) == (
        "from typing import List\nx: list[int] = []\ny = []  # type: List[str]\n"
    )


def test_typing_extensions_type() -> None:
    code = "from typing_extensions import Type\ndef make(cls: Type[T]) -> T: ...\n"
    assert output_of(apply_codemod(NAME, code)) == "def make(cls: type[T]) -> T: ...\n"


def test_multiline_import_keeps_its_layout() -> None:
    code = "from typing import (\n    Any,\n    List,\n)\nx: List[Any] = []\n"
    assert output_of(apply_codemod(NAME, code)) == (
        "from typing import (\n    Any,\n)\nx: list[Any] = []\n"
    )


def test_output_runs() -> None:
    new = output_of(apply_codemod(NAME, MODULE, target=(3, 9)))
    namespace: dict[str, Any] = {}
    exec(compile(new, "module.py", "exec"), namespace)
    assert str(namespace["Registry"]) == "dict[str, type[typing.Any]]"
    assert namespace["collect"]([], {(1, 2), 3}) == frozenset({(1, 2)})
