"""pkg-resources-version: `pkg_resources.get_distribution(name).version` uses importlib.metadata."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import RemoveImportsVisitor
from libcst.helpers import get_full_name_for_node

from codemods.base import Codemod, CodemodTransformer, Example, FileContext
from codemods.imports import TidyImports, imports_any
from codemods.renaming import import_stdlib_module

GET_DISTRIBUTION = "pkg_resources.get_distribution"
NOT_FOUND = "pkg_resources.DistributionNotFound"
REQUIREMENT_CHARACTERS = frozenset("<>=!~[];@ ")


class Transformer(TidyImports, CodemodTransformer):
    def __init__(self, context: CodemodContext, codemod: Codemod, file: FileContext) -> None:
        super().__init__(context, codemod, file)
        # `get_distribution(name)` read for `.version`, and how importlib.metadata is
        # spelled there
        self.versions: dict[cst.Call, str] = {}
        self.blocked: set[cst.Call] = set()  # ... inside a try that must stay as it is
        self.handlers: dict[cst.BaseExpression, str] = {}  # DistributionNotFound to rename
        self.import_metadata = False

    def visit_Module(self, node: cst.Module) -> bool:
        if self.target < (3, 8):
            return False
        alias = _metadata_module(node)
        for found in m.findall(node, m.Attribute(value=m.Call(), attr=m.Name("version"))):
            call = cst.ensure_type(cst.ensure_type(found, cst.Attribute).value, cst.Call)
            if _plain_name_argument(call) and self.refers_to(call.func, GET_DISTRIBUTION):
                spelling = self._spelling(call, alias)
                if spelling is None:
                    self.report(
                        call,
                        "get_distribution(...).version: `importlib` names "
                        "something else here: port by hand",
                    )
                    self.blocked.add(call)
                self.versions[call] = spelling or ""
        return True

    def _spelling(self, node: cst.CSTNode, alias: str | None) -> str | None:
        """How importlib.metadata is read at ``node``: through the module's own import of
        it, else as ``importlib.metadata`` (imported if needed); None when a local variable
        (a parameter named ``metadata`` or ``importlib``) would be read instead."""
        if alias is not None and self.meanings(node, alias) == {"importlib.metadata"}:
            return alias
        if self.meanings(node, "importlib") in (None, {"importlib"}):
            return "importlib.metadata"
        return None

    def visit_Try(self, node: cst.Try) -> None:
        """A handler for DistributionNotFound must catch importlib's PackageNotFoundError now."""
        calls = [c for c in m.findall(node.body, m.Call()) if isinstance(c, cst.Call)]
        ours = [c for c in calls if c in self.versions]
        caught = [e for h in node.handlers for e in _exception_types(h) if self._is_ours(e)]
        if not ours or not caught:
            return
        other_calls = [c for c in calls if c not in ours and self._is_ours(c.func)]
        not_found = [e for e in caught if self.refers_to(e, NOT_FOUND)]
        if other_calls or len(not_found) < len(caught) or any(c in self.blocked for c in ours):
            if not any(c in self.blocked for c in ours):
                message = "pkg_resources exceptions caught around other pkg_resources calls"
                self.report(node, message)
            self.blocked.update(ours)
            return
        self.handlers.update(dict.fromkeys(not_found, self.versions[ours[0]]))

    def _is_ours(self, node: cst.CSTNode) -> bool:
        return any(n.startswith("pkg_resources.") for n in self.qualified_names(node))

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.import_metadata:
            return updated
        return import_stdlib_module(self.context, updated, "importlib.metadata")

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if original in self.versions or not self.refers_to(original.func, GET_DISTRIBUTION):
            return updated
        if _plain_name_argument(original):
            self.report(original, "pkg_resources.get_distribution: port to importlib.metadata")
        else:
            self.report(original, "get_distribution of a requirement or of */**: port by hand")
        return updated

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        call = original.value
        if not isinstance(call, cst.Call) or call not in self.versions or call in self.blocked:
            return updated
        self.changed()
        RemoveImportsVisitor.remove_unused_import_by_node(self.context, call.func)
        argument = cst.ensure_type(updated.value, cst.Call).args[0]
        return cst.Call(
            func=cst.Attribute(self._metadata(self.versions[call]), cst.Name("version")),
            args=[argument.with_changes(comma=cst.MaybeSentinel.DEFAULT)],
            lpar=updated.lpar,
            rpar=updated.rpar,
        )

    def leave_ExceptHandler(
        self, original: cst.ExceptHandler, updated: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        if original.type is None or not self.handlers:
            return updated
        return updated.with_changes(type=self._renamed(original.type, updated.type))

    def _renamed(
        self, original: cst.BaseExpression, updated: cst.BaseExpression
    ) -> cst.BaseExpression:
        if original in self.handlers:
            RemoveImportsVisitor.remove_unused_import_by_node(self.context, original)
            module = self._metadata(self.handlers[original])
            new = cst.Attribute(module, cst.Name("PackageNotFoundError"))
            return new.with_changes(lpar=updated.lpar, rpar=updated.rpar)
        if isinstance(original, cst.Tuple) and isinstance(updated, cst.Tuple):
            elements = [
                new.with_changes(value=self._renamed(old.value, new.value))
                for old, new in zip(original.elements, updated.elements, strict=True)
            ]
            return updated.with_changes(elements=elements)
        return updated

    def _metadata(self, spelling: str) -> cst.BaseExpression:
        """The expression for the importlib.metadata module, importing it if needed."""
        if spelling == "importlib.metadata":
            self.import_metadata = True
            return cst.Attribute(cst.Name("importlib"), cst.Name("metadata"))
        return cst.Name(spelling)


def _metadata_module(module: cst.Module) -> str | None:
    """The name a module-level import already gives importlib.metadata, if any."""
    lines = [s for s in module.body if isinstance(s, cst.SimpleStatementLine)]
    found = (_metadata_alias(small) for line in lines for small in line.body)
    return next((name for name in found if name is not None), None)


def _metadata_alias(statement: cst.BaseSmallStatement) -> str | None:
    """`md` of `import importlib.metadata as md`, `metadata` of `from importlib import metadata`."""
    if isinstance(statement, cst.Import):
        for alias in statement.names:
            if alias.asname and get_full_name_for_node(alias.name) == "importlib.metadata":
                return alias.evaluated_alias
    elif isinstance(statement, cst.ImportFrom) and not statement.relative and statement.module:
        if isinstance(statement.names, cst.ImportStar):
            return None
        if get_full_name_for_node(statement.module) == "importlib":
            for alias in statement.names:
                if alias.name.value == "metadata":
                    return alias.evaluated_alias or "metadata"
    return None


def _exception_types(handler: cst.ExceptHandler) -> list[cst.BaseExpression]:
    kind = handler.type
    if isinstance(kind, cst.Tuple):
        return [e.value for e in kind.elements]
    return [kind] if kind is not None else []


def _plain_name_argument(call: cst.Call) -> bool:
    """One positional argument that is not a requirement string such as "pkg>=1.0"."""
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return False
    value = call.args[0].value
    if isinstance(value, cst.SimpleString):
        text = value.evaluated_value
        return isinstance(text, str) and not REQUIREMENT_CHARACTERS & set(text)
    return not isinstance(value, (cst.ConcatenatedString, cst.FormattedString))


class PkgResourcesVersion(Codemod):
    name = "pkg-resources-version"
    summary = (
        "pkg_resources.get_distribution(name).version becomes importlib.metadata.version(name)"
    )
    explanation = (
        "`pkg_resources` is deprecated and slow to import (it scans every installed "
        "distribution at import time); setuptools warns on import and plans its removal. "
        "`importlib.metadata.version(name)` (Python 3.8+) gives the installed version "
        "directly. A `DistributionNotFound` handler around the call catches "
        "`importlib.metadata.PackageNotFoundError` instead, and `import pkg_resources` is "
        "removed when nothing else uses it. The module is imported as `import "
        "importlib.metadata` (or through an existing `from importlib import metadata`) so "
        "that no local `version` variable is shadowed. Other `get_distribution` uses are "
        "reported; the rest of pkg_resources is out of scope."
    )
    url = "https://setuptools.pypa.io/en/latest/pkg_resources.html"
    version = 4
    triggers = (b"pkg_resources",)
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Without an import of pkg_resources there is nothing to do: no scope analysis."""
        if not imports_any(module, "pkg_resources"):
            return module
        return super().transform(module, file)

    examples = (
        Example(
            "import pkg_resources\n\n"
            "__version__ = pkg_resources.get_distribution('fleet').version\n",
            "import importlib.metadata\n\n__version__ = importlib.metadata.version('fleet')\n",
        ),
        Example(
            "from pkg_resources import DistributionNotFound, get_distribution\n\n"
            "try:\n    version = get_distribution(__name__).version\n"
            "except DistributionNotFound:\n    version = 'unknown'\n",
            "import importlib.metadata\n\n"
            "try:\n    version = importlib.metadata.version(__name__)\n"
            "except importlib.metadata.PackageNotFoundError:\n    version = 'unknown'\n",
            title="the handler follows",
        ),
        Example(
            "from importlib import metadata\nimport pkg_resources\n"
            "v = pkg_resources.get_distribution('a').version\n"
            "root = pkg_resources.resource_filename('a', 'data')\n",
            "from importlib import metadata\nimport pkg_resources\n"
            "v = metadata.version('a')\n"
            "root = pkg_resources.resource_filename('a', 'data')\n",
            title="existing import, other pkg_resources use stays",
        ),
        Example(
            "import pkg_resources\ndist = pkg_resources.get_distribution('a')\n",
            findings=1,
            title="a distribution object is a finding",
        ),
        Example(
            "import pkg_resources\nv = pkg_resources.get_distribution('a>=1.0').version\n",
            findings=1,
            title="a requirement, not a name",
        ),
        Example(
            "import pkg_resources\ntry:\n    pkg_resources.require('a')\n"
            "    v = pkg_resources.get_distribution('a').version\n"
            "except pkg_resources.DistributionNotFound:\n    v = None\n",
            findings=1,
            title="the handler also guards other calls",
        ),
        Example(
            "import pkg_resources\nv = pkg_resources.get_distribution('a').version\n",
            target=(3, 7),
            title="below 3.8",
        ),
        Example(
            "from importlib import metadata\nimport pkg_resources\n\n\ndef f(metadata):\n"
            "    return pkg_resources.get_distribution('a').version\n",
            "from importlib import metadata\nimport importlib.metadata\n\n\ndef f(metadata):\n"
            "    return importlib.metadata.version('a')\n",
            title="the module's import of metadata is hidden by a parameter",
        ),
        Example(
            "import pkg_resources\n\n\ndef f(importlib):\n"
            "    return pkg_resources.get_distribution('a').version\n",
            findings=1,
            title="importlib names something else",
        ),
        Example("def get_distribution(n):\n    return n\nget_distribution('a').version\n"),
        Example("from importlib.metadata import version\nv = version('a')  # pkg_resources\n"),
    )
