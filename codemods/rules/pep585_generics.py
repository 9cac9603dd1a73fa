"""pep585-generics: `typing.List[int]` and its siblings become `list[int]` (PEP 585)."""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import RemoveImportsVisitor
from libcst.helpers import get_full_name_for_node
from libcst.metadata import BuiltinAssignment, ScopeProvider
from pydantic import Field, field_validator

from codemods.base import Codemod, CodemodTransformer, Example, FileContext, Options, Version
from codemods.imports import TidyImports, imports_any

BUILTIN_GENERICS: dict[str, str] = {
    "typing.List": "list",
    "typing.Dict": "dict",
    "typing.Set": "set",
    "typing.FrozenSet": "frozenset",
    "typing.Tuple": "tuple",
    "typing.Type": "type",
    "typing_extensions.Type": "type",
}
TYPE_COMMENT = re.compile(r"#\s*type:")
RUNTIME_TYPING_LIBRARIES = (
    "attr",
    "attrs",
    "beartype",
    "cattrs",
    "cyclopts",
    "dacite",
    "dataclasses_json",
    "fastapi",
    "jsonargparse",
    "litestar",
    "marshmallow_dataclass",
    "msgspec",
    "ninja",
    "pydantic",
    "pydantic_settings",
    "sqlalchemy",
    "sqlmodel",
    "strawberry",
    "typeguard",
    "typer",
)


