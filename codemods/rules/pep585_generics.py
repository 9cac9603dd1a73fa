"""pep585-generics: `typing.List[int]` and its siblings become `list[int]` (PEP 585)."""

from __future__ import annotations

import functools

import libcst as cst
from libcst.metadata import PositionProvider

from codemods.base import Codemod, CodemodTransformer, Example, FileContext, Version
from codemods.inplace import transform_in_place
from codemods.qualnames import Form, Group, Index
from codemods.typing_names import (
    Read,
    TypingOptions,
    TypingReads,
    compares,
    evaluates_annotations,
    respelled,
    syntax_scope,
    typing_imports,
)

BUILTINS = {
    "List": "list",
    "Dict": "dict",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Tuple": "tuple",
    "Type": "type",
}
RENAMED = {"Deque": "deque", "DefaultDict": "defaultdict"}  # in collections
ABCS = (
    "Awaitable",
    "Coroutine",
    "AsyncIterable",
    "AsyncIterator",
    "AsyncGenerator",
    "Iterable",
    "Iterator",
    "Generator",
    "Reversible",
    "Container",
    "Collection",
    "Callable",
    "MutableSet",
    "Mapping",
    "MutableMapping",
    "Sequence",
    "MutableSequence",
    "MappingView",
    "KeysView",
    "ItemsView",
    "ValuesView",
    "Hashable",
    "Sized",
)
MOVED = {
    **dict.fromkeys(("OrderedDict", "Counter", "ChainMap"), "collections"),
    **dict.fromkeys(ABCS, "collections.abc"),
    **dict.fromkeys(("Pattern", "Match"), "re"),
}
# Where the new home is not the same object before some version: collections.abc.Callable
# flattens `Callable[[int], str].__args__` on 3.9.0-3.9.1; typing_extensions' Generator and
# AsyncGenerator take PEP 696 defaults that collections.abc's gain in 3.13.
MOVED_SINCE: dict[str, Version] = {
    "typing.Callable": (3, 10),
    "typing_extensions.Callable": (3, 10),
    "typing_extensions.Generator": (3, 13),
    "typing_extensions.AsyncGenerator": (3, 13),
}
STRINGS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)
COMPARED_PARTS = (  # what a compared alias may sit in: `x == Dict[str, List[int]]`, `in (A, B)`
    cst.Subscript,
    cst.SubscriptElement,
    cst.Index,
    cst.Element,
    cst.StarredElement,
    cst.Tuple,
    cst.List,
    cst.Set,
    cst.Dict,
    cst.DictElement,
    cst.BinaryOperation,
    cst.Arg,  # of `self.assertEqual(...)`
)


