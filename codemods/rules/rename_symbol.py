"""rename-symbol: move every reference from one qualified name to another, imports included."""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m
from libcst.metadata import PositionProvider
from pydantic import Field, field_validator, model_validator

from codemods import base
from codemods.base import Codemod, CodemodTransformer, Example, FileContext, Safety
from codemods.inplace import transform_in_place
from codemods.qualnames import (
    Form,
    Group,
    index_module,
    is_under,
    leads_to,
    scan_imports,
    string_mentions,
)
from codemods.renaming import Rename, check_dotted, plan

_OPTIONS = {"old": "pkg.mod.Name", "new": "pkg2.mod.Name2"}


class Options(base.Options):
    old: str = Field(
        ...,
        description="The qualified name that goes away: an object (`pkg.mod.Name`) or a module "
        "(`pkg.mod`, which moves everything inside it).",
    )
    new: str = Field(
        ...,
        description="Where it lives now, e.g. `pkg2.mod.Name2` or `pkg2.mod`; "
        "`builtins.name` for a builtin (no import needed).",
    )

    @field_validator("old", "new")
    @classmethod
    def _dotted(cls, value: str) -> str:
        return check_dotted(value)

    @model_validator(mode="after")
    def _distinct(self) -> Options:
        if is_under(self.new, self.old):
            raise ValueError(
                f"new ({self.new}) must not be {self.old} or inside it: "
                "a second run would rename the result again"
            )
        return self


def rewrites_reads(group: Group, rename: Rename) -> bool:
    """Whether the reads of ``group``'s local name may have to change.

    They do not for ``from old.mod import x``, ``import old.mod as m`` or an aliased
    ``from pkg import old as o``: the import changes, the name it binds does not.
    """
    if group.form is Form.IMPORT or not is_under(group.target, rename.old):
        return True
    aliased = any(b.form is not Form.FROM or b.alias.asname for b in group.bindings)
    moved_module = all(is_under(b.module, rename.old) for b in group.bindings)
    new_local = rename.moved(group.target).rpartition(".")[2]
    return not aliased and not moved_module and new_local != group.local


class Transformer(CodemodTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)  # resolved only when there is a finding

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        rename = Rename(self.options.old, self.options.new)
        index = index_module(tree, rename.old, lambda group: rewrites_reads(group, rename))
        if index is None:
            self._report_mentions(tree, string_mentions(tree, rename.old))
            return tree
        edits = plan(index, rename, index.uses(), complete=True)
        for node, message in edits.findings:
            self.report(node, message)
        self._report_mentions(tree, index.mentions)
        if edits.count:
            self.changed(edits.count)
        return edits.apply(tree)

    def _report_mentions(self, tree: cst.Module, strings: list[cst.SimpleString]) -> None:
        """Strings that are a dotted path to ``old`` or into it (``pkg.mod.Name.attr``,
        ``pkg.mod:Name``), not URLs (``mock://host``) or the module's own ``__all__``.
        A top-level module's bare name (``'mock'``) is more often a word than a path."""
        old = re.escape(self.options.old)
        into = "+" if "." not in self.options.old else "*"
        path = re.compile(rf"{old}((\.\w+){into}(:\w+(\.\w+)*)?|:\w+(\.\w+)*)")
        exported = _all_strings(tree)
        for node in strings:
            if id(node) in exported or not path.fullmatch(str(node.evaluated_value)):
                continue
            self.report(
                node,
                f"string names {self.options.old}: if it is an import path "
                f"(mock.patch, settings, entry points), it must name {self.options.new}",
            )


def _all_strings(tree: cst.Module) -> set[int]:
    """The string nodes of module-level ``__all__`` assignments: names of the module's own."""
    found: set[int] = set()
    for line in tree.body:
        for small in line.body if isinstance(line, cst.SimpleStatementLine) else ():
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else []
            if isinstance(small, (cst.AugAssign, cst.AnnAssign)):
                targets = [small.target]
            value = getattr(small, "value", None)
            if value is not None and any(m.matches(t, m.Name("__all__")) for t in targets):
                found.update(id(n) for n in m.findall(value, m.SimpleString()))
    return found


