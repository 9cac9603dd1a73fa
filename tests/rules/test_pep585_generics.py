"""pep585-generics on whole modules, against ruff's UP006 (with F401 for the imports)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from codemods.qualnames import index_module
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


COLLECTIONS_MODULE = '''"""Collections typed the Python 3.8 way."""

import re
from typing import (
    Any,
    Callable,
    ChainMap,
    Counter,
    DefaultDict,
    Deque,
    Iterable,
    Mapping,
    OrderedDict,
    Pattern,
)

WORD: Pattern[str] = re.compile(r"\\w+")


def count(words: Iterable[str]) -> Counter[str]: ...


def index(lines: Iterable[str], key: Callable[[str], str]) -> DefaultDict[str, Deque[str]]: ...


def merged(*maps: Mapping[str, Any]) -> ChainMap[str, Any]: ...


ordered: OrderedDict[str, int]
'''


@pytest.mark.parametrize("target", [(3, 9), (3, 10)], ids=["3.9", "3.10"])
def test_collections_agree_with_ruff(target: tuple[int, int], tmp_path: Path) -> None:
    """UP006 for Deque/DefaultDict, UP035 for the names that keep their spelling; isort
    (ruff puts its new imports elsewhere) and blank lines aside, the same module."""
    result = apply_codemod(NAME, COLLECTIONS_MODULE, target=target)
    expected = ruff_fix(tmp_path, COLLECTIONS_MODULE, "UP006,UP035,F401,I001", target)
    ours = ruff_fix(tmp_path, output_of(result), "I001", target)
    assert squash_blank_lines(ours) == squash_blank_lines(expected)
    moved = "Callable, Iterable, Mapping" if target >= (3, 10) else "Iterable, Mapping"
    assert f"from collections.abc import {moved}\n" in output_of(result)


def test_collections_imports_go_where_isort_puts_them() -> None:
    new = output_of(apply_codemod(NAME, COLLECTIONS_MODULE, target=(3, 10)))
    assert new.startswith(
        '"""Collections typed the Python 3.8 way."""\n\n'
        "import re\n"
        "from collections import ChainMap, Counter, OrderedDict, defaultdict, deque\n"
        "from collections.abc import Callable, Iterable, Mapping\n"
        "from re import Pattern\n"
        "from typing import (\n    Any,\n)\n"
    )
    assert "-> defaultdict[str, deque[str]]: ..." in new


def test_an_existing_from_import_reads_best() -> None:
    """rich 13.7's pretty.py has both `import collections` and `from collections import
    defaultdict`: `defaultdict[...]`, not `collections.defaultdict[...]`."""
    code = (
        "import collections\nfrom collections import defaultdict\nfrom typing import DefaultDict\n"
        "def braces(obj: DefaultDict[str, int]) -> None: ...\n"
    )
    assert output_of(apply_codemod(NAME, code)) == (
        "import collections\nfrom collections import defaultdict\n"
        "def braces(obj: defaultdict[str, int]) -> None: ...\n"
    )


def test_a_new_import_joins_the_module_import_in_order() -> None:
    """pydantic 1.10's class_validators.py: `from collections import ChainMap` is there."""
    code = (
        "from collections import ChainMap\nfrom functools import wraps\n"
        "from typing import Any, Deque, Iterable\n"
        "def f(x: Iterable[Any]) -> Deque[Any]: ...\n"
    )
    assert output_of(apply_codemod(NAME, code)) == (
        "from collections import ChainMap, deque\nfrom collections.abc import Iterable\n"
        "from functools import wraps\nfrom typing import Any\n"
        "def f(x: Iterable[Any]) -> deque[Any]: ...\n"
    )


def test_runtime_comparisons_are_reported_and_the_module_left() -> None:
    """attrs 23.2's tests/test_annotations.py compares the resolved annotation with
    `typing.List[int]`; rewriting the annotation, the comparison or both breaks it on 3.9
    (`list[int] != typing.List[int]`, and `list["int"]` is never resolved)."""
    code = (
        "import typing\nimport attr\n\n"
        "@attr.s(auto_attribs=True)\nclass A:\n"
        "    a: typing.List[int]\n    b: typing.List['int']\n\n"
        "attr.resolve_types(A)\nassert typing.List[int] == attr.fields(A).b.type\n"
    )
    result = apply_codemod(NAME, code, target=(3, 9))
    assert result.new_text is None
    assert [(f.line, f.column) for f in result.findings] == [(10, 8)]
    assert "compared at runtime" in result.findings[0].message


@pytest.mark.parametrize(
    ("target", "kept"), [((3, 9), True), ((3, 10), True), ((3, 11), False)], ids=str
)
def test_forward_reference_where_annotations_are_evaluated(
    target: tuple[int, int], kept: bool
) -> None:
    """get_type_hints resolves `typing.List["Node"]` but leaves `list["Node"]` as it is
    below 3.11: a pydantic model of a tree would stop validating its children."""
    code = (
        "from typing import Dict, List\nfrom pydantic import BaseModel\n\n"
        "class Node(BaseModel):\n    children: List['Node']\n    tags: Dict[str, int]\n"
    )
    new = output_of(apply_codemod(NAME, code, target=target))
    assert ("children: List['Node']" in new) == kept
    assert "tags: dict[str, int]" in new


def test_a_module_header_comment_stays() -> None:
    """pytest 8.2's pytester_assertions.py: the comment above its first import is the
    module's explanation; removing the import must not remove it."""
    code = (
        '"""Helper plugin."""\n\n# This plugin contains assertions used by pytester.\n'
        "from typing import Dict\nfrom typing import Sequence\n\n"
        "def f(x: Dict[str, int], y: Sequence[int]) -> None: ...\n"
    )
    assert output_of(apply_codemod(NAME, code)) == (
        '"""Helper plugin."""\n\n# This plugin contains assertions used by pytester.\n'
        "from collections.abc import Sequence\n\n"
        "def f(x: dict[str, int], y: Sequence[int]) -> None: ...\n"
    )


def test_a_method_named_like_the_builtin() -> None:
    """pydantic 1.10's BaseModel has a `dict` method: in its class body `dict[...]` would
    name the method (ruff writes `builtins.dict`); outside the class it is the builtin."""
    code = (
        "from typing import Dict\nclass BaseModel:\n    fields: Dict[str, int] = {}\n"
        "    def dict(self) -> Dict[str, int]:\n        x: Dict[str, int] = {}\n        return x\n"
        "def g() -> Dict[str, int]: ...\n"
    )
    assert output_of(apply_codemod(NAME, code)) == (
        "from typing import Dict\nclass BaseModel:\n    fields: Dict[str, int] = {}\n"
        "    def dict(self) -> Dict[str, int]:\n        x: dict[str, int] = {}\n        return x\n"
        "def g() -> dict[str, int]: ...\n"
    )


def test_a_stub_is_never_run() -> None:
    code = "from typing import Deque, List\ndef f(x: List[int]) -> Deque[int]: ...\n"
    result = apply_codemod(NAME, code, target=(3, 8), path="mod.pyi")
    assert output_of(result) == (
        "from collections import deque\ndef f(x: list[int]) -> deque[int]: ...\n"
    )
    assert apply_codemod(NAME, code, target=(3, 8)).new_text is None


def test_a_function_import_goes_with_its_last_read() -> None:
    """pydantic 1.10's tests import typing names again inside functions; such an import is
    used up when the function's reads are rewritten, whatever the module's import still
    reads (here an attribute of the alias, which stays)."""
    code = (
        "from typing import List\nORIGIN = List.__origin__\n"
        "def f():\n    from typing import Any, List\n    y: List[Any] = []\n    return y\n"
    )
    assert output_of(apply_codemod(NAME, code)) == (
        "from typing import List\nORIGIN = List.__origin__\n"
        "def f():\n    from typing import Any\n    y: list[Any] = []\n    return y\n"
    )


def test_cast_strings_are_types_never_evaluated() -> None:
    """werkzeug 3.0's utils.py: `t.cast("...", value)`; a string cast is never evaluated, so
    below 3.9 it may use the new spelling as annotations do."""
    code = (
        "from __future__ import annotations\nimport typing as t\n"
        'value = t.cast("t.List[str]", raw)\nother = t.cast(t.List[str], raw)\n'
    )
    assert output_of(apply_codemod(NAME, code, target=(3, 8))) == (
        "from __future__ import annotations\nimport typing as t\n"
        'value = t.cast("list[str]", raw)\nother = t.cast(t.List[str], raw)\n'
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from typing import List\n"
            "\n\ndef f(x: 'List[int]') -> None: ...\n",
            "def f(x: 'list[int]') -> None: ...\n",
        ),
        (
            "import typing\nif typing.TYPE_CHECKING: from typing import Dict\n"
            "x: 'Dict[str, int]'\n",
            "x: 'dict[str, int]'\n",
        ),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from os import PathLike\n"
            "    from typing import List\nx: 'List[PathLike[str]]'\n",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from os import PathLike\n"
            "x: 'list[PathLike[str]]'\n",
        ),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from typing import List\n"
            "else:\n    List = list\nx: 'List[int]'\n",
            None,
        ),
    ],
    ids=["block", "one-line", "other-imports", "else"],
)
def test_a_type_checking_block_left_empty_goes(code: str, expected: str | None) -> None:
    """Not `if TYPE_CHECKING: pass`; the TYPE_CHECKING import goes too when that was its
    last read."""
    assert output_of(apply_codemod(NAME, code)) == (code if expected is None else expected)


def test_a_literal_value_is_not_a_read_of_the_alias() -> None:
    code = "from typing import List, Literal\nx: Literal['List']\ny: List[int]\n"
    assert output_of(apply_codemod(NAME, code)) == (
        "from typing import Literal\nx: Literal['List']\ny: list[int]\n"
    )


def test_a_parameter_named_like_the_alias_is_not_a_read() -> None:
    """pytest 8.2's terminal.py imports `typing.final` and has a parameter `final`: such a
    name binds, it does not read the import (nor is it renamed)."""
    code = (
        "from typing import List\nx: List[int] = []\n"
        "def f(self, List: int = 0) -> int:\n    return List\n"
    )
    assert output_of(apply_codemod(NAME, code)) == (
        "x: list[int] = []\ndef f(self, List: int = 0) -> int:\n    return List\n"
    )


def test_a_pragma_follows_the_names_it_covers() -> None:
    """aiohttp 3.9's worker.py: `from typing import Any, Awaitable, Callable, ...  # noqa`;
    the names moved out of the line keep being covered (F401 would flag them otherwise)."""
    code = "from typing import Any, Awaitable, Callable, Optional  # noqa\nx: Awaitable[Any]\n"
    assert output_of(apply_codemod(NAME, code)) == (
        "from collections.abc import Awaitable, Callable  # noqa\n"
        "from typing import Any, Optional  # noqa\nx: Awaitable[Any]\n"
    )


def test_only_real_type_comments_keep_imports() -> None:
    """mypy 1.10's semanal.py has code commented out with a type comment in it,
    `# locals = None  # type: List[...]`, which is no type comment: the import goes."""
    code = (
        "from typing import Dict, List\nx: List[int] = []\n"
        "# locals = None  # type: List[int]\ny = {}  # type: Dict[str, int]\n"
        "z = 1  # type: ignore[misc]  # List of things\n"
    )
    assert output_of(apply_codemod(NAME, code)) == (
        "from typing import Dict\nx: list[int] = []\n"
        "# locals = None  # type: List[int]\ny = {}  # type: Dict[str, int]\n"
        "z = 1  # type: ignore[misc]  # List of things\n"
    )


def test_an_explicit_re_export_stays() -> None:
    """typeshed's typing_extensions.pyi (in mypy 1.10) re-exports `Deque as Deque`, `List as
    List`...: its own uses are rewritten, the names it exports are not taken away."""
    code = (
        "from typing import Deque as Deque, List as List, Dict\n"
        "def f(x: Deque[int], y: List[int], z: Dict[str, int]) -> None: ...\n"
    )
    assert output_of(apply_codemod(NAME, code, path="typing_extensions.pyi")) == (
        "from collections import deque\nfrom typing import Deque as Deque, List as List\n"
        "def f(x: deque[int], y: list[int], z: dict[str, int]) -> None: ...\n"
    )


RUNTIME_MODULE = """from __future__ import annotations

from typing import TYPE_CHECKING, Deque, Dict, List, Optional, Tuple, Type, Union, cast

if TYPE_CHECKING:
    from typing_extensions import TypeAlias

Pairs: TypeAlias = List[Tuple[str, int]]
Table = Dict[str, List[int]]


class Stack(List[int]):
    def top(self) -> Optional[int]:
        return self[-1] if self else None


def load(raw: object, kind: Type[Stack] = Stack) -> Union[Stack, Deque[int]]:
    items = cast(List[int], raw)
    assert isinstance(items, List) and isinstance(Table, type(Dict[str, int]))
    return kind(items)


assert load([1, 2]).top() == 2
"""


def target_python(version: tuple[int, int]) -> str:
    """An interpreter of ``version`` that runs (pyenv's shims exist for versions it does not
    activate)."""
    name = f"python{version[0]}.{version[1]}"
    pyenv = sorted(Path.home().glob(f".pyenv/versions/{version[0]}.{version[1]}.*/bin/{name}"))
    for candidate in [shutil.which(name), *map(str, pyenv)]:
        if candidate and subprocess.run([candidate, "-c", "pass"], check=False).returncode == 0:
            return candidate
    pytest.skip(f"no {name} here")


@pytest.mark.parametrize("target", [(3, 8), (3, 9), (3, 10)], ids=str)
def test_the_output_runs_on_the_target_python(target: tuple[int, int], tmp_path: Path) -> None:
    """Below 3.9 only the annotations change (never evaluated under the future import); the
    runtime positions (a TypeAlias value, an implicit alias, a base class, cast, isinstance)
    keep typing's spelling until the target can run the new one."""
    first = output_of(apply_codemod(NAME, RUNTIME_MODULE, target=target))
    new = output_of(apply_codemod("pep604-unions", first, target=target))
    assert "def top(self) -> int | None:" in new and "-> Stack | deque[int]:" in new
    assert ("class Stack(list[int]):" in new) == (target >= (3, 9))
    assert ("cast(list[int], raw)" in new) == (target >= (3, 9))
    module = tmp_path / "runtime_module.py"
    module.write_text(new)
    python = target_python(target)
    run = subprocess.run([python, str(module)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


def test_a_bare_alias_stays_where_annotations_are_evaluated() -> None:
    """pydantic 1.10's test_main.py: `bar: List = Field(None, min_items=0)`; pydantic reads a
    bare `List` as `List[Any]` and a bare `list` as a plain class, whose `min_items` it
    refuses; a bare `Callable` is typing's special form to it, the ABC is a class. Their
    subscripted forms mean the same."""
    code = (
        "from typing import Callable, List\nfrom pydantic import BaseModel, Field\n"
        "class Foo(BaseModel):\n    bar: List = Field(None, min_items=0)\n    baz: List[int]\n"
        "    call: Callable\n"
    )
    assert output_of(apply_codemod(NAME, code, target=(3, 10))) == code.replace(
        "baz: List[int]", "baz: list[int]"
    )


@pytest.mark.parametrize(
    "check",
    [
        "assert repr(Foo.__fields__['foo']) == \"ModelField(type=List[List[int]])\"\n",
        "CASES = [(List[Tuple[int, int]], 'List[Tuple[int, int]]')]\n",
    ],
    ids=["compared", "paired"],
)
def test_a_module_checking_how_types_print_is_reported(check: str) -> None:
    """pydantic 1.10's test_edge_cases.py compares the printed form of annotations with
    strings that spell typing's aliases; the new spelling prints otherwise."""
    code = (
        "from typing import List, Tuple\nfrom pydantic import BaseModel\n"
        "class Foo(BaseModel):\n    foo: List[List[int]]\n" + check
    )
    result = apply_codemod(NAME, code, target=(3, 10))
    assert result.new_text is None
    assert len(result.findings) == 1 and "prints" in result.findings[0].message


def test_a_unittest_assertion_is_a_comparison() -> None:
    """CPython 3.11's test_types.py: `self.assertEqual(typing.List[int] | None, ...)`."""
    code = (
        "import typing\nimport unittest\nclass T(unittest.TestCase):\n"
        "    def test(self, x: typing.List[int]) -> None:\n"
        "        self.assertEqual(typing.List[int] | None, typing.Union[typing.List[int], None])\n"
    )
    result = apply_codemod(NAME, code, target=(3, 10))
    assert result.new_text is None
    assert [f.line for f in result.findings] == [5]


SCOPES_MODULE = """
from typing import Dict, List, Optional, Tuple
try:
    from typing import Protocol
except ImportError:
    from typing_extensions import Protocol

def f(List: int, x: List[int]) -> List[int]:
    return List

class C(Protocol):
    Dict = dict
    a: Dict[str, int]
    def m(self) -> Dict[str, int]:
        y: Dict[str, int] = {}
        return [Tuple for Tuple in y][0]

def g():
    global Optional
    Optional = None

z = [List[i] for i in range(3)]
"""


def test_reads_resolve_as_libcsts_scope_analysis_says() -> None:
    """The typing codemods attribute reads from the scopes their walk saw, not libcst's
    analysis (12 s on mypy's checkexpr.py); they must never take for a read of an import
    what libcst does not (a parameter, a class attribute, a comprehension variable)."""
    module = cst.parse_module(SCOPES_MODULE)
    exact, light = index_module(module, "typing"), index_module(module, "typing", light=True)
    assert exact is not None and light is not None
    for precise, quick in zip(exact.groups, light.groups, strict=True):
        read = {id(o.chain[-1]) for o in precise.chains}
        maybe = read | {id(o.chain[-1]) for o in precise.unclear}
        assert {id(o.chain[-1]) for o in quick.chains} <= read, precise.local
        assert {id(o.chain[-1]) for o in quick.unclear} <= maybe, precise.local
    lists = next(g for g in light.groups if g.local == "List")
    assert len(lists.chains) == 3  # `x: List[int]`, `-> List[int]`, `z = [List[i] ...]`
