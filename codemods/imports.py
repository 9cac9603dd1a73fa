"""libcst's RemoveImportsVisitor, keeping the layout around what it removes.

RemoveImportsVisitor decides well which imports are unused, but edits the text carelessly:
an import line goes with the blank line above it (a module docstring then touches the next
import, import groups merge), and the last name of a black-style import takes the trailing
comma and the line break with it (`    Any)`). Transformers that mix in `TidyImports` get the
same removals with the layout a person would leave.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import libcst as cst
from libcst.codemod import Codemod, CodemodCommand, CodemodContext
from libcst.codemod.visitors import RemoveImportsVisitor

Block = TypeVar("Block", cst.Module, cst.IndentedBlock)
Unused = tuple[str, str | None, str | None]  # module, name, alias: RemoveImportsVisitor's form


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
        """Give the blank lines above a removed import to the statement that follows it."""
        if not any(statement in self.removed for statement in original.body):
            return updated
        kept = iter(updated.body)
        body: list[cst.BaseStatement] = []
        blank: Sequence[cst.EmptyLine] = ()
        for statement in original.body:
            if statement in self.removed:
                blank = blank or [line for line in statement.leading_lines if not line.comment]
                continue
            new = next(kept)
            if blank and not new.leading_lines:
                new = new.with_changes(leading_lines=blank)
            body.append(new)
            blank = ()
        return updated.with_changes(body=body)


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
