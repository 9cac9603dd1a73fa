"""Imports: finding them cheaply, and editing them keeping the layout a person would leave.

A codemod whose pattern needs an import (of `typing`, `mock`, `pkg_resources`...) can learn
from `imported_modules` whether a module has one, walking statements only, before it pays
for scope analysis: on a large module that is hundreds of times cheaper.

RemoveImportsVisitor decides well which imports are unused, but edits the text carelessly:
an import line goes with the blank line above it (a module docstring then touches the next
import, import groups merge), and the last name of a black-style import takes the trailing
comma and the line break with it (`    Any)`). Transformers that mix in `TidyImports` get the
same removals with the layout a person would leave.

A codemod that already knows which imports its rewrites used up (`codemods.qualnames` tells
it) needs no second analysis at all: `ImportEdits` drops, moves and adds names in place,
new imports where isort would put them, comments and pragmas kept.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

import libcst as cst
from libcst.codemod import Codemod, CodemodCommand, CodemodContext
from libcst.codemod.visitors import RemoveImportsVisitor
from libcst.helpers import get_full_name_for_node

from codemods.calls import closing_comma
from codemods.qualnames import Binding, Form, Imports, Line, suites
from codemods.renaming import Edits

Block = TypeVar("Block", cst.Module, cst.IndentedBlock)
StatementT = TypeVar("StatementT", bound=cst.BaseStatement)
Unused = tuple[str, str | None, str | None]  # module, name, alias: RemoveImportsVisitor's form


def imports_in(node: cst.Module | cst.BaseSuite) -> Iterator[cst.Import | cst.ImportFrom]:
    """Every import statement in a module (or block), at any depth, walking statements only
    (libcst's `children` would build every node's list of children on the way)."""
    lines = [node] if isinstance(node, cst.SimpleStatementSuite) else node.body
    for statement in lines:
        if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            yield from (s for s in statement.body if isinstance(s, (cst.Import, cst.ImportFrom)))
        elif isinstance(statement, cst.BaseCompoundStatement):
            for _between, suite in suites(statement):
                yield from imports_in(suite)


def imported_modules(module: cst.Module) -> set[str]:
    """The absolute modules a module imports from, anywhere: `a.b` for `from a.b import c`."""
    found: set[str] = set()
    for statement in imports_in(module):
        if isinstance(statement, cst.Import):
            found.update(get_full_name_for_node(alias.name) or "" for alias in statement.names)
        elif not statement.relative and statement.module is not None:
            found.add(get_full_name_for_node(statement.module) or "")
    return found


def imports_any(module: cst.Module, *packages: str) -> bool:
    """Whether the module imports one of ``packages`` or a module inside one."""
    roots = {name.partition(".")[0] for name in imported_modules(module)}
    return not roots.isdisjoint(packages)


class TidyRemoveImportsVisitor(RemoveImportsVisitor):
    def __init__(
        self,
        context: CodemodContext,
        unused_imports: Sequence[tuple[str, str | None, str | None]] = (),
    ) -> None:
        super().__init__(context, unused_imports)
        self.removed: set[cst.SimpleStatementLine] = set()

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom | cst.RemovalSentinel:
        result = super().leave_ImportFrom(original_node, updated_node)
        if isinstance(result, cst.ImportFrom) and _lost_trailing_comma(original_node, result):
            names = list(cst.ensure_type(result.names, Sequence))
            newline = cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(""))
            names[-1] = names[-1].with_changes(comma=cst.Comma(whitespace_after=newline))
            return result.with_changes(names=names)
        return result

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        if not updated_node.body:  # libcst drops the line after this
            self.removed.add(original_node)
        return updated_node

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return self._carry_blank_lines(original_node, updated_node)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return self._carry_blank_lines(original_node, updated_node)

    def _carry_blank_lines(self, original: Block, updated: Block) -> Block:
        """Give the lines above a removed import to the statement that follows it."""
        if not any(statement in self.removed for statement in original.body):
            return updated
        kept = iter(updated.body)
        body: list[cst.BaseStatement] = []
        above = Above()
        for statement in original.body:
            if statement in self.removed:
                above.add(statement.leading_lines)
                continue
            body.append(above.give(next(kept), first=not body and _bare_top(updated)))
        return updated.with_changes(body=body)


class Above:
    """The lines above statements that were removed, for the statement that follows.

    Comments always go to it (a module's header, a note about a block must not be lost);
    blank lines only when it has none of its own, so that groups stay apart without growing.
    """

    def __init__(self) -> None:
        self.lines: list[cst.EmptyLine] = []
        self.blank: Sequence[cst.EmptyLine] = ()
        self.removed = False

    def add(self, lines: Sequence[cst.EmptyLine]) -> None:
        self.lines += lines
        self.blank = self.blank or lines
        self.removed = True

    def give(self, statement: StatementT, first: bool = False) -> StatementT:
        """``statement`` with the lines above; ``first`` in its block, where blank lines left
        on top (everything above it was removed) would open the block."""
        lines, self.lines, blank, self.blank = self.lines, [], self.blank, ()
        removed, self.removed = self.removed, False
        if any(line.comment for line in lines):
            statement = statement.with_changes(leading_lines=[*lines, *statement.leading_lines])
        elif blank and not statement.leading_lines:
            statement = statement.with_changes(leading_lines=blank)
        if first and removed:
            leading = list(statement.leading_lines)
            while leading and leading[0].comment is None:
                leading.pop(0)
            statement = statement.with_changes(leading_lines=leading)
        return statement


def _bare_top(block: cst.Module | cst.IndentedBlock) -> bool:
    """Whether nothing is written above a block's first statement (a module's header comments
    want the blank lines below them)."""
    return not isinstance(block, cst.Module) or not block.header


def _lost_trailing_comma(original: cst.ImportFrom, updated: cst.ImportFrom) -> bool:
    if isinstance(updated.names, cst.ImportStar) or updated.lpar is None:
        return False
    return _has_trailing_comma(original) and not _has_trailing_comma(updated)


def _has_trailing_comma(node: cst.ImportFrom) -> bool:
    """One name a line, and a comma after the last: the layout black keeps."""
    names, lpar = node.names, node.lpar
    if isinstance(names, cst.ImportStar) or lpar is None or not names:
        return False
    one_per_line = isinstance(lpar.whitespace_after, cst.ParenthesizedWhitespace)
    return one_per_line and isinstance(names[-1].comma, cst.Comma)


class TidyImports(CodemodCommand):
    """Mixin for codemod transformers: unused imports go through TidyRemoveImportsVisitor."""

    def _instantiate_and_run(self, transform: type[Codemod], tree: cst.Module) -> cst.Module:
        if transform is RemoveImportsVisitor:
            transform = TidyRemoveImportsVisitor
        return super()._instantiate_and_run(transform, tree)


def _dotted(dotted: str) -> cst.Name | cst.Attribute:
    node: cst.Name | cst.Attribute = cst.Name(dotted.split(".")[0])
    for part in dotted.split(".")[1:]:
        node = cst.Attribute(node, cst.Name(part))
    return node


def _alias(name: str, asname: str | None) -> cst.ImportAlias:
    return cst.ImportAlias(cst.Name(name), cst.AsName(cst.Name(asname)) if asname else None)


def isort_key(name: str) -> tuple[int, str]:
    """isort's and ruff's default order of imported names: CONSTANTS, Classes, functions."""
    rank = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return rank, name


def _order(names: Sequence[str]) -> Callable[[str], object] | None:
    """The key the names are sorted by (isort's, plain, case-blind), if any."""
    keys: list[Callable[[str], object]] = [isort_key, str, str.lower]
    return next((key for key in keys if list(names) == sorted(names, key=key)), None)


def joined(names: Sequence[cst.ImportAlias], alias: cst.ImportAlias) -> list[cst.ImportAlias]:
    """``names`` with ``alias`` added: in order if they are sorted, else last; separated
    like the names already there (one a line stays one a line)."""
    names = list(names)
    key = _order([a.evaluated_name for a in names])
    index = len(names)
    if key is not None:
        new = key(alias.evaluated_name)
        index = next((i for i, a in enumerate(names) if key(a.evaluated_name) > new), index)  # type: ignore[operator]
    separator = next(
        (a.comma for a in names[:-1]), cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    )
    if index == len(names):
        last = names[-1]
        return [
            *names[:-1],
            last.with_changes(comma=separator),
            alias.with_changes(comma=last.comma),
        ]
    return [*names[:index], alias.with_changes(comma=separator), *names[index:]]


def from_import(module: str, aliases: Sequence[cst.ImportAlias], width: int = 88) -> cst.ImportFrom:
    """``from module import a, b`` in isort's order; black's one-a-line form past ``width``."""
    ordered = sorted(aliases, key=lambda a: isort_key(a.evaluated_name))
    space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    names = [a.with_changes(comma=space) for a in ordered[:-1]] + [ordered[-1]]
    statement = cst.ImportFrom(_dotted(module), names)
    if len(cst.Module([]).code_for_node(statement)) <= width:
        return statement
    line = cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace("    "))
    comma = cst.Comma(whitespace_after=line)
    close = cst.Comma(whitespace_after=cst.ParenthesizedWhitespace(indent=True))
    names = [a.with_changes(comma=comma) for a in ordered[:-1]]
    names.append(ordered[-1].with_changes(comma=close))
    return statement.with_changes(
        names=names, lpar=cst.LeftParen(whitespace_after=line), rpar=cst.RightParen()
    )


