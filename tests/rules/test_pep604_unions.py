"""pep604-unions on whole modules, against ruff's UP007/UP045 (with F401 for the imports)."""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import apply_codemod, output_of, ruff_fix

NAME = "pep604-unions"
RUFF_RULES = "UP007,UP045,F401"

MODULE = '''"""A module typed the Python 3.9 way."""

import typing as t
from typing import (
    Callable,
    Dict,
    List,
    Optional,
    TypeVar,
    Union,
    cast,
)

T = TypeVar("T", bound=Optional[int])
Handlers = Dict[str, Optional[Callable[[int], None]]]
PLAIN = Union[int, str]


def pick(
    first: Optional[Union[int, str]],
    second: Union[int, Optional[str]] = None,
    third: t.Union[int] = 0,
    rest: Optional[
        List[int]
    ] = None,
) -> Union[List[Optional[int]], Dict[str, int], None]:
    value = cast(Optional[int], first)
    return [value]


class Node:
    parent: Optional["Node"] = None
    children: List[Union[int, "Node"]] = []
    depth: t.Optional[int] = None
'''

FUTURE_MODULE = """from __future__ import annotations

from typing import Optional, Union


def f(a: Optional[int], b: Union[int, str]) -> Optional[Union[int, bytes]]:
    c: Union[int, None] = None
    return c


Alias = Optional[int]
"""


def squash_blank_lines(code: str) -> str:
    """libcst removes an import with the blank line before it, ruff keeps that line."""
    return re.sub(r"\n\n+", "\n\n", code)


@pytest.mark.parametrize(
    ("code", "target"),
    [(MODULE, (3, 10)), (MODULE, (3, 13)), (FUTURE_MODULE, (3, 9)), (FUTURE_MODULE, (3, 10))],
    ids=["module-3.10", "module-3.13", "future-3.9", "future-3.10"],
)
def test_agrees_with_ruff(code: str, target: tuple[int, int], tmp_path: Path) -> None:
    result = apply_codemod(NAME, code, target=target)
    expected = ruff_fix(tmp_path, code, RUFF_RULES, target)
    assert squash_blank_lines(output_of(result)) == squash_blank_lines(expected)
    assert result.counts[NAME] > 0


def test_rewrites_and_what_stays() -> None:
    new = output_of(apply_codemod(NAME, MODULE, target=(3, 10)))
    assert "    first: int | str | None,\n" in new
    assert "    second: int | str | None = None,\n" in new
    assert "    third: int = 0,\n" in new
    assert ") -> List[int | None] | Dict[str, int] | None:" in new
    assert "PLAIN = Union[int, str]\n" in new, "a runtime union value keeps its type"
    assert 'parent: Optional["Node"] = None' in new, "'Node' | None raises TypeError"
    assert 'children: List[Union[int, "Node"]] = []' in new


def test_output_runs_and_its_hints_resolve() -> None:
    new = output_of(apply_codemod(NAME, MODULE, target=(3, 10)))
    namespace: dict[str, Any] = {}
    exec(compile(new, "module.py", "exec"), namespace)
    hints = typing.get_type_hints(namespace["pick"])
    assert hints["first"] == int | str | None
    assert str(hints["return"]) == (
        "typing.Union[typing.List[int | None], typing.Dict[str, int], NoneType]"
    )
    node = namespace["Node"]
    node_hints = typing.get_type_hints(node, globalns=namespace)
    assert node_hints["depth"] == int | None
    assert node_hints["parent"] == node | None


def test_nothing_below_3_10_without_future_annotations() -> None:
    assert apply_codemod(NAME, MODULE, target=(3, 9)).new_text is None


def test_runtime_typing_library_keeps_old_spelling_below_3_10() -> None:
    code = FUTURE_MODULE.replace("\n\n", "\nfrom pydantic import BaseModel\n\n", 1)
    assert apply_codemod(NAME, code, target=(3, 9)).new_text is None
    assert apply_codemod(NAME, code, target=(3, 10)).new_text is not None


