"""yaml-safe-load: `yaml.load` without a safe Loader can construct arbitrary Python objects."""

from __future__ import annotations

import libcst as cst
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from codemods.base import Codemod, CodemodTransformer, Example

SAFE_LOADERS = {"yaml.SafeLoader", "yaml.CSafeLoader"}


class Transformer(CodemodTransformer):
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.refers_to(original.func, "yaml.load") is None:
            return updated
        loader = _loader_arg(original)
        if any(a.star for a in original.args):
            self.report(original, "yaml.load with */** arguments: check that the Loader is safe")
            return updated
        if loader is not None and self.refers_to(loader.value, *SAFE_LOADERS) is None:
            self.report(original, "yaml.load with a Loader that can build arbitrary objects")
            return updated
        self.changed()
        if loader is not None:
            RemoveImportsVisitor.remove_unused_import_by_node(self.context, loader.value)
        args = [a for a in updated.args if a.keyword is None or a.keyword.value != "Loader"]
        args = [a for i, a in enumerate(args) if i == 0 or a.keyword is not None] or args[:1]
        if args:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(func=self._safe_load(original.func), args=args)

    def _safe_load(self, func: cst.BaseExpression) -> cst.BaseExpression:
        if isinstance(func, cst.Attribute):
            return func.with_changes(attr=cst.Name("safe_load"))
        RemoveImportsVisitor.remove_unused_import_by_node(self.context, func)
        AddImportsVisitor.add_needed_import(self.context, "yaml", "safe_load")
        return cst.Name("safe_load")


def _loader_arg(call: cst.Call) -> cst.Arg | None:
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "Loader":
            return arg
        if arg.keyword is None and not arg.star and index == 1:
            return arg
    return None


class YamlSafeLoad(Codemod):
    name = "yaml-safe-load"
    summary = "yaml.load(x) without a safe Loader becomes yaml.safe_load(x)"
    explanation = (
        "`yaml.load` with PyYAML's full or unsafe loaders can construct arbitrary Python "
        "objects from the document, which turns untrusted YAML into code execution "
        "(CVE-2017-18342). `yaml.safe_load` builds only plain data. Calls that pass "
        "`Loader=yaml.SafeLoader` are rewritten to the shorter spelling; calls with another "
        "Loader are reported for a human to decide. Ruff rule S506 detects this but does not "
        "fix it."
    )
    url = "https://github.com/yaml/pyyaml/wiki/PyYAML-yaml.load(input)-Deprecation"
    version = 2
    triggers = (b"yaml",)
    Transformer = Transformer
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
            "from yaml import safe_load, load\nsafe_load(a)\nf = load\n",
            title="import still used elsewhere",
        ),
        Example("def load(s):\n    return s\nload('yaml.load(x)')\n", title="local function"),
        Example("import yaml\nyaml.safe_load(s)  # yaml.load(s)\n", title="already fixed"),
        Example("import json\njson.load(f)\n", title="another module's load"),
        Example(
            "from ruamel.yaml import YAML\nyaml = YAML()\ndata = yaml.load(stream)\n",
            title="a module-level variable named yaml",
        ),
    )