class Transformer(CodemodTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)  # resolved only when there is a finding

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        reads = TypingReads.of(tree)
        if reads is None:
            return tree
        self.reads = reads
        self.scope = syntax_scope(reads, self.file, (3, 9), self.options)
        if self.scope == "nowhere":
            return tree
        stub = self.file.path.endswith(".pyi")
        self.evaluates = not stub and evaluates_annotations(reads, self.options)
        self.providers: dict[int, str | None] = {}
        if self.scope == "everywhere" and self._checks_types_at_runtime():
            return tree
        for read in list(reads.reads()):
            if read.name in BUILTINS or read.name in RENAMED:
                self._respell(read)
        for index in reads.indexes:
            for group in index.groups:
                self._move(group, index)
        reads.release()
        self.changed(reads.edits.count)
        return reads.apply(tree)

    def _checks_types_at_runtime(self) -> bool:
        """Whether the module compares the aliases, or how they print, at runtime: then it
        is reported and left, since changing some of them changes what it finds."""
        compared = self._compared()
        if compared is not None:
            message = (
                f"`{compared.name}` is compared at runtime, and its new spelling is another "
                "object (`list[int] != typing.List[int]`): the module keeps typing's spelling"
            )
            self.report(compared.occurrence.report_node, message)
            return True
        printed = self.reads.printed((*BUILTINS, *RENAMED, *MOVED))
        if printed is not None:
            message = (
                f"{printed.value} is how a type prints, checked at runtime: the new spelling "
                "prints otherwise (`list[int]`), so the module keeps typing's spelling"
            )
            self.report(printed, message)
            return True
        return False

    def _compared(self) -> Read | None:
        """A read of an alias this codemod replaces that a comparison looks at (`tp ==
        List[int]`, `origin in (List, Dict)`): changing some of a module's aliases would
        change what such a comparison finds."""
        for read in self.reads.reads():
            if read.site is not None or read.name not in (*BUILTINS, *RENAMED, *MOVED):
                continue
            for parent in reversed(read.ancestors):
                if compares(parent):
                    return read
                if not isinstance(parent, COMPARED_PARTS):
                    break
        return None

    def _respell(self, read: Read) -> None:
        if self.scope == "annotations" and not self.reads.in_annotation(read):
            return
        subscripted = _subscripted(read)
        everywhere = self.scope == "everywhere"
        if read.site is not None and not self.reads.in_type(read, int(subscripted), everywhere):
            return  # a string that is not a type: `Literal["List"]`
        if self._forward_reference(read) or (self.evaluates and not subscripted):
            return  # pydantic reads a bare `List` as `List[Any]`, `list` as a class
        if read.name in BUILTINS:
            new: str | None = BUILTINS[read.name]
            if self.reads.rebinds(BUILTINS[read.name], read):
                return
        else:
            new = self._provider(read)
        if new is None:
            return
        path = (*read.ancestors, read.node)
        self.reads.replace(read, read.node, path, functools.partial(respelled, dotted=new))

    def _forward_reference(self, read: Read) -> bool:
        """`List["Node"]` where annotations are evaluated below 3.11: `get_type_hints` turns
        the string into a ForwardRef and resolves it for `typing.List`, not for `list`."""
        parent = read.parent
        if not self.evaluates or self.target >= (3, 11) or not isinstance(parent, cst.Subscript):
            return False
        if parent.value is not read.node:
            return False
        values = [e.slice.value for e in parent.slice if isinstance(e.slice, cst.Index)]
        return any(isinstance(v, STRINGS) for v in values)

    def _provider(self, read: Read) -> str | None:
        """How to spell `collections.deque` for ``read``: through an import there already,
        or a new `from collections import deque` beside the typing import it replaces."""
        key = id(read.group)
        if key not in self.providers:
            self.providers[key] = self._find_provider(read.group, RENAMED[read.name])
        return self.providers[key]

    def _find_provider(self, group: Group, name: str) -> str | None:
        reads = self.reads
        found: dict[Form, str] = {}
        for binding in reads.imports.bindings:
            if not binding.module_level or len(reads.main.bindings_of(binding.local)) > 1:
                continue
            if binding.local in reads.main.bound:
                continue
            if binding.form is Form.FROM and binding.path == f"collections.{name}":
                found.setdefault(Form.FROM, binding.local)
            elif binding.form is Form.IMPORT and binding.local == "collections":
                found.setdefault(Form.IMPORT, f"collections.{name}")
            elif binding.form is Form.IMPORT_AS and binding.path == "collections":
                found.setdefault(Form.IMPORT_AS, f"{binding.local}.{name}")
        for form in (Form.FROM, Form.IMPORT, Form.IMPORT_AS):  # `deque` reads best
            if form in found:
                return found[form]
        if not reads.free(name):
            return None
        anchors = [b for b in group.bindings if b.module_level][:1] or group.bindings
        for anchor in anchors:
            reads.import_edits.add(anchor, "collections", name)
        return name

    def _move(self, group: Group, index: Index) -> None:
        """`from typing import Iterable` becomes `from collections.abc import Iterable`: the
        name stays, what it reads is the class that typing's alias stood for."""
        qualified = group.target
        module, _, name = qualified.rpartition(".")
        if self.scope != "everywhere" or name not in MOVED or module != index.old:
            return
        if self.target < MOVED_SINCE.get(qualified, (3, 9)) or group.form is not Form.FROM:
            return
        if group.unclear or group.local in index.bound:
            return
        if len(index.bindings_of(group.local)) != len(group.bindings):
            return  # also bound by another import: `except ImportError:` fallbacks stay
        for binding in group.bindings:
            if cst.ensure_type(binding.statement, cst.ImportFrom).relative:
                return
        if self.evaluates and not all(map(_subscripted, self.reads.reads_of(group))):
            return  # bare, `Callable` is typing's special form to pydantic, not the ABC
        for binding in group.bindings:
            self.reads.import_edits.move(binding, MOVED[name])
            self.reads.edits.count += 1


