"""logging-warn: `warn` is a deprecated alias of `warning` on loggers and the logging module."""

from __future__ import annotations

import libcst as cst
from libcst.codemod.visitors import RemoveImportsVisitor

from codemods.base import Binding, Codemod, CodemodTransformer, Example, FileContext
from codemods.imports import imports_any
from codemods.inplace import spells
from codemods.renaming import import_names

# `warn` reached through the logging module itself rather than through a logger variable.
DIRECT_WARN = (
    "logging.warn",
    "logging.root.warn",
    "logging.Logger.warn",
    "logging.LoggerAdapter.warn",
)
# Calls that return a logger, and the classes a variable may be annotated with.
LOGGER_FACTORIES = ("logging.getLogger", "logging.Logger", "logging.LoggerAdapter")
LOGGER_CLASSES = ("logging.Logger", "logging.LoggerAdapter", "logging.RootLogger")


class Transformer(CodemodTransformer):
    needed = False  # `from logging import warning`

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        """``logging.warn`` called or not (``handler = logging.warn``), and ``log.warn(...)``."""
        if original.attr.value != "warn":
            return updated
        if self.refers_to(original, *DIRECT_WARN) is None and not self._called_on_logger(original):
            return updated
        self.changed()
        return updated.with_changes(attr=cst.Name("warning"))

    def _called_on_logger(self, attribute: cst.Attribute) -> bool:
        if not self._is_logger(attribute):
            return False
        call = self.parent(attribute)
        return isinstance(call, cst.Call) and call.func is attribute

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = original.func
        if isinstance(func, cst.Name) and self.refers_to(func, "logging.warn") is not None:
            if self.meanings(original, "warning") not in (None, {"logging.warning"}):
                self.report(original, "logging.warn: `warning` names something else here")
                return updated
            self.changed()
            RemoveImportsVisitor.remove_unused_import_by_node(self.context, func)
            self.needed = True
            return updated.with_changes(func=cst.Name("warning"))
        return updated

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.needed:
            return updated
        return import_names(self.context, updated, "logging", [("warning", None)])

    def _is_logger(self, func: cst.Attribute) -> bool:
        owner = func.value
        if isinstance(owner, cst.Call):
            return self.refers_to(owner.func, *LOGGER_FACTORIES) is not None
        if not isinstance(owner, cst.Name):
            return False
        bindings = self.bindings(owner)
        return bindings is not None and all(self._gives_logger(b) for b in bindings)

    def _gives_logger(self, binding: Binding) -> bool:
        if binding.annotation is not None:
            return self.refers_to(binding.annotation, *LOGGER_CLASSES) is not None
        value = binding.value
        return (
            isinstance(value, cst.Call)
            and not binding.entered
            and self.refers_to(value.func, *LOGGER_FACTORIES) is not None
        )


class LoggingWarn(Codemod):
    name = "logging-warn"
    summary = "logger.warn(...) and logging.warn(...) become .warning(...)"
    explanation = (
        "`Logger.warn`, `LoggerAdapter.warn` and `logging.warn` are undocumented, deprecated "
        "aliases of `warning` that emit a DeprecationWarning on every call (Python 3.13 "
        "alphas removed them before they were restored). The rename does not change what is "
        "logged. A variable counts as a logger when every assignment that reaches the call "
        "is `logging.getLogger(...)` (or `Logger`/`LoggerAdapter(...)`), or it is annotated "
        "`logging.Logger`; other objects with a `warn` method (`warnings.warn`, your own "
        "classes, loggers kept on attributes such as `self.log`) are left alone. Ruff rule "
        "G010 fixes the same pattern by guessing from names."
    )
    url = "https://docs.python.org/3/library/logging.html#logging.Logger.warning"
    version = 4
    # Every case resolves through an import of logging; b"warn" would match every file
    # that mentions warnings.
    triggers = (b"logging",)
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Without an import of logging and a `warn` written somewhere nothing can match: no
        scope analysis."""
        if not imports_any(module, "logging") or not spells(module, ("warn",)):
            return module
        return super().transform(module, file)

    examples = (
        Example(
            "import logging\nlogger = logging.getLogger(__name__)\n\n\ndef f():\n"
            "    logger.warn('disk %s full', disk)\n",
            "import logging\nlogger = logging.getLogger(__name__)\n\n\ndef f():\n"
            "    logger.warning('disk %s full', disk)\n",
        ),
        Example(
            "import logging as log\nlog.warn('x')\nlog.getLogger().warn('y')\n",
            "import logging as log\nlog.warning('x')\nlog.getLogger().warning('y')\n",
            title="module function, alias, direct getLogger()",
        ),
        Example(
            "import logging\nlog = logging.warn\n",
            "import logging\nlog = logging.warning\n",
            title="passed uncalled",
        ),
        Example(
            "from logging import warn\nwarn('x')\n",
            "from logging import warning\nwarning('x')\n",
            title="imported function",
        ),
        Example(
            "import logging\n\n\ndef f(log: logging.Logger) -> None:\n    log.warn('x')\n",
            "import logging\n\n\ndef f(log: logging.Logger) -> None:\n    log.warning('x')\n",
            title="annotated parameter",
        ),
        Example(
            "import warnings\nwarnings.warn('x', DeprecationWarning)\n",
            title="warnings.warn",
        ),
        Example(
            "class Reporter:\n    def warn(self, m):\n        print(m)\n\n\n"
            "def f(reporter):\n    reporter.warn('logger.warn(x)')\n",
            title="another class's warn",
        ),
        Example(
            "import logging\nlogger = logging.getLogger()\nif x:\n    logger = Console()\n"
            "logger.warn('x')\n",
            title="not always a logger",
        ),
        Example("import logging\nlogging.warning('x')\n", title="already fixed"),
        Example(
            "import structlog\nlogging = structlog.get_logger()\nlogging.warn('x')\n",
            title="a module-level variable named logging",
        ),
    )
