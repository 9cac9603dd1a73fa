"""mock-to-unittest-mock: the `mock` backport becomes the standard library's `unittest.mock`."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node
from libcst.metadata import QualifiedNameProvider, QualifiedNameSource

from codemods.base import Codemod, CodemodTransformer, Example, FileContext, Version
from codemods.imports import imports_any, imports_in

# unittest.mock's public names, with the Python version that added the newer ones.
STDLIB_NAMES: dict[str, Version] = {
    **dict.fromkeys(
        (
            "ANY",
            "DEFAULT",
            "FILTER_DIR",
            "MagicMock",
            "Mock",
            "NonCallableMagicMock",
            "NonCallableMock",
            "PropertyMock",
            "call",
            "create_autospec",
            "mock_open",
            "patch",
            "sentinel",
            # private, but imported by real test suites
            "CallableMixin",
            "MagicMixin",
            "_Call",
            "_CallList",
            "_patch",
            "_SentinelObject",
        ),
        (3, 3),
    ),
    "seal": (3, 7),
    "AsyncMock": (3, 8),
    "ThreadingMock": (3, 13),
}
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
MOCK_MODULES = ("mock", "mock.mock")
UNITTEST_MOCK = cst.Attribute(cst.Name("unittest"), cst.Name("mock"))


class Transformer(CodemodTransformer):
    def visit_Module(self, node: cst.Module) -> bool:
        missing = self._missing_names(node)
        if missing:
            where, names = next(iter(missing.values())), ", ".join(sorted(missing))
            version = f"{self.target[0]}.{self.target[1]}"
            self.report(where, f"unittest.mock has no {names} on Python {version}: mock stays")
        self.try_changes: list[int] = []
        return not missing

    def _missing_names(self, module: cst.Module) -> dict[str, cst.CSTNode]:
        """Names the module takes from `mock` that unittest.mock lacks at the target."""
        used: dict[str, cst.CSTNode] = {}
        for node in _mock_imports(module):
            used.update(dict.fromkeys(_imported_names(node), node))
        for node in m.findall(module, m.Attribute()):
            for parts in (n.split(".") for n in self._imported(node)):
                if parts[0] == "mock" and len(parts) > 1:
                    used.setdefault(_member(parts), node)
        used.pop("mock", None)
        return {n: node for n, node in used.items() if STDLIB_NAMES.get(n, (4, 0)) > self.target}

    def _imported(self, node: cst.CSTNode) -> set[str]:
        """Qualified names of ``node`` that come from an import (not a local called `mock`)."""
        names = self.get_metadata(QualifiedNameProvider, node, set())
        return {n.name for n in names if n.source is QualifiedNameSource.IMPORT}

    def leave_Import(self, original: cst.Import, updated: cst.Import) -> cst.BaseSmallStatement:
        if len(original.names) != 1 or not _is_mock_name(original.names[0].name):
            return updated
        self.changed()
        return _from_unittest(original.names[0]).with_changes(semicolon=updated.semicolon)

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        """`import os, mock` and `from mock import mock, patch`: one statement each."""
        mixed = [s for s in updated.body if _is_mixed(s)]
        if not mixed:
            return updated
        if len(updated.body) > 1:
            self.report(original, "mock imported beside other names and statements: split it")
            return updated
        self.changed()
        statements = _split(mixed[0])
        return cst.FlattenSentinel(
            [
                updated.with_changes(body=[s], leading_lines=() if i else updated.leading_lines)
                for i, s in enumerate(statements)
            ]
        )

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        if not _is_mock_from(original) or _is_mixed(original):
            return updated
        self.changed()
        if not isinstance(original.names, cst.ImportStar) and _is_mock_alias(original.names[0]):
            return updated.with_changes(module=cst.Name("unittest"))
        return updated.with_changes(module=UNITTEST_MOCK)

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        """`mock.mock.patch` becomes `mock.patch`: unittest.mock has no `mock` submodule."""
        if original.attr.value != "mock" or "mock.mock" not in self._imported(original):
            return updated
        if "mock" not in self._imported(original.value):
            return updated
        self.changed()
        return updated.value.with_changes(lpar=updated.lpar, rpar=updated.rpar)

    def visit_Try(self, node: cst.Try) -> None:
        self.try_changes.append(self.file.changes)

    def leave_Try(
        self, original: cst.Try, updated: cst.Try
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        """`try: import mock / except ImportError: from unittest import mock` is one import now."""
        before = self.try_changes.pop()
        kept = None if self.file.changes == before else _fallback_only(original, updated)
        if kept is None:
            return updated
        body = _statements(kept)
        body[0] = body[0].with_changes(
            leading_lines=[*updated.leading_lines, *body[0].leading_lines]
        )
        return cst.FlattenSentinel(body)


def _fallback_only(original: cst.Try, updated: cst.Try) -> cst.BaseSuite | None:
    """The branch to keep when each handler, catching only ImportError, imports what the
    try body imports: the one that imported unittest.mock all along, with its comments (the
    other branch's comments speak of the backport); None when the try must stay."""
    if updated.orelse or updated.finalbody or not updated.handlers:
        return None
    if not all(_catches_import_error(h) for h in original.handlers):
        return None
    body = original.body
    if isinstance(body, cst.IndentedBlock) and _has_comment([body.header, *body.footer]):
        return None  # a comment on `try:` or closing its body speaks for the whole block
    branches = [updated.body, *(h.body for h in updated.handlers)]
    if any(_code(b) != _code(updated.body) for b in branches):
        return None
    originals = [original.body, *(h.body for h in original.handlers)]
    unchanged = [new for old, new in zip(originals, branches, strict=True) if old.deep_equals(new)]
    if unchanged:
        return unchanged[0]
    return None if m.findall(original.with_changes(leading_lines=()), m.Comment()) else updated.body


def _has_comment(nodes: Sequence[cst.CSTNode]) -> bool:
    return any(m.findall(node, m.Comment()) for node in nodes)


def _statements(block: cst.BaseSuite) -> list[cst.BaseStatement]:
    """The statements of a block, a one-line suite (`try: import mock`) made a line."""
    if isinstance(block, cst.IndentedBlock):
        return list(block.body)
    suite = cst.ensure_type(block, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(body=suite.body, trailing_whitespace=suite.trailing_whitespace)]


def _mock_imports(module: cst.Module) -> list[cst.ImportFrom]:
    return [n for n in imports_in(module) if isinstance(n, cst.ImportFrom) and _is_mock_from(n)]


def _is_mock_from(node: cst.ImportFrom) -> bool:
    if node.relative or node.module is None:
        return False
    return get_full_name_for_node(node.module) in MOCK_MODULES


def _member(parts: list[str]) -> str:
    """The unittest.mock name in `mock.X...` or `mock.mock.X...`."""
    return parts[2] if parts[1] == "mock" and len(parts) > 2 else parts[1]


def _imported_names(node: cst.ImportFrom) -> list[str]:
    if isinstance(node.names, cst.ImportStar):
        return []
    return [get_full_name_for_node(a.name) or "" for a in node.names]


def _is_mock_name(name: cst.Attribute | cst.Name) -> bool:
    return get_full_name_for_node(name) in MOCK_MODULES


def _is_mock_alias(alias: cst.ImportAlias) -> bool:
    """`mock` in `from mock import mock`: the module itself."""
    return get_full_name_for_node(alias.name) == "mock"


def _is_mixed(node: cst.BaseSmallStatement) -> bool:
    """An import of the mock module beside other names, which one statement cannot keep."""
    if isinstance(node, cst.Import):
        return len(node.names) > 1 and any(_is_mock_name(a.name) for a in node.names)
    if not isinstance(node, cst.ImportFrom) or isinstance(node.names, cst.ImportStar):
        return False
    return len(node.names) > 1 and _is_mock_from(node) and any(map(_is_mock_alias, node.names))


def _split(node: cst.BaseSmallStatement) -> list[cst.BaseSmallStatement]:
    """A mixed import as separate statements, in ruff UP026's order."""
    if isinstance(node, cst.Import):
        aliases = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in node.names]
        return [_from_unittest(a) if _is_mock_name(a.name) else cst.Import([a]) for a in aliases]
    importfrom = cst.ensure_type(node, cst.ImportFrom)
    names = list(cst.ensure_type(importfrom.names, Sequence))
    others = [a for a in names if not _is_mock_alias(a)]
    if _is_mock_alias(names[-1]):  # the last name keeps the layout of the last one
        others[-1] = others[-1].with_changes(comma=names[-1].comma)
    modules = [_from_unittest(a) for a in names if _is_mock_alias(a)]
    return [importfrom.with_changes(module=UNITTEST_MOCK, names=others), *modules]