class RenameSymbol(Codemod):
    name = "rename-symbol"
    summary = "Move every reference to a qualified name (object or module) to a new one"
    explanation = (
        "A one-off migration: `old` moved or was renamed to `new`. Every import of `old` is "
        "rewritten where it stands (a function-local import stays local, an alias stays an "
        "alias), and every read of it follows: `pkg.mod.Name`, `mod.Name` through "
        "`from pkg import mod`, names in string annotations. When a module still needs the "
        "old import for other names, the new import is added beside it. Modules that never "
        "use `old` are not touched. Strings that spell `old` in full (`mock.patch` targets, "
        "settings) are reported, not changed: they may be data. A reviewer confirms that "
        "`new` is the same object as `old` (or a compatible one): this rewrite is "
        "behaviour-preserving only then."
    )
    url = "https://libcst.readthedocs.io/en/latest/codemods_tutorial.html"
    safety = Safety.REVIEW
    version = 4
    triggers = (b"",)  # narrowed to the old name by file_triggers
    Options = Options
    Transformer = Transformer

    def file_triggers(self) -> tuple[bytes, ...]:
        """A file that reads ``pkg.mod.Name`` spells every part of it, the last one included."""
        return (self.options.old.rpartition(".")[2].encode(),)

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Most files that pass the byte prefilter neither import ``old`` nor spell it out:
        those are answered before any transformer exists (building one costs as much as
        parsing a file: libcst's matcher set-up)."""
        old = self.options.old
        if not leads_to(scan_imports(module), old) and not string_mentions(module, old):
            return module
        return transform_in_place(self, module, file)

    examples = (
        Example(
            "from pkg.mod import Name\n\nx: Name = Name()\n",
            "from pkg2.mod import Name2\n\nx: Name2 = Name2()\n",
            options=_OPTIONS,
            title="from-import: the local name follows",
        ),
        Example(
            "from pkg.mod import Name as N\n\nN()\n",
            "from pkg2.mod import Name2 as N\n\nN()\n",
            options=_OPTIONS,
            title="an alias stays",
        ),
        Example(
            "import pkg.mod\n\npkg.mod.Name()\n",
            "import pkg2.mod\n\npkg2.mod.Name2()\n",
            options=_OPTIONS,
            title="dotted use",
        ),
        Example(
            "import pkg.mod\n\npkg.mod.Name(pkg.mod.Other)\n",
            "import pkg.mod\nimport pkg2.mod\n\npkg2.mod.Name2(pkg.mod.Other)\n",
            options=_OPTIONS,
            title="old module still used: new import beside",
        ),
        Example(
            "from pkg.mod import Name, Other\n\ndef f(x: 'Name') -> Other:\n    return Name(x)\n",
            "from pkg.mod import Other\nfrom pkg2.mod import Name2\n\n"
            "def f(x: 'Name2') -> Other:\n    return Name2(x)\n",
            options=_OPTIONS,
            title="split import, string annotation",
        ),
        Example(
            "def f():\n    from pkg import mod\n    return mod.Name\n",
            "def f():\n    from pkg2 import mod\n    return mod.Name2\n",
            options=_OPTIONS,
            title="function-local import stays local",
        ),
        Example(
            "from django.db import models\nfrom django.db.models.functions import Lower\n\n"
            "class A(models.Model):\n    name = models.CharField()\n",
            "from django.db import newmodels\nfrom django.db.newmodels.functions import Lower\n\n"
            "class A(newmodels.Model):\n    name = newmodels.CharField()\n",
            options={"old": "django.db.models", "new": "django.db.newmodels"},
            title="module rename",
        ),
        Example(
            "from typing import List\n\nx: List[int] = []\n",
            "\nx: list[int] = []\n",
            options={"old": "typing.List", "new": "builtins.list"},
            title="to a builtin",
        ),
        Example(
            "try:\n    from pkg.mod import Name\nexcept ImportError:\n    Name = None\n",
            "try:\n    from pkg2.mod import Name2 as Name\nexcept ImportError:\n    Name = None\n",
            options=_OPTIONS,
            title="name also bound otherwise: the import keeps it",
        ),
        Example(
            "import pkg\n\npkg.f(pkg.x)\n",
            "import pkg\nimport pkg.sub\n\npkg.sub.g(pkg.x)\n",
            options={"old": "pkg.f", "new": "pkg.sub.g"},
            title="moved into a submodule: `import pkg` need not load it",
        ),
        Example(
            "import collections\n\ncollections.defaultdict(list)\n",
            options={"old": "collections.OrderedDict", "new": "builtins.dict"},
            title="module imported, old name unused: untouched",
        ),
        Example(
            "from other import Name\n\nName()\n", options=_OPTIONS, title="same name, other module"
        ),
        Example(
            "def f(Name):\n    return Name.x  # pkg.mod.Name\n",
            options=_OPTIONS,
            title="parameter, comment",
        ),
        Example(
            "from pkg2.mod import Name2\n\nName2()\n", options=_OPTIONS, title="already renamed"
        ),
        Example(
            "from unittest import mock\n\n@mock.patch('pkg.mod.Name')\ndef test(m): ...\n",
            options=_OPTIONS,
            findings=1,
            title="a string naming it is reported",
        ),
        Example(
            "import mock\n\n__all__ = ['mock']\nURL = 'mock://host/a'\n"
            "plugin = 'mock:patch'\nmock.patch('mock.patch.object', tag='mock')\n",
            "from unittest import mock\n\n__all__ = ['mock']\nURL = 'mock://host/a'\n"
            "plugin = 'mock:patch'\nmock.patch('mock.patch.object', tag='mock')\n",
            options={"old": "mock", "new": "unittest.mock"},
            findings=2,
            title="`from unittest import mock` keeps every read; URLs, __all__, words are no paths",
        ),
    )