class TypingOptions(Options):
    """When annotations in a `from __future__ import annotations` module may use new syntax.

    Such annotations are strings at runtime, so the new spelling is allowed below the
    Python version that can evaluate it, unless something evaluates them anyway.
    """

    keep_runtime_typing: bool = Field(
        False,
        description="Never rewrite for a target older than the syntax, even in annotations of "
        "`from __future__ import annotations` modules (ruff's keep-runtime-typing).",
    )
    runtime_typing_libraries: tuple[str, ...] = Field(
        RUNTIME_TYPING_LIBRARIES,
        description="Modules that import one of these evaluate their annotations at runtime "
        "(models, CLI and API signatures): they get the old-target treatment, as do modules "
        "that call typing.get_type_hints.",
    )

    @field_validator("runtime_typing_libraries")
    @classmethod
    def _top_level_packages(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        bad = [name for name in names if not name.isidentifier()]
        if bad:
            raise ValueError(f"not a top-level package name: {bad[0]!r}")
        return names


def has_future_annotations(module: cst.Module) -> bool:
    return any(
        m.matches(
            statement,
            m.SimpleStatementLine(
                body=[
                    m.ImportFrom(
                        module=m.Name("__future__"),
                        names=[
                            m.ZeroOrMore(),
                            m.ImportAlias(name=m.Name("annotations")),
                            m.ZeroOrMore(),
                        ],
                    )
                ]
            ),
        )
        for statement in module.body
    )


def type_comment_names(module: cst.Module) -> set[str]:
    """Names that `# type:` comments use: libcst does not see them, mypy does."""
    texts = [cst.ensure_type(c, cst.Comment).value for c in m.findall(module, m.Comment())]
    types = [text for text in texts if TYPE_COMMENT.match(text)]
    return {name for text in types for name in re.findall(r"[A-Za-z_]\w*", text)}


def release_import(context: CodemodContext, node: cst.CSTNode, kept: set[str]) -> None:
    """Let libcst remove the import behind ``node`` once unused, unless a type comment needs it."""
    if (get_full_name_for_node(node) or "").partition(".")[0] not in kept:
        RemoveImportsVisitor.remove_unused_import_by_node(context, node)


def syntax_scope(
    module: cst.Module, target: Version, needs: Version, options: TypingOptions
) -> str:
    """Where new typing syntax may go: "everywhere", "annotations" or "nowhere"."""
    if target >= needs:
        return "everywhere"
    if options.keep_runtime_typing or not has_future_annotations(module):
        return "nowhere"
    if imports_any(module, *options.runtime_typing_libraries):
        return "nowhere"
    if m.findall(module, m.Name("get_type_hints")):  # the module evaluates them itself
        return "nowhere"
    return "annotations"


class Transformer(TidyImports, CodemodTransformer):
    METADATA_DEPENDENCIES = (*CodemodTransformer.METADATA_DEPENDENCIES, ScopeProvider)

    def visit_Module(self, node: cst.Module) -> bool:
        self.scope = syntax_scope(node, self.target, (3, 9), self.options)
        self.annotation_depth = 0
        self.kept_imports = type_comment_names(node)
        return self.scope != "nowhere"

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Annotation(self, node: cst.Annotation) -> None:
        self.annotation_depth += 1

    def leave_Annotation(self, original: cst.Annotation, updated: cst.Annotation) -> cst.Annotation:
        self.annotation_depth -= 1
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        return self._builtin(original, updated)

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        return self._builtin(original, updated)

    def _builtin(
        self, original: cst.Name | cst.Attribute, updated: cst.BaseExpression
    ) -> cst.BaseExpression:
        alias = self.refers_to(original, *BUILTIN_GENERICS)
        if alias is None or (self.scope == "annotations" and not self.annotation_depth):
            return updated
        builtin = BUILTIN_GENERICS[alias]
        if self._shadowed(original, builtin):
            return updated
        self.changed()
        release_import(self.context, original, self.kept_imports)
        return cst.Name(builtin, lpar=original.lpar, rpar=original.rpar)

    def _shadowed(self, node: cst.CSTNode, builtin: str) -> bool:
        """Whether ``builtin`` may mean something else where ``node`` is (a method `list`...)."""
        scope = self.get_metadata(ScopeProvider, node, None)
        if scope is None:
            return True
        return any(not isinstance(a, BuiltinAssignment) for a in scope[builtin])


class Pep585Generics(Codemod):
    name = "pep585-generics"
    summary = "typing.List[int], Dict, Set, FrozenSet, Tuple, Type become list[int], dict, ..."
    explanation = (
        "Since Python 3.9 (PEP 585) the builtin collections are generic themselves, and the "
        "`typing` aliases `List`, `Dict`, `Set`, `FrozenSet`, `Tuple` and `Type` are "
        "deprecated. Each use, subscripted or bare, becomes the builtin, as ruff UP006 "
        "rewrites them, and the `typing` imports left unused are removed. Below a 3.9 "
        "target only annotations of modules with `from __future__ import annotations` are "
        "rewritten (they are never evaluated), and not in modules that import a library "
        "that evaluates annotations at runtime (pydantic, typer, FastAPI, SQLAlchemy...). "
        "Left alone: string annotations (their import stays), places where the builtin "
        "name is rebound (a method or parameter called `list`, where ruff writes "
        "`builtins.list`), and `Deque`, `DefaultDict`, `Callable`, `Iterable` and the "
        "other `collections`/`collections.abc` aliases, which need a new import and, for "
        "`Callable` on Python 3.9.0-3.9.1, behave differently at runtime (ruff UP035)."
    )
    url = "https://peps.python.org/pep-0585/"
    triggers = (b"List", b"Dict", b"Set", b"Tuple", b"Type")
    Options = TypingOptions
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Without an import of typing there is nothing to do: no scope analysis."""
        if not imports_any(module, "typing", "typing_extensions"):
            return module
        return super().transform(module, file)

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
            "from typing import List\nclass C:\n    def list(self): ...\n"
            "    def g(self) -> List[int]: ...\n",
            title="builtin name rebound in the class",
        ),
        Example(
            "from typing import List\ndef f(x: 'List[int]', y: List[str]): ...\n",
            "from typing import List\ndef f(x: 'List[int]', y: list[str]): ...\n",
            title="string annotation keeps its import",
        ),
        Example("List = make()\nx: List[int] = []\n", title="not typing's"),
        Example("def f(x: list[int]) -> dict: ...  # List[int]\n", title="already fixed"),
    )