@pytest.mark.parametrize(
    "code",
    [
        "from typing import Optional\nx: Optional[\n    int  # may be missing\n] = None\n",
        "from typing import List, Optional\nx: Optional[List[T]][int]\n",
        "from typing import Optional, Union\nX = Union[T, U][int, Optional[str]]\n",
        "from typing import Optional\nx: Optional[None] = None\n",
        "from typing import Union\nx: Union[*Ts]\n",
        "from typing import Union\nx: Union[(int, *Ts)]\n",
        "from typing import Literal, Optional\nx: Literal['Optional[int]']\n",
        "from typing import Annotated, Optional\nx: Annotated[int, 'Optional[int]']\n",
    ],
    ids=[
        "comment",
        "subscripted",
        "specialised",
        "optional-none",
        "unpack",
        "unpack-tuple",
        "literal",
        "annotated-metadata",
    ],
)
def test_left_alone(code: str) -> None:
    assert apply_codemod(NAME, code).new_text is None


def test_type_comment_keeps_the_import() -> None:
    code = "from typing import Optional\nx: Optional[int] = None\ny = None  # type: Optional[str]\n"
    assert output_of(apply_codemod(NAME, code)).startswith("from typing import Optional\n")


def test_typing_extensions_and_type_alias() -> None:
    code = "from typing_extensions import Optional, TypeAlias\nMaybe: TypeAlias = Optional[int]\n"
    assert output_of(apply_codemod(NAME, code)) == (
        "from typing_extensions import TypeAlias\nMaybe: TypeAlias = int | None\n"
    )


def test_multiline_member_moves_left_with_the_brackets() -> None:
    code = (
        "from typing import Dict, Optional\n"
        "def f(\n"
        "    handlers: Optional[\n"
        "        Dict[\n"
        "            int,\n"
        "            str,\n"
        "        ]\n"
        "    ] = None,\n"
        "): ...\n"
    )
    assert output_of(apply_codemod(NAME, code)) == (
        "from typing import Dict\n"
        "def f(\n"
        "    handlers: Dict[\n"
        "        int,\n"
        "        str,\n"
        "    ] | None = None,\n"
        "): ...\n"
    )


def test_a_local_variable_annotation_is_never_evaluated(tmp_path: Path) -> None:
    """click 8.1's core.py: `node: t.Optional["Context"] = self` in a method. Python does not
    evaluate a function's variable annotations (PEP 526), so `"Context" | None` is fine there,
    as ruff writes it; anywhere else it would raise TypeError when evaluated."""
    code = (
        "import typing as t\n\nclass Context:\n"
        '    parent: t.Optional["Context"] = None\n\n'
        '    def find(self) -> t.Optional["Context"]:\n'
        '        node: t.Optional["Context"] = self\n'
        '        self.last: t.Optional["Context"] = node\n'
        "        return node\n"
    )
    new = output_of(apply_codemod(NAME, code, target=(3, 10)))
    assert new == ruff_fix(tmp_path, code, RUFF_RULES, (3, 10))
    assert '        node: "Context" | None = self\n' in new
    assert '    parent: t.Optional["Context"] = None\n' in new
    namespace: dict[str, Any] = {}
    exec(compile(new, "click_core.py", "exec"), namespace)
    assert namespace["Context"]().find() is not None


def test_strings_given_to_cast_agree_with_ruff(tmp_path: Path) -> None:
    """click 8.1's types.py: `t.cast("t.Union[str, os.PathLike[str]]", value)`."""
    code = (
        "import os\nimport typing as t\n"
        'value = t.cast("t.Union[str, os.PathLike[str]]", raw)\n'
        'T = t.TypeVar("T", bound="t.Optional[int]")\n'
    )
    new = output_of(apply_codemod(NAME, code, target=(3, 10)))
    assert new == ruff_fix(tmp_path, code, RUFF_RULES, (3, 10))
    assert 'value = t.cast("str | os.PathLike[str]", raw)\n' in new


