"""yaml-safe-load: `yaml.load` without a safe Loader can construct arbitrary Python objects."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import RemoveImportsVisitor

from codemods.base import Codemod, CodemodTransformer, Example, FileContext
from codemods.calls import argument, has_star, remove_args
from codemods.imports import imports_any, imports_in
from codemods.inplace import spells
from codemods.renaming import import_names

LOAD = "yaml.load"
PARTIAL = "functools.partial"
SAFE_LOADERS = {"yaml.SafeLoader", "yaml.CSafeLoader"}
UNSAFE_LOADERS = {
    f"yaml.{prefix}{kind}Loader" for prefix in ("", "C") for kind in ("", "Full", "Unsafe")
}


class Transformer(CodemodTransformer):
    def __init__(self, context: CodemodContext, codemod: Codemod, file: FileContext) -> None:
        super().__init__(context, codemod, file)
        self.called: set[cst.CSTNode] = set()  # `yaml.load` in a call, judged there
        self.needed = False  # `from yaml import safe_load`

    def visit_Module(self, node: cst.Module) -> None:
        self.star = any(_is_star_from_yaml(i) for i in imports_in(node))

    def visit_Import(self, node: cst.Import) -> bool:
        return False  # `from yaml import load` is not a use of it

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> None:
        self.called.add(node.func)
        first = node.args[0] if node.args else None
        if first is None or first.keyword is not None or first.star:
            return
        if self.refers_to(node.func, PARTIAL) and self.refers_to(first.value, LOAD):
            self.called.add(first.value)
            loader = argument(node, 2, "Loader")
            if has_star(node) and loader is None:
                self.report(node, f"{PARTIAL}({LOAD}) with */** arguments: check the Loader")
            elif loader is None or not self._safe(loader.value):
                self.report(node, f"{PARTIAL}({LOAD}) without a safe Loader: use yaml.safe_load")

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        self._uncalled(original)
        return updated

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        self._uncalled(original)
        return updated

    def _uncalled(self, node: cst.Name | cst.Attribute) -> None:
        if node not in self.called and self.refers_to(node, LOAD):
            self.report(node, _UNCALLED)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.refers_to(original.func, LOAD) is None:
            if self._from_star(original):
                self.report(original, "load may be yaml.load from `from yaml import *`")
            return updated
        loader = argument(original, 1, "Loader")
        if has_star(original) and loader is None:
            self.report(original, "yaml.load with */** arguments: check that the Loader is safe")
            return updated
        loaders = self.qualified_names(loader.value) if loader is not None else set()
        if loader is not None and not self._safe(loader.value):
            self.report(original, self._loader_message(loaders))
            return updated
        if loader is not None and loaders != {"yaml.SafeLoader"}:
            return updated  # the C loader, or a variable holding a safe one: safe already
        func = self._safe_load(original)
        if func is None:
            self.report(original, "yaml.load: `safe_load` names something else here: fix by hand")
            return updated
        self.changed()
        if loader is not None:
            RemoveImportsVisitor.remove_unused_import_by_node(self.context, loader.value)
            position = next(i for i, a in enumerate(original.args) if a is loader)
            updated = remove_args(updated, [updated.args[position]])
        return updated.with_changes(func=func)

    def _from_star(self, call: cst.Call) -> bool:
        named = self.star and m.matches(call.func, m.Name("load"))
        return named and self.meanings(call, "load") is None

    def _safe(self, loader: cst.BaseExpression, follow: bool = True) -> bool:
        """One of PyYAML's safe loaders, or a variable every value of which is one (ansible's
        ``_SafeLoader = yaml.CSafeLoader`` / ``except AttributeError: ... yaml.SafeLoader``)."""
        loaders = self.qualified_names(loader)
        if loaders:
            return loaders <= SAFE_LOADERS
        bindings = self.bindings(loader) if follow and isinstance(loader, cst.Name) else None
        return bool(bindings) and all(
            b.value is not None and not b.entered and self._safe(b.value, follow=False)
            for b in bindings or ()
        )

    def _loader_message(self, loaders: set[str]) -> str:
        if loaders and loaders <= UNSAFE_LOADERS:
            return "yaml.load with a Loader that can build arbitrary Python objects"
        return (
            "yaml.load with a Loader that is not one of PyYAML's safe loaders: check that it "
            "builds only plain data (a SafeLoader or SafeConstructor subclass does)"
        )

    def _safe_load(self, call: cst.Call) -> cst.BaseExpression | None:
        """``yaml.safe_load`` spelled like the call spells ``yaml.load``; None when the
        name it would take is bound to something else."""
        func = call.func
        if isinstance(func, cst.Attribute):
            return func.with_changes(attr=cst.Name("safe_load"))
        if self.meanings(call, "safe_load") not in (None, {"yaml.safe_load"}):
            return None
        RemoveImportsVisitor.remove_unused_import_by_node(self.context, func)
        self.needed = True
        return cst.Name("safe_load")

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.needed:
            return updated
        return import_names(self.context, updated, "yaml", [("safe_load", None)])


def _is_star_from_yaml(node: cst.Import | cst.ImportFrom) -> bool:
    return (
        isinstance(node, cst.ImportFrom)
        and isinstance(node.names, cst.ImportStar)
        and not node.relative
        and m.matches(node.module, m.Name("yaml"))
    )


_UNCALLED = (
    "yaml.load passed uncalled: pass yaml.safe_load, unless every caller gives a safe Loader"
)


class YamlSafeLoad(Codemod):
    name = "yaml-safe-load"
    summary = "yaml.load(x) without a safe Loader becomes yaml.safe_load(x)"
    explanation = (
        "`yaml.load` with PyYAML's full or unsafe loaders can construct arbitrary Python "
        "objects from the document, which turns untrusted YAML into code execution "
        "(CVE-2017-18342). `yaml.safe_load` builds only plain data. Calls that pass "
        "`Loader=yaml.SafeLoader` are rewritten to the shorter spelling; calls with the C "
        "`CSafeLoader` are left as they are (as safe, and faster than `safe_load`); calls "
        "with another Loader, and `yaml.load` passed uncalled (`map(yaml.load, ...)`, "
        "`functools.partial` without a safe Loader), are reported for a human to decide. "
        "Ruff rule S506 detects the calls but does not fix them."
    )
    url = "https://github.com/yaml/pyyaml/wiki/PyYAML-yaml.load(input)-Deprecation"
    version = 5
    triggers = (b"yaml",)
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Without an import of yaml and a `load` written somewhere nothing can match: no scope
        analysis."""
        if not imports_any(module, "yaml") or not spells(module, ("load",)):
            return module
        return super().transform(module, file)

    examples = (
        Example(
            "import yaml\ndata = yaml.load(stream)\n",
            "import yaml\ndata = yaml.safe_load(stream)\n",
        ),
        Example(
            "import yaml as y\ny.load(s, Loader=y.SafeLoader)  # keep\n",
            "import yaml as y\ny.safe_load(s)  # keep\n",
            title="alias and explicit SafeLoader",
        ),
        Example(
            "from yaml import load\nload(s)\n",
            "from yaml import safe_load\nsafe_load(s)\n",
            title="imported function",
        ),
        Example(
            "from yaml import load, SafeLoader\nload(s, SafeLoader)\n",
            "from yaml import safe_load\nsafe_load(s)\n",
            title="positional SafeLoader",
        ),
        Example(
            "import yaml\nyaml.load(s, Loader=yaml.FullLoader)\n",
            findings=1,
            title="unsafe loader is a finding",
        ),
        Example(
            "from yaml import load as yaml_load\nyaml_load(s)\n",
            "from yaml import safe_load\nsafe_load(s)\n",
            title="aliased import",
        ),
        Example(
            "from yaml import load\nload(a)\nf = load\n",
            "from yaml import load, safe_load\nsafe_load(a)\nf = load\n",
            findings=1,
            title="import still used elsewhere (and reported there)",
        ),
        Example(
            "try:\n    from yaml import CSafeLoader as SafeLoader\nexcept ImportError:\n"
            "    from yaml import SafeLoader\nimport yaml\nyaml.load(s, Loader=SafeLoader)\n",
            title="the C safe loader: already safe, and faster than safe_load",
        ),
        Example(
            "import functools\nimport yaml\n\ntry:\n    Safe = yaml.CSafeLoader\n"
            "except AttributeError:\n    Safe = yaml.SafeLoader\n"
            "parse = functools.partial(yaml.load, Loader=Safe)\ndata = yaml.load(s, Safe)\n",
            title="a variable that holds a safe loader (ansible's compat/yaml.py)",
        ),
        Example(
            "import yaml\nfrom app import StrictLoader\nyaml.load(s, Loader=StrictLoader)\n",
            findings=1,
            title="a loader of the project's own is a finding",
        ),
        Example(
            "import functools\nimport yaml\n"
            "parse = functools.partial(yaml.load, Loader=yaml.SafeLoader)\n"
            "docs = map(yaml.load, files)\n",
            findings=1,
            title="passed uncalled: a partial with a safe Loader is fine",
        ),
        Example(
            "from yaml import load\n\ndef safe_load(x):\n    return x\n\nload(s)\n",
            findings=1,
            title="safe_load is taken",
        ),
        Example("from yaml import *\nload(s)\n", findings=1, title="star import"),
        Example("def load(s):\n    return s\nload('yaml.load(x)')\n", title="local function"),
        Example("import yaml\nyaml.safe_load(s)  # yaml.load(s)\n", title="already fixed"),
        Example("import json\njson.load(f)\n", title="another module's load"),
        Example(
            "from ruamel.yaml import YAML\nyaml = YAML()\ndata = yaml.load(stream)\n",
            title="a module-level variable named yaml",
        ),
    )