@dataclass(eq=False)
class _Line:
    """What happens to one line of imports: names added to its statements or beside it, or
    the whole statement removed (an `if TYPE_CHECKING:` block left without imports)."""

    line: Line | cst.BaseCompoundStatement
    ancestors: tuple[cst.CSTNode, ...]
    before: dict[str, list[cst.ImportAlias]] = field(default_factory=dict)  # module -> names
    after: dict[str, list[cst.ImportAlias]] = field(default_factory=dict)
    pragmas: dict[str, str] = field(default_factory=dict)  # module -> pragma of its source
    removed: bool = False

    @property
    def block(self) -> cst.CSTNode:
        """The node whose edit carries this line's: its block, or the one-line suite itself."""
        return self.line if isinstance(self.line, cst.SimpleStatementSuite) else self.ancestors[-1]


class ImportEdits:
    """Edits of a module's imports, made where they stand, as a person would make them.

    A name is dropped from its statement (the statement goes when it is left empty, its
    blank lines going to the next one; a block left empty gets `pass`); a name is added to a
    `from module import ...` already in the same block, in order, or to a new statement
    beside the import that needed it. libcst's Add/RemoveImportsVisitor would copy the module
    and run a second scope analysis to learn what the caller knows already, and put new
    imports at the top of the module, out of `try:` and `if TYPE_CHECKING:` blocks.
    """

    def __init__(self, imports: Imports) -> None:
        self.imports = imports
        self.dropped: set[int] = set()
        self.moved: dict[int, tuple[Binding, str]] = {}
        self.joined: dict[int, list[cst.ImportAlias]] = {}
        self.lines: dict[int, _Line] = {}
        self._added: set[tuple[int, str, str, str | None]] = set()

    def drop(self, binding: Binding) -> None:
        self.dropped.add(id(binding.alias))
        self._line(binding.line, binding.ancestors)

    def remove(
        self, statement: cst.BaseCompoundStatement, ancestors: tuple[cst.CSTNode, ...]
    ) -> None:
        """Remove ``statement`` (in the block that ends ``ancestors``) as a whole."""
        self.lines[id(statement)] = _Line(statement, ancestors, removed=True)

    def empties(self, suite: cst.BaseSuite) -> bool:
        """Whether the names dropped so far leave nothing in ``suite`` but imports of them."""
        lines = [suite] if isinstance(suite, cst.SimpleStatementSuite) else suite.body
        for line in lines:
            if not isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                return False
            for small in line.body:
                if not isinstance(small, (cst.Import, cst.ImportFrom)):
                    return False
                if isinstance(small.names, cst.ImportStar):
                    return False
                if any(id(alias) not in self.dropped for alias in small.names):
                    return False
        return True

    def move(self, binding: Binding, module: str) -> None:
        """``from m import x [as y]`` becomes ``from module import x [as y]``."""
        self.moved[id(binding.alias)] = (binding, module)
        self._line(binding.line, binding.ancestors)

    def add(self, anchor: Binding, module: str, name: str, asname: str | None = None) -> None:
        """Import ``name`` from ``module`` where ``anchor`` is (module level: everywhere)."""
        line = self._line(anchor.line, anchor.ancestors)
        key = (id(line.block), module, name, asname)
        if key in self._added:
            return
        self._added.add(key)
        alias = _alias(name, asname)
        into = self._joinable(module, line)
        if into is not None:
            self.joined.setdefault(id(into.statement), []).append(alias)
            self._line(into.line, into.ancestors)
            return
        target, below = self._place(module, line)
        (target.after if below else target.before).setdefault(module, []).append(alias)
        pragma = _pragma(line.line)
        if pragma is not None:
            target.pragmas.setdefault(module, pragma)

    def _place(self, module: str, anchor: _Line) -> tuple[_Line, bool]:
        """Where a new `from module import ...` goes: (next to which line, below it).

        Where isort would put it in the anchor's group of imports when the group is in
        isort's order (plain imports, then `from` imports by module); else beside the anchor:
        above a `from typing import` (collections and re sort before typing), below an
        `import typing` or a `from __future__` import.
        """
        line = anchor.line
        if isinstance(line, cst.SimpleStatementSuite):
            return anchor, False
        body = list(cast("cst.Module | cst.IndentedBlock", anchor.ancestors[-1]).body)
        group = _import_group(body, next(i for i, s in enumerate(body) if s is line))
        froms = [(_from_module(body[i]), i) for i in group if _from_module(body[i]) is not None]
        keys = [cast(str, name).lower() for name, _ in froms]
        if group and keys == sorted(keys):
            new = module.lower()
            at = next((i for key, (_, i) in zip(keys, froms, strict=True) if key > new), None)
            if at is not None:
                return self._line(body[at], anchor.ancestors), False  # type: ignore[arg-type]
            last = froms[-1][1] if froms else group[-1]
            return self._line(body[last], anchor.ancestors), True  # type: ignore[arg-type]
        below = any(
            isinstance(s, cst.Import) or (isinstance(s, cst.ImportFrom) and _is_future(s))
            for s in line.body
        )
        return anchor, below

    def _line(self, line: Line, ancestors: tuple[cst.CSTNode, ...]) -> _Line:
        return self.lines.setdefault(id(line), _Line(line, ancestors))

    def _joinable(self, module: str, line: _Line) -> Binding | None:
        """A ``from module import ...`` in the block of ``line`` that stays."""
        for other in self.imports.bindings:
            same_block = other.line is line.line or (
                isinstance(other.line, cst.SimpleStatementLine)
                and isinstance(line.line, cst.SimpleStatementLine)
                and other.ancestors[-1] is line.ancestors[-1]
            )
            statement = other.statement
            if (
                same_block
                and isinstance(statement, cst.ImportFrom)
                and not statement.relative
                and other.form is Form.FROM
                and other.module == module
                and id(other.alias) not in self.dropped
                and id(other.alias) not in self.moved
            ):
                return other
        return None

    def register(self, edits: Edits) -> None:
        """Put every import edit into ``edits`` (one edit per block)."""
        self._settle_moves()
        blocks: dict[int, tuple[cst.CSTNode, tuple[cst.CSTNode, ...], list[_Line]]] = {}
        for line in self.lines.values():
            path = (*line.ancestors, line.line) if line.block is line.line else line.ancestors
            blocks.setdefault(id(line.block), (line.block, path, []))[2].append(line)
        for block, path, lines in blocks.values():
            plans = {id(line.line): line for line in lines}
            edit = functools.partial(self._edit, original=block, plans=plans)
            edits.add(block, path, edit)

    def _settle_moves(self) -> None:
        """A statement whose every name moves to one module keeps its layout and changes
        its module; otherwise each moved name is dropped here and added there."""
        self.swapped: dict[int, str] = {}
        by_statement: dict[int, list[tuple[Binding, str]]] = {}
        for binding, module in self.moved.values():
            by_statement.setdefault(id(binding.statement), []).append((binding, module))
        for moves in by_statement.values():
            statement = cst.ensure_type(moves[0][0].statement, cst.ImportFrom)
            modules = {module for _, module in moves}
            whole = len(moves) == len(statement.names)  # type: ignore[arg-type]
            if whole and len(modules) == 1 and id(statement) not in self.joined:
                self.swapped[id(statement)] = modules.pop()
                continue
            for binding, module in moves:
                self.dropped.add(id(binding.alias))
                asname = binding.local if binding.alias.asname else None
                self.add(binding, module, binding.path.rpartition(".")[2], asname)

    # -- applying --------------------------------------------------------------------------

    def _edit(
        self, updated: cst.CSTNode, original: cst.CSTNode, plans: dict[int, _Line]
    ) -> cst.CSTNode:
        if isinstance(original, cst.SimpleStatementSuite):
            suite = cst.ensure_type(updated, cst.SimpleStatementSuite)
            before, kept, after = self._rebuild_line(original, suite, plans[id(original)])
            small = [*before, *kept, *after]
            return suite.with_changes(body=_semicolons(small, suite.body) or [cst.Pass()])
        block = cast("cst.Module | cst.IndentedBlock", updated)
        old_body = cast("cst.Module | cst.IndentedBlock", original).body
        body: list[cst.BaseStatement] = []
        above = Above()
        for old, new in zip(old_body, block.body, strict=True):
            plan = plans.get(id(old))
            if plan is not None and plan.removed:
                above.add(new.leading_lines)
                continue
            if plan is None:
                statements = [new]
            else:
                line = cst.ensure_type(new, cst.SimpleStatementLine)
                statements = self._lines(cst.ensure_type(old, cst.SimpleStatementLine), line, plan)
                if not statements:
                    above.add(new.leading_lines)
                    continue
            first = not body and _bare_top(block)
            body.extend([above.give(statements[0], first), *statements[1:]])
        if not body and isinstance(block, cst.IndentedBlock):
            body = [cst.SimpleStatementLine([cst.Pass()])]
        return block.with_changes(body=body)

    def _lines(
        self, old: cst.SimpleStatementLine, new: cst.SimpleStatementLine, plan: _Line
    ) -> list[cst.BaseStatement]:
        before, kept, after = self._rebuild_line(old, new, plan)
        lines = [self._new_line(s, plan) for s in [*before, *after]]
        if not kept:
            if lines:
                lines[0] = lines[0].with_changes(leading_lines=new.leading_lines)
            return list(lines)
        line = new.with_changes(body=_semicolons(kept, new.body))
        if not before:
            return [line, *lines]
        first = lines[0].with_changes(leading_lines=new.leading_lines)
        return [first, *lines[1:], line.with_changes(leading_lines=())]

    @staticmethod
    def _new_line(statement: cst.ImportFrom, plan: _Line) -> cst.SimpleStatementLine:
        """A line for a new import, with the pragma (`# noqa`) of the import it comes from."""
        pragma = plan.pragmas.get(get_full_name_for_node(statement.module) or "")
        if pragma is None:
            return cst.SimpleStatementLine([statement])
        comment = cst.TrailingWhitespace(cst.SimpleWhitespace("  "), cst.Comment(pragma))
        return cst.SimpleStatementLine([statement], trailing_whitespace=comment)

    def _rebuild_line(
        self, old: Line, new: Line, plan: _Line
    ) -> tuple[list[cst.ImportFrom], list[cst.BaseSmallStatement], list[cst.ImportFrom]]:
        """(new statements before the line, what the line keeps, new statements after it)."""
        kept: list[cst.BaseSmallStatement] = []
        for small in new.body:
            rebuilt = (
                self._statement(small) if isinstance(small, (cst.Import, cst.ImportFrom)) else small
            )
            if rebuilt is not None:
                kept.append(rebuilt)
        before = [from_import(m, names) for m, names in sorted(plan.before.items())]
        after = [from_import(m, names) for m, names in sorted(plan.after.items())]
        return before, kept, after

    def _statement(self, small: cst.Import | cst.ImportFrom) -> cst.BaseSmallStatement | None:
        if isinstance(small.names, cst.ImportStar):
            return small
        module = self.swapped.get(id(small))
        if module is not None:
            return small.with_changes(module=_dotted(module))
        names = list(small.names)
        kept = [a for a in names if id(a) not in self.dropped]
        joins = self.joined.get(id(small), [])
        if not kept:
            if not joins:
                return None
            kept, joins = [joins[0].with_changes(comma=names[-1].comma)], joins[1:]
        elif kept[-1] is not names[-1]:
            kept[-1] = kept[-1].with_changes(comma=closing_comma(kept[-1].comma, names[-1].comma))
        for alias in joins:
            kept = joined(kept, alias)
        return small.with_changes(names=kept)


