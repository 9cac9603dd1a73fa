"""pep604-unions: `Optional[X]` becomes `X | None` and `Union[X, Y]` becomes `X | Y` (PEP 604)."""

from __future__ import annotations

import functools

import libcst as cst
import libcst.matchers as m
from libcst.metadata import PositionProvider

from codemods.base import Codemod, CodemodTransformer, Example, FileContext
from codemods.inplace import transform_in_place
from codemods.qualnames import SCOPES
from codemods.typing_names import Read, TypingOptions, TypingReads, syntax_scope, typing_imports

OPTIONAL = "Optional"
UNION = "Union"
NONE = "None"


class Transformer(CodemodTransformer):
    """Rewrites unions where a type is expected, as ruff UP007/UP045 do.

    Those places are annotations, and, at runtime, `TypeAlias` values, `cast` and
    `TypeVar` arguments, and the arguments of a standard generic (`List[Optional[int]]`).
    A union built anywhere else is a runtime value whose type changes (`types.UnionType`
    has no `__origin__`), so it stays.
    """

    METADATA_DEPENDENCIES = (PositionProvider,)  # resolved only when there is a finding

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        reads = TypingReads.of(tree, others=("collections",))
        if reads is None:
            return tree
        self.reads = reads
        self.scope = syntax_scope(reads, self.file, (3, 10), self.options)
        if self.scope == "nowhere":
            return tree
        printed = reads.printed((OPTIONAL, UNION)) if self.scope == "everywhere" else None
        if printed is not None:
            message = (
                f"{printed.value} is how a type prints, checked at runtime: `X | None` prints "
                "otherwise, so the module keeps typing's spelling"
            )
            self.report(printed, message)
            return tree
        for read in list(reads.reads()):
            if read.name in (OPTIONAL, UNION):
                self._union(read)
        reads.release()
        self.changed(reads.edits.count)
        return reads.apply(tree)

    def _union(self, read: Read) -> None:
        subscript = read.parent
        if not isinstance(subscript, cst.Subscript) or subscript.value is not read.node:
            return
        if not self._allowed(subscript, read):
            return
        local = _local_annotation(read)
        members = _members(subscript, local)
        if members is None or not members:
            return
        if not local and any(_name_of(m) in self.reads.main.not_types for m in members):
            return  # `FooRef = ForwardRef("Foo")`, `X = "Foo"`: `FooRef | None` raises TypeError
        if read.name == OPTIONAL and (len(members) != 1 or _is_none(members[0])):
            return
        if "#" in cst.Module([]).code_for_node(subscript):
            return  # a comment inside, which the rewrite would lose
        edit = functools.partial(_rewrite, optional=read.name == OPTIONAL, strings=local)
        self.reads.replace(read, subscript, read.ancestors, edit)

    def _allowed(self, subscript: cst.Subscript, read: Read) -> bool:
        """Whether the union is a type expression the target can evaluate there."""
        return self.reads.in_type(read, 1, self.scope == "everywhere")


def _local_annotation(read: Read) -> bool:
    """Whether the union annotates a variable of a function, which Python never evaluates
    (PEP 526): there `"Node" | None` is as good as `Optional["Node"]`."""
    if read.site is not None:
        return False
    ancestors = read.ancestors
    annotation = max(
        (i for i, node in enumerate(ancestors) if isinstance(node, cst.Annotation)), default=0
    )
    if annotation < 1 or not isinstance(ancestors[annotation - 1], cst.AnnAssign):
        return False
    scopes = [n for n in ancestors[:annotation] if isinstance(n, SCOPES)]
    return bool(scopes) and isinstance(scopes[-1], cst.FunctionDef)


def _rewrite(node: cst.CSTNode, optional: bool, strings: bool) -> cst.CSTNode:
    updated = cst.ensure_type(node, cst.Subscript)
    members = _members(updated, strings)
    assert members, "checked on the original"
    if optional and not any(_is_none(leaf) for leaf in _flatten(members[0])):
        members = [*members, cst.Name(NONE)]
    members = _dedented(members, _inner_indent(updated))
    return _union(members).with_changes(lpar=updated.lpar, rpar=updated.rpar)