def test_functional_named_tuple_fields_are_types(tmp_path: Path) -> None:
    """httpx 0.27's _types.py builds a NamedTuple from a list of (name, type) pairs."""
    code = (
        "from typing import NamedTuple, Optional, TypedDict\n"
        'URL = NamedTuple("URL", [("host", str), ("port", Optional[int])])\n'
        'Opts = TypedDict("Opts", {"timeout": Optional[float]}, total=False)\n'
    )
    new = output_of(apply_codemod(NAME, code, target=(3, 10)))
    assert new == ruff_fix(tmp_path, code, RUFF_RULES, (3, 10))
    namespace: dict[str, Any] = {}
    exec(compile(new, "httpx_types.py", "exec"), namespace)
    assert namespace["URL"].__annotations__["port"] == int | None


def test_a_name_bound_to_a_forward_reference_is_not_a_class() -> None:
    """pydantic 1.10's tests: `FooRef = ForwardRef('Foo')` then `b: Optional[FooRef]` in a
    model; `FooRef | None` raises TypeError on 3.10 (ForwardRef has no `|` before 3.11)."""
    code = (
        "from typing import ForwardRef, Optional\n"
        "FooRef = ForwardRef('Foo')\nAlias = 'Foo'\n"
        "class Bar:\n    b: Optional[FooRef]\n    c: Optional[Alias]\n    d: Optional[int]\n"
    )
    new = output_of(apply_codemod(NAME, code, target=(3, 10)))
    assert "    b: Optional[FooRef]\n    c: Optional[Alias]\n    d: int | None\n" in new


def test_a_function_import_goes_with_its_last_read() -> None:
    """pydantic 1.10's test_generics.py: `from typing import ... Union` inside a test, whose
    reads are rewritten, while the module's own `Union` import is still read."""
    code = (
        "from typing import Union\nX = Union[int, str]\n"
        "def test():\n    from typing import List, Union\n    return List[Union[int, float]]\n"
    )
    assert output_of(apply_codemod(NAME, code, target=(3, 10))) == (
        "from typing import Union\nX = Union[int, str]\n"
        "def test():\n    from typing import List\n    return List[int | float]\n"
    )


def test_a_stub_is_never_run() -> None:
    code = "from typing import Optional\ndef f(x: Optional[int]) -> None: ...\n"
    result = apply_codemod(NAME, code, target=(3, 8), path="mod.pyi")
    assert output_of(result) == "def f(x: int | None) -> None: ...\n"


def test_none_first() -> None:
    """rich 13.7's __init__.py: `indent: Union[None, int, str] = 2`."""
    code = "from typing import Union\ndef f(indent: Union[None, int, str] = 2): ...\n"
    new = output_of(apply_codemod(NAME, code, target=(3, 10)))
    assert new == "def f(indent: None | int | str = 2): ...\n"
    namespace: dict[str, Any] = {}
    exec(compile(new, "rich_init.py", "exec"), namespace)
    assert typing.get_type_hints(namespace["f"])["indent"] == int | str | None


def test_a_module_checking_how_types_print_is_reported() -> None:
    """pydantic 1.10's test_utils.py: `display_as_type(list[[Union[str, int]]]) ==
    'list[[Union[str, int]]]'`; `str | int` prints otherwise."""
    code = (
        "from typing import Union\nfrom pydantic.typing import display_as_type\n"
        "def f(x: Union[int, str]) -> None: ...\n"
        "assert display_as_type(list[[Union[str, int]]]) == 'list[[Union[str, int]]]'\n"
    )
    result = apply_codemod(NAME, code, target=(3, 10))
    assert result.new_text is None
    assert len(result.findings) == 1 and "prints" in result.findings[0].message


def test_a_unittest_assertion_on_how_a_union_prints_is_reported() -> None:
    """CPython 3.11's test_typing.py compares `repr(...)` with `'Callable[..., Optional[int]]'`
    in `self.assertEqual`."""
    code = (
        "from typing import Callable, Optional, TypeVar\nimport unittest\nT = TypeVar('T')\n"
        "class T(unittest.TestCase):\n    def test(self) -> None:\n"
        "        self.assertEqual(\n"
        "            repr(Callable[..., Optional[T]][int]), 'Callable[..., Optional[int]]'\n"
        "        )\n"
    )
    result = apply_codemod(NAME, code, target=(3, 10))
    assert result.new_text is None
    assert len(result.findings) == 1