PRAGMA = re.compile(r"#\s*(noqa|type:\s*ignore|pragma|pylint:|nosec|isort:)", re.IGNORECASE)


def _pragma(line: cst.CSTNode) -> str | None:
    """The comment that tells a tool about an import line (`# noqa: F401`), if any: it
    applies to the names that move out of the line too."""
    comments = []
    if isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        comments.append(line.trailing_whitespace.comment)
        for small in line.body:
            after = (
                small.lpar.whitespace_after
                if isinstance(small, cst.ImportFrom) and small.lpar
                else None
            )
            if isinstance(after, cst.ParenthesizedWhitespace):
                comments.append(after.first_line.comment)
    return next((c.value for c in comments if c is not None and PRAGMA.match(c.value)), None)


def _import_group(body: Sequence[cst.BaseStatement], index: int) -> list[int]:
    """The indexes of the import lines around ``body[index]`` with no blank line between
    them (isort's section), `from __future__` excluded; empty if it is not such a line."""
    if not _is_import_line(body[index]):
        return []
    start = index
    while start > 0 and not _after_blank(body[start]) and _is_import_line(body[start - 1]):
        start -= 1
    end = index
    while (
        end + 1 < len(body) and _is_import_line(body[end + 1]) and not _after_blank(body[end + 1])
    ):
        end += 1
    return list(range(start, end + 1))