def _subscripted(read: Read) -> bool:
    """`List[int]`, where the alias and its new spelling mean the same to every library."""
    parent = read.parent
    return isinstance(parent, cst.Subscript) and parent.value is read.node


class Pep585Generics(Codemod):
    name = "pep585-generics"
    summary = "typing.List[int], Dict, Deque, Iterable... become list[int], dict, deque, ..."
    explanation = (
        "Since Python 3.9 (PEP 585) the builtin and standard collections are generic "
        "themselves, and their `typing` aliases are deprecated. As ruff UP006 does, every "
        "use of `List`, `Dict`, `Set`, `FrozenSet`, `Tuple` and `Type` (from `typing` or "
        "`typing_extensions`), subscripted or bare, in code or in a string annotation, "
        "becomes the builtin, and `Deque` and `DefaultDict` become `deque` and "
        "`defaultdict`, read through a `collections` import already there or a new `from "
        "collections import ...`. As ruff UP035 does, the aliases whose name stays are "
        "imported from their real home: `from typing import Iterable` becomes `from "
        "collections.abc import Iterable` (likewise `OrderedDict`, `Counter`, `ChainMap` "
        "from `collections`, `Pattern`, `Match` from `re`); `Callable` only for Python "
        "3.10+ (on 3.9.0-3.9.1 `collections.abc.Callable` reports its arguments "
        "differently), `typing_extensions`' `Generator` and `AsyncGenerator` only for 3.13+ "
        "(they take type-parameter defaults until then). Their `typing.Iterable` spelling "
        "stays, as it does for ruff: changing it needs another import in every such module. "
        "Imports left unused are removed where they stand (not a re-export `X as X`, nor a "
        "name that `__all__` or a type comment uses), new ones go where isort would put "
        "them. Below 3.9 only annotations of modules with `from __future__ import "
        "annotations` change (they are never evaluated), and nothing where annotations are "
        "evaluated (modules importing pydantic, typer, FastAPI, SQLAlchemy..., or calling "
        "`get_type_hints`); those keep a bare `List` (pydantic reads it as `List[Any]`, "
        "`list` as a class) and, below 3.11, `List['Node']`, whose string "
        "`get_type_hints` resolves inside typing's alias only. A module that compares the "
        "aliases at runtime (`tp == List[int]`), or how they print (`repr(t) == "
        "'List[int]'`), is reported and left as it is: `list[int]` neither equals nor "
        "prints as `typing.List[int]`. Left alone: places where the builtin's name "
        "means something else (a method or parameter called `type`, where ruff writes "
        "`builtins.type`), `AbstractSet` and `ContextManager` (their new names differ), and "
        "`Deque` where the name `deque` is taken."
    )
    url = "https://peps.python.org/pep-0585/"
    version = 3
    triggers = tuple(sorted({n.encode() for n in (*BUILTINS, *RENAMED, *MOVED)}))
    Options = TypingOptions
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """A module that imports nothing from typing is answered before any transformer
        exists (building one costs 20 ms: libcst's matcher set-up)."""
        if typing_imports(module) is None:
            return module
        return transform_in_place(self, module, file)

    examples = (
        Example(
            "import os\nfrom typing import Dict, List\n\n"
            "def f(x: List[int]) -> Dict[str, int]: ...\n",
            "import os\n\ndef f(x: list[int]) -> dict[str, int]: ...\n",
        ),
        Example(
            "import typing\nAlias = typing.Tuple[int, ...]\nok = isinstance(x, typing.List)\n",
            "Alias = tuple[int, ...]\nok = isinstance(x, list)\n",
            title="module import, runtime use, bare alias",
        ),
        Example(
            "from typing import List as L, Optional\nx: Optional[L[int]] = None\n",
            "from typing import Optional\nx: Optional[list[int]] = None\n",
            title="alias, other typing names kept",
        ),
        Example(
            "from typing import Any, Deque, Iterable\n\n"
            "def f(items: Iterable[Any]) -> Deque[Any]: ...\n",
            "from collections import deque\nfrom collections.abc import Iterable\n"
            "from typing import Any\n\n"
            "def f(items: Iterable[Any]) -> deque[Any]: ...\n",
            title="collections and collections.abc",
        ),
        Example(
            "import collections\nfrom typing import DefaultDict\n"
            "counts: DefaultDict[str, int] = collections.defaultdict(int)\n",
            "import collections\n"
            "counts: collections.defaultdict[str, int] = collections.defaultdict(int)\n",
            title="through the collections import already there",
        ),
        Example(
            "from typing import Callable, Mapping\nHandler = Callable[[int], None]\n",
            "from collections.abc import Mapping\nfrom typing import Callable\n"
            "Handler = Callable[[int], None]\n",
            target=(3, 9),
            title="Callable moves for 3.10+ only",
        ),
        Example(
            "from __future__ import annotations\nfrom typing import List\n"
            "def f(x: List[int]) -> None: ...\nAlias = List[int]\n",
            "from __future__ import annotations\nfrom typing import List\n"
            "def f(x: list[int]) -> None: ...\nAlias = List[int]\n",
            target=(3, 8),
            title="future annotations below 3.9: annotations only",
        ),
        Example(
            "from typing import List\ndef f(x: List[int]) -> None: ...\n",
            target=(3, 8),
            title="below 3.9 without future annotations",
        ),
        Example(
            "from __future__ import annotations\nfrom typing import List\nimport pydantic\n"
            "class M(pydantic.BaseModel):\n    x: List[int]\n",
            target=(3, 8),
            title="a runtime-typing library evaluates the annotations",
        ),
        Example(
            "from typing import List\nimport pydantic\n"
            "class Node(pydantic.BaseModel):\n    children: List['Node']\n",
            target=(3, 10),
            title="a forward reference evaluated below 3.11",
        ),
        Example(
            "from typing import Type\nclass C:\n    def type(self): ...\n"
            "    def g(self) -> Type[int]: ...\n",
            title="builtin name rebound in the class",
        ),
        Example(
            "from typing import Type\ndef make(type: Type[T]) -> T:\n    x: Type[T] = type\n",
            "from typing import Type\ndef make(type: type[T]) -> T:\n    x: Type[T] = type\n",
            title="a parameter's annotation is outside the function",
        ),
        Example(
            "from typing import Dict, List\ndef f(x: 'List[int]', y: Dict[str, int]): ...\n",
            "def f(x: 'list[int]', y: dict[str, int]): ...\n",
            title="string annotation",
        ),
        Example(
            "from typing import List, Literal\nx: Literal['List']\n__all__ = ['List']\n",
            title="a string that is not a type, an exported name",
        ),
        Example(
            "try:\n    from typing import OrderedDict\nexcept ImportError:\n"
            "    from typing_extensions import OrderedDict\n",
            title="an import with a fallback",
        ),
        Example(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from typing import Dict\n"
            "def f(x: 'Dict[str, int]') -> None: ...\n",
            "def f(x: 'dict[str, int]') -> None: ...\n",
            title="a TYPE_CHECKING block left empty goes",
        ),
        Example(
            "from typing import List\nx: List[int] = []\n"
            "assert get_type_hints(f)['x'] == List[int]\n",
            findings=1,
            title="aliases compared at runtime",
        ),
        Example("List = make()\nx: List[int] = []\n", title="not typing's"),
        Example(
            "import typing\nx = typing.List.__origin__\ntyping.List = MyList\n",
            title="attributes of the alias, assignments to it",
        ),
        Example("def f(x: list[int]) -> dict: ...  # List[int]\n", title="already fixed"),
    )
