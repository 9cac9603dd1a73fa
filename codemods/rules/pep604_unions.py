"""pep604-unions: `Optional[X]` becomes `X | None` and `Union[X, Y]` becomes `X | Y` (PEP 604)."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext

from codemods.base import Codemod, CodemodTransformer, Example, FileContext
from codemods.imports import TidyImports, imports_any
from codemods.rules.pep585_generics import (
    TypingOptions,
    release_import,
    syntax_scope,
    type_comment_names,
)

OPTIONAL = ("typing.Optional", "typing_extensions.Optional")
UNION = ("typing.Union", "typing_extensions.Union")
TYPE_ALIAS = ("typing.TypeAlias", "typing_extensions.TypeAlias")
CAST = ("typing.cast", "typing_extensions.cast")
TYPE_VAR = ("typing.TypeVar", "typing_extensions.TypeVar")
NOT_TYPES = ("typing.Literal", "typing_extensions.Literal")
ANNOTATED = ("typing.Annotated", "typing_extensions.Annotated")
GENERIC_MODULES = ("typing.", "typing_extensions.", "collections.abc.")
GENERIC_CLASSES = frozenset(
    {
        *(f"builtins.{n}" for n in ("list", "dict", "set", "frozenset", "tuple", "type")),
        *(f"collections.{n}" for n in ("deque", "defaultdict", "OrderedDict", "Counter")),
        "collections.ChainMap",
    }
)
NONE = "None"


class Transformer(TidyImports, CodemodTransformer):
    """Rewrites unions where a type is expected, as ruff UP007/UP045 do.

    Those places are annotations, and, at runtime, `TypeAlias` values, `cast` and
    `TypeVar` arguments, and the arguments of a standard generic (`List[Optional[int]]`).
    A union built anywhere else is a runtime value whose type changes (`types.UnionType`
    has no `__origin__`), so it stays.
    """

    def __init__(self, context: CodemodContext, codemod: Codemod, file: FileContext) -> None:
        super().__init__(context, codemod, file)
        self.annotation_depth = 0
        self.type_depth = 0
        self.type_roots: set[cst.CSTNode] = set()
        self.tight: set[cst.CSTNode] = set()

    def visit_Module(self, node: cst.Module) -> bool:
        self.scope = syntax_scope(node, self.target, (3, 10), self.options)
        self.kept_imports = type_comment_names(node)
        return self.scope != "nowhere"

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node in self.type_roots:
            self.type_depth += 1
        return super().on_visit(node)

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        result = super().on_leave(original, updated)
        if original in self.type_roots:
            self.type_depth -= 1
        return result  # type: ignore[return-value]

    def visit_Annotation(self, node: cst.Annotation) -> None:
        self.annotation_depth += 1

    def leave_Annotation(self, original: cst.Annotation, updated: cst.Annotation) -> cst.Annotation:
        self.annotation_depth -= 1
        return updated

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and self.refers_to(node.annotation.annotation, *TYPE_ALIAS):
            self.type_roots.add(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        self.tight.add(node.func)
        if self.refers_to(node.func, *CAST) and node.args:
            self.type_roots.add(node.args[0].value)
        elif self.refers_to(node.func, *TYPE_VAR):
            self.type_roots.update(
                a.value for a in node.args[1:] if a.keyword is None or a.keyword.value == "bound"
            )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.tight.add(node.value)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.tight.add(node.value)
        if self._is_generic(node.value):
            elements = node.slice[:1] if self.refers_to(node.value, *ANNOTATED) else node.slice
            self.type_roots.update(e.slice for e in elements)

    def _is_generic(self, value: cst.BaseExpression) -> bool:
        """`List`, `typing.Dict`, `list`...; not a specialisation like `Union[T, U][...]`."""
        if not isinstance(value, (cst.Name, cst.Attribute)):
            return False
        names = self.qualified_names(value)
        if names & set(NOT_TYPES):
            return False
        return bool(names & GENERIC_CLASSES) or any(n.startswith(GENERIC_MODULES) for n in names)

    def leave_Subscript(
        self, original: cst.Subscript, updated: cst.Subscript
    ) -> cst.BaseExpression:
        if not isinstance(original.value, (cst.Name, cst.Attribute)):
            return updated
        kind = self.refers_to(original.value, *OPTIONAL, *UNION)
        if kind is None or not self._allowed(original):
            return updated
        members = _members(updated)
        if members is None or not members:
            return updated
        if kind in OPTIONAL:
            if len(members) != 1 or _is_none(members[0]):
                return updated
            if not any(_is_none(leaf) for leaf in _flatten(members[0])):
                members = [*members, cst.Name(NONE)]
        self.changed()
        release_import(self.context, original.value, self.kept_imports)
        members = _dedented(members, _inner_indent(updated))
        return _union(members).with_changes(lpar=updated.lpar, rpar=updated.rpar)

    def _allowed(self, node: cst.Subscript) -> bool:
        """In a type expression the target can evaluate, where no comment would be lost."""
        if node in self.tight or m.findall(node, m.Comment()):
            return False
        if self.scope == "annotations":
            return self.annotation_depth > 0
        return self.annotation_depth > 0 or self.type_depth > 0


def _members(subscript: cst.Subscript) -> list[cst.BaseExpression] | None:
    """The union's members, or None when one of them cannot simply be joined with `|`."""
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
    return members if all(map(_joinable, members)) else None


def _joinable(member: cst.BaseExpression) -> bool:
    """Members that `|` can join without parentheses and that support `|` at runtime.

    A string (a forward reference) does not: `"Foo" | None` raises TypeError.
    """
    if isinstance(member, cst.BinaryOperation):
        return isinstance(member.operator, cst.BitOr)
    return isinstance(member, (cst.Name, cst.Attribute, cst.Subscript))


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
        "`Union[X]` becomes `X`, as ruff UP007/UP045 fix them; the `typing` imports left "
        "unused are removed. Only type expressions are rewritten (annotations, `TypeAlias` "
        "values, `cast`/`TypeVar` arguments, arguments of `List[...]` and other standard "
        "generics): a union built as a runtime value would change type. Below a 3.10 "
        "target only annotations of modules with `from __future__ import annotations` "
        "are rewritten, and not where a library evaluates them at runtime (pydantic, "
        "typer, FastAPI, SQLAlchemy...). Left alone: string annotations, unions with a "
        "string member (`Optional['Foo']`: `'Foo' | None` raises TypeError when "
        "evaluated), and unions with a comment inside, which the rewrite would lose."
    )
    url = "https://peps.python.org/pep-0604/"
    triggers = (b"Optional", b"Union")
    Options = TypingOptions
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Without an import of typing there is nothing to do: no scope analysis."""
        if not imports_any(module, "typing", "typing_extensions"):
            return module
        return super().transform(module, file)

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
            title="forward references and string annotations",
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
