"""codemods.imports: libcst's import removal, with the layout a person would leave."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import RemoveImportsVisitor

from codemods.imports import TidyImports, imported_modules, imports_any


class _Remove(TidyImports, VisitorBasedCodemodCommand):
    """Asks for ``names`` (module, name) to be removed when unused, like a codemod would."""

    def __init__(self, context: CodemodContext, names: list[tuple[str, str | None]]) -> None:
        super().__init__(context)
        self.names = names

    def visit_Module(self, node: cst.Module) -> None:
        for module, name in self.names:
            RemoveImportsVisitor.remove_unused_import(self.context, module, name)


def remove(code: str, *names: tuple[str, str | None]) -> str:
    return _Remove(CodemodContext(), list(names)).transform_module(cst.parse_module(code)).code


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            '"""Doc."""\n\nfrom typing import List\nimport os\n',
            '"""Doc."""\n\nimport os\n',
        ),
        (
            "import os\n\nimport pkg_resources\nimport yaml\n",
            "import os\n\nimport yaml\n",
        ),
        (
            "import os\n\nimport pkg_resources\n\nx = 1\n",
            "import os\n\nx = 1\n",
        ),
        (
            "import os\n# the typing names\nfrom typing import List\nx = 1\n",
            "import os\n# the typing names\nx = 1\n",
        ),
        (
            "def f():\n    y = 1\n\n    import pkg_resources\n    return y\n",
            "def f():\n    y = 1\n\n    return y\n",
        ),
        ("from typing import List\n\n\nx = 1\n", "x = 1\n"),
        ("# header\nfrom typing import List\n\n\nx = 1\n", "# header\n\n\nx = 1\n"),
        ("def f():\n    import pkg_resources\n\n    return 1\n", "def f():\n    return 1\n"),
    ],
    ids=[
        "after-docstring",
        "group-start",
        "own-blank-kept",
        "comment-stays",
        "in-function",
        "module-top",
        "below-header",
        "block-top",
    ],
)
def test_blank_lines_above_a_removed_import_stay(before: str, after: str) -> None:
    assert remove(before, ("typing", "List"), ("pkg_resources", None)) == after


def test_trailing_comma_stays_when_the_last_name_goes() -> None:
    before = "from typing import (\n    Any,\n    List,\n)\nx: Any\n"
    assert remove(before, ("typing", "List")) == "from typing import (\n    Any,\n)\nx: Any\n"


def test_other_layouts_are_left_as_libcst_leaves_them() -> None:
    before = "from typing import (Any,\n                    List)\nx: Any\n"
    assert remove(before, ("typing", "List")) == "from typing import (Any)\nx: Any\n"


def test_used_imports_stay() -> None:
    before = '"""Doc."""\n\nfrom typing import List\nx: List[int]\n'
    assert remove(before, ("typing", "List")) == before


def test_imported_modules_looks_into_every_block_but_not_relative_imports() -> None:
    code = (
        "import a, b.c as d\n"
        "try:\n    import e\nexcept ImportError:\n    from f.g import h\n"
        "def k():\n    if x:\n        import m\n    else:\n        from . import n\n"
        "class P:\n    import q\n"
        "with r: import s\n"
        "match t:\n    case 1:\n        import u\n"
    )
    assert imported_modules(cst.parse_module(code)) == {"a", "b.c", "e", "f.g", "m", "q", "s", "u"}


def test_imports_any_matches_packages_and_their_modules() -> None:
    module = cst.parse_module("def f():\n    from mock.mock import patch\n")
    assert imports_any(module, "mock")
    assert not imports_any(module, "moc", "unittest")
