"""rename-symbol on the cases its examples do not show: scopes, import layouts, the engine."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.commands.rename import RenameCommand

from codemods import engine
from codemods.files import discover
from codemods.registry import CodemodError, configure
from codemods.results import Status
from tests.helpers import apply_codemod, output_of

OBJECT = {"old": "pkg.mod.Name", "new": "pkg2.mod.Name2"}


def rename(code: str, options: dict[str, str] = OBJECT) -> str:
    """The output, after checking that a second run changes nothing more."""
    once = output_of(apply_codemod("rename-symbol", textwrap.dedent(code), options))
    assert output_of(apply_codemod("rename-symbol", once, options)) == once
    return once


def same(expected: str) -> str:
    return textwrap.dedent(expected)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            """\
            from pkg.mod import Name

            def f(Name):
                return Name

            class K:
                Name = Name
                def g(self, Name=Name):
                    return [Name for Name in range(3)]

            Name()
            """,
            """\
            from pkg2.mod import Name2

            def f(Name):
                return Name

            class K:
                Name = Name2
                def g(self, Name=Name):
                    return [Name for Name in range(3)]

            Name2()
            """,
            id="parameters, class attributes and comprehension variables are not the import",
        ),
        pytest.param(
            """\
            def f():
                from pkg.mod import Name
                return Name

            def g():
                return Name
            """,
            """\
            def f():
                from pkg2.mod import Name2
                return Name2

            def g():
                return Name
            """,
            id="a function-local import renames only that function's reads",
        ),
        pytest.param(
            """\
            from typing import TYPE_CHECKING

            if TYPE_CHECKING:
                from pkg.mod import Name, Other

            def f(x: "Name | Other") -> "list[Name]": ...
            """,
            """\
            from typing import TYPE_CHECKING

            if TYPE_CHECKING:
                from pkg.mod import Other
                from pkg2.mod import Name2

            def f(x: "Name2 | Other") -> "list[Name2]": ...
            """,
            id="TYPE_CHECKING block and string annotations",
        ),
        pytest.param(
            """\
            from pkg.mod import Name

            __all__ = ["Name"]
            """,
            """\
            from pkg2.mod import Name2 as Name

            __all__ = ["Name"]
            """,
            id="a re-exported name keeps its public name",
        ),
        pytest.param(
            """\
            from pkg.mod import Name

            Name2 = 1
            Name(Name2)
            """,
            """\
            from pkg2.mod import Name2 as Name

            Name2 = 1
            Name(Name2)
            """,
            id="the new name is taken: alias",
        ),
        pytest.param(
            """\
            from pkg.mod import Name
            from pkg2.mod import Name2

            Name(Name2)
            """,
            """\
            from pkg2.mod import Name2

            Name2(Name2)
            """,
            id="new name already imported: no duplicate",
        ),
        pytest.param(
            """\
            from pkg2.mod import Other
            from pkg.mod import Name, Thing

            Name(Other, Thing)
            """,
            """\
            from pkg2.mod import Name2, Other
            from pkg.mod import Thing

            Name2(Other, Thing)
            """,
            id="joined into an earlier import of the new module, in order",
        ),
        pytest.param(
            """\
            from pkg.mod import (
                Alpha,
                Name,  # the one
            )

            Alpha(Name)
            """,
            """\
            from pkg.mod import (
                Alpha,
            )
            from pkg2.mod import Name2

            Alpha(Name2)
            """,
            id="parenthesized import",
        ),
        pytest.param(
            """\
            import os; from pkg.mod import Name; import sys
            if os: from pkg.mod import Name
            Name
            """,
            """\
            import os; from pkg2.mod import Name2; import sys
            if os: from pkg2.mod import Name2
            Name2
            """,
            id="statements sharing a line",
        ),
        pytest.param(
            """\
            import pkg.mod as m

            m.Name(m.Other)
            """,
            """\
            import pkg.mod as m
            import pkg2.mod

            pkg2.mod.Name2(m.Other)
            """,
            id="aliased module still used",
        ),
        pytest.param(
            """\
            import pkg.mod as m

            m.Name.attr
            """,
            """\
            import pkg2.mod as m

            m.Name2.attr
            """,
            id="aliased module used only for the name",
        ),
        pytest.param(
            """\
            import pkg

            pkg.mod.Name()
            pkg.other()
            """,
            """\
            import pkg
            import pkg2.mod

            pkg2.mod.Name2()
            pkg.other()
            """,
            id="parent package import",
        ),
    ],
)
def test_rename(before: str, after: str) -> None:
    assert rename(before) == same(after)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            """\
            import pkg.mod
            import pkg.mod.sub as s
            from pkg.mod.sub import x
            from pkg.mod import *
            from pkg import mod
            from pkg import mod as m, other

            pkg.mod.f(mod.g, m.h, pkg.other)
            """,
            """\
            import pkg
            import pkg2.mod
            import pkg2.mod.sub as s
            from pkg2.mod.sub import x
            from pkg2.mod import *
            from pkg2 import mod
            from pkg import other
            from pkg2 import mod as m

            pkg2.mod.f(mod.g, m.h, pkg.other)
            """,
            id="every import form",
        ),
        pytest.param(
            """\
            from pkg.modern import x
            import pkg.modern
            """,
            None,
            id="a longer name with the same prefix",
        ),
    ],
)
def test_module_rename(before: str, after: str | None) -> None:
    options = {"old": "pkg.mod", "new": "pkg2.mod"}
    assert rename(before, options) == same(after if after is not None else before)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("import collections\nx = collections.OrderedDict()\n", "x = dict()\n"),
        (
            "import collections\nx = collections.OrderedDict(collections.Counter())\n",
            "import collections\nx = dict(collections.Counter())\n",
        ),
        (
            "from collections import OrderedDict\ndict = 1\nOrderedDict()\n",
            "from builtins import dict as OrderedDict\ndict = 1\nOrderedDict()\n",
        ),
        (
            "import collections\ndef f(dict):\n    return collections.OrderedDict()\n",
            "import builtins\ndef f(dict):\n    return builtins.dict()\n",
        ),
    ],
)
def test_to_builtin(before: str, after: str) -> None:
    assert rename(before, {"old": "collections.OrderedDict", "new": "builtins.dict"}) == after


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "import pkg\n\npkg.f(1)\npkg.other()\n",
            "import pkg\nimport pkg.sub\n\npkg.sub.g(1)\npkg.other()\n",
            id="`import pkg` need not load pkg.sub: import it beside",
        ),
        pytest.param(
            "import pkg\n\npkg.f(1)\n",
            "import pkg.sub\n\npkg.sub.g(1)\n",
            id="`import pkg` read only for the name: it becomes `import pkg.sub`",
        ),
        pytest.param(
            "import pkg.sub\n\npkg.f(1)\n",
            "import pkg.sub\n\npkg.sub.g(1)\n",
            id="pkg.sub imported already: no second import",
        ),
        pytest.param(
            "from pkg import f\n\nf(1)\n",
            "from pkg.sub import g\n\ng(1)\n",
            id="from-import",
        ),
        pytest.param(
            "def t():\n    import pkg\n    return pkg.f(1)\n",
            "def t():\n    import pkg.sub\n    return pkg.sub.g(1)\n",
            id="function-local import",
        ),
    ],
)
def test_move_into_a_submodule(before: str, after: str) -> None:
    assert rename(before, {"old": "pkg.f", "new": "pkg.sub.g"}) == after


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "from pkg import mod\n\nmod.f(1)\nmod.h()\n",
            "from pkg import mod\nfrom pkg.mod import sub\n\nsub.g(1)\nmod.h()\n",
            id="module still read for other names",
        ),
        pytest.param(
            "from pkg import mod\n\nmod.f(1)\n",
            "from pkg.mod import sub\n\nsub.g(1)\n",
            id="module read only for the name",
        ),
    ],
)
def test_move_into_a_submodule_of_a_from_imported_module(before: str, after: str) -> None:
    assert rename(before, {"old": "pkg.mod.f", "new": "pkg.mod.sub.g"}) == after


def test_unclear_read_is_reported_and_kept() -> None:
    code = same(
        """\
        try:
            from pkg.mod import Name
        except ImportError:
            from legacy import Name

        Name()
        """
    )
    result = apply_codemod("rename-symbol", code, OBJECT)
    assert "from pkg2.mod import Name2 as Name" in output_of(result)
    assert output_of(result).endswith("Name()\n")
    assert [(f.line, f.column) for f in result.findings] == [(6, 1)]
    assert "may refer to pkg.mod.Name" in result.findings[0].message


def test_star_import_is_reported() -> None:
    result = apply_codemod("rename-symbol", "from pkg.mod import *\n\nName()\n", OBJECT)
    assert result.status is Status.FINDINGS
    assert "star import" in result.findings[0].message


def test_relative_imports_are_left_alone() -> None:
    code = "from .mod import Name\nfrom . import mod\nName(mod.Name)\n"
    assert rename(code) == code


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"old": "pkg.mod.Name", "new": "pkg2.mod-x.Name"}, "'mod-x' is not an identifier"),
        ({"old": "pkg.class.Name", "new": "pkg2.Name"}, "'class' is not an identifier"),
        ({"old": "pkg.mod", "new": "pkg.mod.inner"}, "must not be pkg.mod or inside it"),
        ({"old": "pkg.mod"}, "new"),
    ],
)
def test_options_are_validated(options: dict[str, str], message: str) -> None:
    with pytest.raises(CodemodError, match=message):
        configure("rename-symbol", options)


def test_triggers_are_the_last_part_of_the_old_name() -> None:
    codemod = configure("rename-symbol", {"old": "a.b.cached_property", "new": "functools.x"})
    assert codemod.file_triggers() == (b"cached_property",)


def test_files_that_do_not_use_it_are_not_parsed(tmp_path: Path) -> None:
    files = {
        "uses.py": "from pkg.mod import Name\nName()\n",
        "imports_module.py": "import pkg.mod\npkg.mod.Other()\n",
        "unrelated.py": "import collections\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    config = engine.EngineConfig([configure("rename-symbol", OBJECT)], jobs=1)
    run = engine.run(discover([tmp_path], ["*.py"], [], base=tmp_path), config)
    by_path = {Path(r.path).name: r for r in run.results}
    assert by_path["uses.py"].status is Status.CHANGED
    assert not by_path["imports_module.py"].parsed
    assert not by_path["unrelated.py"].parsed
    assert run.summary.parsed == 1


def _libcst_rename(code: str, old: str, new: str) -> str:
    command = RenameCommand(CodemodContext(), old, new)
    return command.transform_module(cst.parse_module(code)).code


@pytest.mark.parametrize(
    ("code", "old", "new"),
    [
        ("from foo import bar\n\ndef test():\n    bar(5)\n", "foo.bar", "baz.qux"),
        ("import a.b\n\ndef test():\n    a.b.c(5)\n", "a.b.c", "d.e.f"),
        ("import a.b\n\nclass Foo(a.b.C):\n    pass\n", "a.b", "c.b"),
        ("from a import b\n\nclass Foo(b.C):\n    pass\n", "a.b", "c.b"),
        ("import logging\nlogging.warn(1)\n", "logging.warn", "logging.warning"),
        ("from a.b.c.d import foo\n", "a.b", "x.y"),
        ("from a import b, c, d\n\nclass Foo(b):\n    bar: c.bar\n", "a.b", "f.b"),
        ("from typing import List\nx: List[int] = []\n", "typing.List", "builtins.list"),
    ],
)
def test_agrees_with_libcst_where_libcst_is_right(code: str, old: str, new: str) -> None:
    assert rename(code, {"old": old, "new": new}) == _libcst_rename(code, old, new)


def test_libcst_touches_files_that_never_use_the_name_we_do_not() -> None:
    code = "import collections\n\nx = collections.Counter()\n"
    options = {"old": "collections.OrderedDict", "new": "builtins.dict"}
    assert rename(code, options) == code
    assert _libcst_rename(code, options["old"], options["new"]) != code  # the measured bug


def test_strings_are_reported_where_only_imports_change() -> None:
    code = 'from pkg.mod.sub import x\n\nmock.patch("pkg.mod.sub.x")\n'
    result = apply_codemod("rename-symbol", code, {"old": "pkg.mod", "new": "pkg2.mod"})
    assert output_of(result).startswith("from pkg2.mod.sub import x\n")
    assert [(f.line, f.column) for f in result.findings] == [(3, 12)]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            '"""Doc."""\nimport json\n\nfrom six import text_type\nfrom six.moves import U\n\n'
            "x = text_type(1)\n",
            '"""Doc."""\nimport json\n\nfrom six.moves import U\n\nx = str(1)\n',
            id="the next import group stays apart (Sphinx's locale/__init__.py)",
        ),
        pytest.param(
            '"""Doc."""\n\nfrom six import text_type\n\nfrom sphinx import nodes\n\n'
            "x = text_type(1)\n",
            '"""Doc."""\n\nfrom sphinx import nodes\n\nx = str(1)\n',
            id="the next statement keeps its own blank lines",
        ),
        pytest.param(
            "import json\n\n# for py2\nfrom six import text_type\nimport os\nx = text_type(1)\n",
            "import json\n\nimport os\nx = str(1)\n",
            id="the comment on the removed import goes with it",
        ),
    ],
)
def test_a_removed_import_line_leaves_the_blank_lines_above_it(before: str, after: str) -> None:
    assert rename(before, {"old": "six.text_type", "new": "builtins.str"}) == after