def _from_unittest(alias: cst.ImportAlias) -> cst.ImportFrom:
    """`import mock [as m]` (or `import mock.mock`) as `from unittest import mock [as m]`."""
    return cst.ImportFrom(
        module=cst.Name("unittest"),
        names=[cst.ImportAlias(cst.Name("mock"), asname=alias.asname)],
    )


def _catches_import_error(handler: cst.ExceptHandler) -> bool:
    kind = handler.type
    if kind is None:
        return False
    names = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    return all(get_full_name_for_node(n) in IMPORT_ERRORS for n in names)


def _code(block: cst.BaseSuite) -> list[str]:
    """The statements of ``block`` as code, comments and blank lines aside."""
    lines = [s.with_changes(leading_lines=()) for s in _statements(block)]
    bare = [
        s.with_changes(trailing_whitespace=cst.TrailingWhitespace())
        if isinstance(s, cst.SimpleStatementLine)
        else s
        for s in lines
    ]
    return [cst.Module([]).code_for_node(s) for s in bare]


class MockToUnittestMock(Codemod):
    name = "mock-to-unittest-mock"
    summary = "import mock / from mock import patch use the standard library's unittest.mock"
    explanation = (
        "`mock` on PyPI is the backport of `unittest.mock`, part of the standard library "
        "since Python 3.3: depending on it adds a package to install and keeps tests on a "
        "copy that lags behind. `import mock` becomes `from unittest import mock` (so "
        "`mock.patch` keeps working), `from mock import patch` becomes `from "
        "unittest.mock import patch`, and `mock.mock.X` becomes `mock.X`, as pyupgrade and "
        "ruff UP026 rewrite them; a `try: import mock / except ImportError: from unittest "
        "import mock` left with the same import in both branches becomes that one import. "
        "A module that uses a name unittest.mock lacks on the target Python (`AsyncMock` "
        "before 3.8, `ThreadingMock` before 3.13, or a name of its own `mock` package) is "
        "reported and left alone. Drop `mock` from the test requirements afterwards."
    )
    url = "https://docs.python.org/3/library/unittest.mock.html"
    version = 2
    triggers = (b"mock",)
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Without an import of mock there is nothing to do: no scope analysis."""
        if not imports_any(module, "mock"):
            return module
        return super().transform(module, file)

    examples = (
        Example(
            "import mock\n\n@mock.patch('os.getcwd')\ndef test(m): ...\n",
            "from unittest import mock\n\n@mock.patch('os.getcwd')\ndef test(m): ...\n",
        ),
        Example(
            "from mock import MagicMock, patch as p\nimport mock as m\nm.mock.call\n",
            "from unittest.mock import MagicMock, patch as p\nfrom unittest import mock as m\n"
            "m.call\n",
            title="names, aliases, mock.mock",
        ),
        Example(
            "try:\n    from unittest import mock\nexcept ImportError:\n    import mock\n",
            "from unittest import mock\n",
            title="try/except fallback collapses",
        ),
        Example(
            "import os, mock\n",
            "import os\nfrom unittest import mock\n",
            title="import of several modules",
        ),
        Example(
            "from mock import ThreadingMock\n",
            target=(3, 12),
            findings=1,
            title="not in unittest.mock at the target",
        ),
        Example("from mock import FakeServer\n", findings=1, title="a project's own mock package"),
        Example("from unittest import mock\nfrom . import mock as local\n", title="already fixed"),
        Example("from .mock import patch\nimport mockito\n", title="relative import, other module"),
        Example("mock = Mock()\nmock.patch('mock.mock')\n", title="a local variable"),
    )
