"""The codemod contract.

A codemod is a class: its class attributes are what a reviewer, the registry and the
engine need to know about it (name, summary, explanation, triggers, safety, options,
examples), and its nested ``Transformer`` does the work on one parsed module. Keeping the
description and the behaviour in one place is what lets `fleetmod codemods show`, the
pull request body and the example tests all speak of the same thing.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import (
    Assignment,
    BaseAssignment,
    BaseMetadataProvider,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
    ScopeProvider,
)
from pydantic import BaseModel, ConfigDict

Version = tuple[int, int]
T = TypeVar("T")


class Safety(str, enum.Enum):
    """Whether a reviewer must confirm a behaviour change (`review`) or not (`safe`)."""

    SAFE = "safe"
    REVIEW = "review"


class Options(BaseModel):
    """Base of every codemod's options: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoOptions(Options):
    """For codemods that take no options."""


@dataclass(frozen=True)
class Finding:
    """A place a human must look at: the codemod saw the pattern but could not fix it safely."""

    path: str
    line: int
    column: int
    codemod: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message} [{self.codemod}]"


@dataclass(frozen=True)
class Example:
    """A documented case that doubles as a test.

    ``after`` of None means the code must be left exactly as it is; ``findings`` is how
    many findings the codemod must report on ``before``.
    """

    before: str
    after: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    target: Version = (3, 13)
    findings: int = 0
    title: str = ""


@dataclass(frozen=True)
class Binding:
    """One way a variable gets its value: ``name = value`` (also ``name: annotation = value``
    and ``(name := value)``), ``with value as name`` (``entered``: the variable holds what
    ``value.__enter__()`` returned), or a parameter ``name: annotation`` (no value)."""

    value: cst.BaseExpression | None
    annotation: cst.BaseExpression | None = None
    entered: bool = False


@dataclass
class FileContext:
    """What a codemod may know about the file it works on, and where its output goes."""

    path: str
    target: Version
    findings: list[Finding] = field(default_factory=list)
    changes: int = 0