def _is_import_line(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return all(
        isinstance(s, cst.Import) or (isinstance(s, cst.ImportFrom) and not _is_future(s))
        for s in statement.body
    )


def _after_blank(statement: cst.BaseStatement) -> bool:
    return any(line.comment is None for line in statement.leading_lines)


def _from_module(statement: cst.BaseStatement) -> str | None:
    """The module of a line's `from module import ...` (relative ones sort last: None)."""
    first = cst.ensure_type(statement, cst.SimpleStatementLine).body[0]
    if not isinstance(first, cst.ImportFrom) or first.relative or first.module is None:
        return None
    return get_full_name_for_node(first.module)


def _is_future(statement: cst.ImportFrom) -> bool:
    return isinstance(statement.module, cst.Name) and statement.module.value == "__future__"


def _semicolons(
    body: list[cst.BaseSmallStatement], original: Sequence[cst.BaseSmallStatement]
) -> list[cst.BaseSmallStatement]:
    """``body`` separated by semicolons, the last one ending as the original line did."""
    separator = cst.Semicolon(whitespace_after=cst.SimpleWhitespace(" "))
    fixed = [
        s if isinstance(s.semicolon, cst.Semicolon) else s.with_changes(semicolon=separator)
        for s in body[:-1]
    ]
    if body:
        fixed.append(body[-1].with_changes(semicolon=original[-1].semicolon))
    return fixed