def _members(subscript: cst.Subscript, strings: bool) -> list[cst.BaseExpression] | None:
    """The union's members, or None when one of them cannot simply be joined with `|`
    (a string can where the union is never evaluated)."""
    members = []
    for element in subscript.slice:
        if not isinstance(element.slice, cst.Index) or element.slice.star is not None:
            return None
        members.append(element.slice.value)
    if len(members) == 1 and isinstance(members[0], cst.Tuple):  # Union[(int, str)]
        elements = members[0].elements
        if any(isinstance(e, cst.StarredElement) for e in elements):
            return None
        members = [e.value for e in elements]
    return members if all(_joinable(m, strings) for m in members) else None


def _joinable(member: cst.BaseExpression, strings: bool) -> bool:
    """Members that `|` can join without parentheses and that support `|` at runtime.

    A string (a forward reference) does not: `"Foo" | None` raises TypeError.
    """
    if isinstance(member, cst.SimpleString):
        return strings
    if isinstance(member, cst.BinaryOperation):
        return isinstance(member.operator, cst.BitOr)
    return isinstance(member, (cst.Name, cst.Attribute, cst.Subscript))


def _name_of(member: cst.BaseExpression) -> str | None:
    return member.value if isinstance(member, cst.Name) else None


def _flatten(member: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(member, cst.BinaryOperation) and not member.lpar:
        return [*_flatten(member.left), *_flatten(member.right)]
    return [member]


def _is_none(member: cst.BaseExpression) -> bool:
    return isinstance(member, cst.Name) and member.value == NONE


def _inner_indent(subscript: cst.Subscript) -> int:
    """How much deeper than the closing bracket the members of a one-per-line union sit."""
    opening = subscript.lbracket.whitespace_after
    closing = subscript.rbracket.whitespace_before
    if not isinstance(opening, cst.ParenthesizedWhitespace):
        return 0
    if not isinstance(closing, cst.ParenthesizedWhitespace):
        return 0
    return len(opening.last_line.value) - len(closing.last_line.value)


class _Dedent(cst.CSTTransformer):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def leave_ParenthesizedWhitespace(
        self, original: cst.ParenthesizedWhitespace, updated: cst.ParenthesizedWhitespace
    ) -> cst.ParenthesizedWhitespace:
        kept = updated.last_line.value[self.width :]
        return updated.with_changes(last_line=cst.SimpleWhitespace(kept))


def _dedented(members: list[cst.BaseExpression], width: int) -> list[cst.BaseExpression]:
    """Members that spanned lines inside `Optional[...]`, moved left as the brackets go.

    `Optional[\n    Dict[\n        int,\n    ]\n]` becomes `Dict[\n    int,\n] | None`.
    """
    if width <= 0:
        return members
    for member in members:
        lines = m.findall(member, m.ParenthesizedWhitespace())
        indents = [cst.ensure_type(w, cst.ParenthesizedWhitespace).last_line.value for w in lines]
        if any(not indent.startswith(" " * width) for indent in indents):
            return members
    return [cst.ensure_type(member.visit(_Dedent(width)), cst.BaseExpression) for member in members]


def _union(members: list[cst.BaseExpression]) -> cst.BaseExpression:
    result = members[0]
    for member in members[1:]:
        result = cst.BinaryOperation(result, cst.BitOr(), member)
    return result


class Pep604Unions(Codemod):
    name = "pep604-unions"
    summary = "Optional[X] becomes X | None and Union[X, Y] becomes X | Y in type expressions"
    explanation = (
        "Since Python 3.10 (PEP 604) unions are written with `|`: `Optional[X]` becomes "
        "`X | None` and `Union[X, Y]` becomes `X | Y`, nested unions are flattened and "
        "`Union[X]` becomes `X`, as ruff UP007/UP045 fix them, string annotations "
        "included; the `typing` imports left unused are removed where they stand. Only type "
        "expressions are rewritten: annotations, and at runtime `TypeAlias` values, the "
        "arguments of `cast`, `TypeVar` and `NewType`, the fields of `NamedTuple(...)` and "
        "`TypedDict(...)`, the arguments of `List[...]` and other standard generics; not "
        "`Literal` values or `Annotated` metadata: a union built as a runtime value would "
        "change type (a `typing.Union` equals its `|` spelling, but `get_origin` differs). "
        "Below a 3.10 target only annotations of modules with `from __future__ import "
        "annotations` are rewritten (and strings given to `cast`, never evaluated), and not "
        "where a library evaluates them at runtime (pydantic, typer, FastAPI, "
        "SQLAlchemy...). Left alone: unions with a string member (`Optional['Foo']`: "
        "`'Foo' | None` raises TypeError when evaluated) except in a function's variable "
        "annotations, which Python never evaluates; members bound to a string or a "
        "`ForwardRef(...)` (no `|` before 3.11); unions with a comment inside, which the "
        "rewrite would lose. A module that checks how a union prints (`display(t) == "
        "'Union[int, str]'`) is reported and left as it is."
    )
    url = "https://peps.python.org/pep-0604/"
    version = 3
    triggers = (b"Optional", b"Union")
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
            "import os\nfrom typing import Optional, Union\n\n"
            "def f(x: Optional[int], y: Union[int, str] = 0) -> None: ...\n",
            "import os\n\ndef f(x: int | None, y: int | str = 0) -> None: ...\n",
        ),
        Example(
            "import typing as t\nx: t.Optional[t.Union[int, str]] = None\ny: t.Union[int] = 1\n",
            "x: int | str | None = None\ny: int = 1\n",
            title="nested, single member, module alias",
        ),
        Example(
            "from typing import List, Optional, cast\nAlias = List[Optional[int]]\n"
            "value = cast(Optional[int], raw)\n",
            "from typing import List, cast\nAlias = List[int | None]\n"
            "value = cast(int | None, raw)\n",
            title="type expressions at runtime",
        ),
        Example(
            "from typing import Optional\nT = Optional[int]\nok = isinstance(x, Optional[int])\n",
            title="runtime union values stay",
        ),
        Example(
            "from typing import Optional, Union\n"
            "def f(x: Optional['Foo'], y: Union[int, 'Bar'], z: 'Optional[int]'): ...\n",
            "from typing import Optional, Union\n"
            "def f(x: Optional['Foo'], y: Union[int, 'Bar'], z: 'int | None'): ...\n",
            title="forward references; a string annotation",
        ),
        Example(
            "from typing import Annotated, Literal, Optional\n"
            "x: Annotated[Optional[int], Optional[int]]\ny: Literal['Optional[int]']\n",
            "from typing import Annotated, Literal, Optional\n"
            "x: Annotated[int | None, Optional[int]]\ny: Literal['Optional[int]']\n",
            title="Annotated metadata and Literal values are not types",
        ),
        Example(
            "from __future__ import annotations\nfrom typing import Optional\n"
            "def f(x: Optional[int]) -> None: ...\nT = Optional[int]\n",
            "from __future__ import annotations\nfrom typing import Optional\n"
            "def f(x: int | None) -> None: ...\nT = Optional[int]\n",
            target=(3, 9),
            title="future annotations below 3.10: annotations only",
        ),
        Example(
            "from typing import Optional\ndef f(x: Optional[int]) -> None: ...\n",
            target=(3, 9),
            title="below 3.10 without future annotations",
        ),
        Example(
            "from typing import Optional\nx: Optional[\n    int  # why\n] = None\n",
            title="a comment inside",
        ),
        Example("Optional = make()\nx: Optional[int] = None\n", title="not typing's"),
        Example("x: int | None = None  # Optional[int]\n", title="already fixed"),
    )