class CodemodTransformer(VisitorBasedCodemodCommand):
    """Base of every codemod's transformer.

    It is a libcst codemod command so that libcst's import helpers
    (``AddImportsVisitor``/``RemoveImportsVisitor``) run after it on the same context.
    Qualified names come from libcst's scope analysis, which the engine pays for only on
    files whose bytes contain one of the codemod's triggers.
    """

    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    def __init__(self, context: CodemodContext, codemod: Codemod, file: FileContext) -> None:
        super().__init__(context)
        self.codemod = codemod
        self.options: Any = codemod.options
        self.file = file

    @property
    def target(self) -> Version:
        return self.file.target

    def changed(self, count: int = 1) -> None:
        """Count one rewrite; the engine reports the counts per codemod."""
        self.file.changes += count

    def report(self, node: cst.CSTNode, message: str) -> None:
        """Record a finding at ``node`` (which must be a node of the original tree)."""
        pos = self.get_metadata(PositionProvider, node).start
        self.file.findings.append(
            Finding(self.file.path, pos.line, pos.column + 1, self.codemod.name, message)
        )

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """The qualified names ``node`` may refer to, resolved through the module's imports.

        Module-level variables are left out: libcst names them as if they were modules
        (``yaml = YAML()`` makes ``yaml.load`` read "yaml.load"), so only an import or a
        builtin can make a node refer to a library's name.
        """
        names = self.get_metadata(QualifiedNameProvider, node, set())
        return {n.name for n in names if n.source is not QualifiedNameSource.LOCAL}

    def refers_to(self, node: cst.CSTNode, *names: str) -> str | None:
        """The first of ``names`` that ``node`` refers to, if any."""
        found = self.qualified_names(node)
        return next((n for n in names if n in found), None)

    def _resolve(self, provider: type[BaseMetadataProvider[T]]) -> Mapping[cst.CSTNode, T]:
        """Metadata the transformer did not declare: resolved on first use, on this file only."""
        wrapper = self.context.wrapper
        assert wrapper is not None, "only inside transform_module"
        return wrapper.resolve(provider)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The node around ``node`` in the original tree."""
        return self._resolve(ParentNodeProvider).get(node)

    def _assignments(self, name: cst.Name) -> Collection[BaseAssignment]:
        scope = self._resolve(ScopeProvider).get(name)
        access = next((a for a in scope.accesses[name] if a.node is name), None) if scope else None
        return access.referents if access is not None else ()

    def bindings(self, name: cst.Name) -> list[Binding] | None:
        """Every binding that can give the variable read at ``name`` its value.

        None when the variable is unbound here or bound in a way whose value the source
        does not show (import, loop target, unpacking, ``+=``, def, global of another
        module): then nothing is known about it, which is not the same as "no bindings".
        """
        found: list[Binding] = []
        for assignment in self._assignments(name):
            node = assignment.node if isinstance(assignment, Assignment) else None
            binding = self._binding(node) if node is not None else None
            if binding is None:
                return None
            found.append(binding)
        return found or None

    def _binding(self, node: cst.CSTNode) -> Binding | None:
        if isinstance(node, cst.Param):
            return Binding(None, node.annotation.annotation if node.annotation else None)
        parent = self.parent(node)
        if isinstance(parent, cst.AssignTarget):
            return Binding(cst.ensure_type(self.parent(parent), cst.Assign).value)
        if isinstance(parent, cst.AnnAssign) and parent.target is node:
            return Binding(parent.value, parent.annotation.annotation)
        if isinstance(parent, cst.NamedExpr) and parent.target is node:
            return Binding(parent.value)
        item = self.parent(parent) if isinstance(parent, cst.AsName) else None
        if isinstance(item, cst.WithItem):
            return Binding(item.item, entered=True)
        return None

    def reads(self, name: cst.Name) -> list[cst.CSTNode]:
        """Every read, anywhere in the module, of the variable(s) read at ``name``."""
        return [a.node for b in self._assignments(name) for a in b.references]

    def meanings(self, node: cst.CSTNode, name: str) -> set[str] | None:
        """What ``name`` would refer to if written at ``node`` (qualified names); None when
        it is free there, so that a codemod can tell whether it may introduce it."""
        scope = self._resolve(ScopeProvider).get(node)
        if scope is None or name not in scope:
            return None
        return {q.name for q in scope.get_qualified_names_for(name)}


class Codemod:
    """A named, documented, configurable rewrite (or report) of one pattern.

    Subclasses set the class attributes and a nested ``Transformer``. ``version`` must be
    raised whenever the output for some input changes: it is part of the cache key.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    explanation: ClassVar[str]
    url: ClassVar[str] = ""
    safety: ClassVar[Safety] = Safety.SAFE
    version: ClassVar[int] = 1
    triggers: ClassVar[tuple[bytes, ...]]
    Options: ClassVar[type[Options]] = NoOptions
    examples: ClassVar[tuple[Example, ...]] = ()
    Transformer: ClassVar[type[CodemodTransformer]]

    def __init__(self, options: Options | Mapping[str, Any] | None = None) -> None:
        if isinstance(options, Options):
            self.options = options
        else:
            self.options = self.Options.model_validate(dict(options or {}))

    def file_triggers(self) -> tuple[bytes, ...]:
        """Byte strings without which a file cannot match; options may narrow them."""
        return self.triggers

    def fingerprint(self) -> str:
        """Identity of this configured codemod, for the content-hash cache."""
        payload = json.dumps(
            [self.name, self.version, self.options.model_dump(mode="json")], sort_keys=True
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def spec(self) -> tuple[str, dict[str, Any]]:
        """A picklable description from which a worker process rebuilds this codemod."""
        cls = type(self)
        return f"{cls.__module__}:{cls.__qualname__}", self.options.model_dump(mode="json")

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Run the transformer (and libcst's import helpers after it) on ``module``."""
        context = CodemodContext(filename=file.path)
        return self.Transformer(context, self, file).transform_module(module)
