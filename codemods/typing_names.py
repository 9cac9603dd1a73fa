"""Reads of `typing` names and the edits that replace them: shared by pep585-generics and
pep604-unions.

Both codemods ask the same questions of a module: which expressions read a name from
`typing` (or `typing_extensions`), where each one stands (an annotation, a type evaluated at
runtime, a plain value), whether a builtin's name means the builtin there, and which imports
are left unused once the reads are rewritten. The answers come from the module's imports
(`codemods.qualnames`: one walk of the module, libcst's scope analysis only where a name is
also bound otherwise), and the edits touch only the nodes they replace. On click's `core.py`
(3,000 lines) libcst's QualifiedNameProvider and RemoveImportsVisitor took 15 seconds.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import libcst as cst
from pydantic import Field, field_validator

from codemods.base import FileContext, Options, Version
from codemods.imports import ImportEdits
from codemods.qualnames import (
    Group,
    Imports,
    Index,
    Occurrence,
    StringSite,
    index_module,
    is_bound_here,
    scan_imports,
)
from codemods.renaming import Edits

Scope = Literal["everywhere", "annotations", "nowhere"]
TYPING = ("typing", "typing_extensions")
TYPE_COMMENT = re.compile(r"#\s*type:(?!\s*ignore\b)\s*([^#]*)")
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
# Functions that evaluate annotations: below the version that can read the new spelling, a
# module that calls them keeps the old one.
EVALUATES = ("get_type_hints", "get_annotations")
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
BUILTIN_GENERICS = ("list", "dict", "set", "frozenset", "tuple", "type")
GENERIC_CLASSES = frozenset(
    f"collections.{n}" for n in ("deque", "defaultdict", "OrderedDict", "Counter", "ChainMap")
)
NOT_TYPES = "Literal"
ANNOTATED = "Annotated"
TRANSPARENT = (cst.SubscriptElement, cst.Index, cst.Element, cst.Tuple, cst.List)


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
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.ImportFrom)
                and isinstance(small.module, cst.Name)
                and small.module.value == "__future__"
                and not isinstance(small.names, cst.ImportStar)
                and any(alias.evaluated_name == "annotations" for alias in small.names)
            ):
                return True
    return False


def evaluates_annotations(reads: TypingReads, options: TypingOptions) -> bool:
    """Whether the module's annotations are read at runtime: by a library it imports that
    does so (pydantic, typer, FastAPI...), or by the module itself (get_type_hints)."""
    roots = {b.path.partition(".")[0] for b in reads.imports.bindings}
    roots |= {star.module.partition(".")[0] for star in reads.imports.stars}
    if not roots.isdisjoint(options.runtime_typing_libraries):
        return True
    index = reads.main
    return any(name in index.read or name in index.attributes for name in EVALUATES)


def syntax_scope(
    reads: TypingReads, file: FileContext, needs: Version, options: TypingOptions
) -> Scope:
    """Where syntax that needs Python ``needs`` may go: everywhere (a stub is never run), in
    annotations only (never evaluated under `from __future__ import annotations`), or
    nowhere."""
    if file.target >= needs or file.path.endswith(".pyi"):
        return "everywhere"
    if options.keep_runtime_typing or not has_future_annotations(reads.module):
        return "nowhere"
    if evaluates_annotations(reads, options):
        return "nowhere"
    return "annotations"


def type_comment_names(code: str) -> set[str]:
    """Names that `# type:` comments use: invisible to libcst, read by mypy.

    A type comment is a comment that starts with `type:` (not `# x = 1  # type: List[int]`,
    code commented out); `# type: ignore` names nothing.
    """
    names: set[str] = set()
    for line in code.splitlines():
        comment = _comment(line) if "type:" in line else None
        match = TYPE_COMMENT.match(comment) if comment else None
        if match:
            names.update(IDENTIFIER.findall(match[1]))
    return names


def _comment(line: str) -> str | None:
    """The comment that ends ``line``, from its `#` outside strings (tokenizing the module
    would find it exactly, at 25 times the cost)."""
    quote = ""
    i = 0
    while i < len(line):
        if quote:
            if line[i] == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i, quote = i + len(quote), ""
                continue
        elif line[i] in "'\"":
            quote = line[i : i + 3] if line[i : i + 3] in ('"""', "'''") else line[i]
            i += len(quote)
            continue
        elif line[i] == "#":
            return line[i:]
        i += 1
    return None


@dataclass(eq=False)
class Read:
    """A read of a name from `typing`: `List`, `typing.List`, `t.List`, in code or in a
    string annotation."""

    occurrence: Occurrence
    group: Group
    qualified: str  # typing.List, typing_extensions.List

    @property
    def name(self) -> str:
        return self.qualified.rpartition(".")[2]

    @property
    def node(self) -> cst.Name | cst.Attribute:
        return self.occurrence.chain[-1]

    @property
    def ancestors(self) -> tuple[cst.CSTNode, ...]:
        """Down to the read; inside its string annotation's expression for a string."""
        return self.occurrence.ancestors

    @property
    def site(self) -> StringSite | None:
        return self.occurrence.site

    @property
    def outer(self) -> tuple[cst.CSTNode, ...]:
        """Down to the read in the module: to its string, for one in a string annotation."""
        site = self.occurrence.site
        return site.ancestors if site is not None else self.occurrence.ancestors

    @property
    def parent(self) -> cst.CSTNode | None:
        return self.occurrence.ancestors[-1] if self.occurrence.ancestors else None


def typing_imports(module: cst.Module) -> Imports | None:
    """The module's imports, if one of them is of `typing` or `typing_extensions`."""
    imports = scan_imports(module)
    modules = {b.path.partition(".")[0] for b in imports.bindings}
    modules |= {s.module for s in imports.stars}
    return None if modules.isdisjoint(TYPING) else imports


class TypingReads:
    """The reads of `typing` names in one module, and the edits made to them."""

    def __init__(self, module: cst.Module, imports: Imports, others: Sequence[str] = ()) -> None:
        self.module = module
        self.imports = imports
        self.indexes = [
            index
            for name in (*TYPING, *others)
            if (index := index_module(module, name, light=True)) is not None
        ]
        self.edits = Edits()
        self.import_edits = ImportEdits(imports)
        self.rewritten: set[int] = set()
        self._inner: dict[int, tuple[StringSite, Edits]] = {}

    @classmethod
    def of(cls, module: cst.Module, others: Sequence[str] = ()) -> TypingReads | None:
        """None for a module that imports nothing from `typing`: the common case, answered
        by a walk over its statements."""
        imports = typing_imports(module)
        return None if imports is None else cls(module, imports, others)

    @functools.cached_property
    def code(self) -> str:
        return self.module.code

    @functools.cached_property
    def main(self) -> Index:
        """Any index: each knows the module's bindings, reads and scopes."""
        return self.indexes[0]

    def reads(self, modules: Sequence[str] = TYPING) -> Iterator[Read]:
        """Every read of a name inside ``modules`` that is a whole expression (`typing.List`,
        not `typing.List.__args__`) read as a value (not `typing.List = x`)."""
        for index in self.indexes:
            if index.old not in modules:
                continue
            for group in index.groups:
                for occurrence in group.chains:
                    read = self._read(occurrence, group)
                    if read is not None:
                        yield read

    def reads_of(self, group: Group) -> list[Read]:
        return [r for o in group.chains if (r := self._read(o, group)) is not None]

    def _read(self, occurrence: Occurrence, group: Group) -> Read | None:
        site = occurrence.site
        if site is not None and not isinstance(site.ancestors[0], cst.Module):
            return None  # a string inside a string annotation
        qualified = group.resolve(occurrence, len(occurrence.chain) - 1)
        if qualified.count(".") != 1 and not qualified.startswith("collections.abc."):
            return None
        if is_bound_here(occurrence.chain[-1], occurrence.ancestors):
            return None
        return Read(occurrence, group, qualified)

    @functools.cached_property
    def qualified(self) -> dict[int, str]:
        """What each whole read refers to, by the id of its node."""
        return {id(read.node): read.qualified for read in self.reads((*TYPING, "collections"))}

    def rebinds(self, name: str, read: Read) -> bool:
        """Whether ``name`` written in place of ``read`` may not mean the builtin."""
        return self.main.rebinds(name, read.outer)

    def is_builtin(self, node: cst.CSTNode, ancestors: Sequence[cst.CSTNode]) -> str | None:
        """The builtin generic (`list`, `dict`...) that ``node`` reads, if it reads one."""
        if isinstance(node, cst.Name) and node.value in BUILTIN_GENERICS:
            return None if self.main.rebinds(node.value, ancestors) else node.value
        return None

    def free(self, name: str) -> bool:
        """Whether the module neither binds nor reads ``name``: a new import may bind it."""
        return not self.main.binds(name) and name not in self.main.read

    def printed(self, names: Collection[str]) -> cst.SimpleString | None:
        """A string spelling one of ``names`` subscripted that a comparison looks at
        (`repr(field) == "List[int]"`) or that sits in a tuple beside a read of the name
        (`(List[int], "List[int]")`, a test's parameters): the module checks how types
        print, which the new spellings change."""
        spelled = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\[")
        reads = [r for r in self.reads() if r.name in names and r.site is None]
        for node, ancestors in self.main.spellings:
            if not spelled.search(str(node.evaluated_value)):
                continue
            if any(compares(a) for a in ancestors):
                return node
            pair = ancestors[-3] if len(ancestors) > 2 else None  # the string, Element, Tuple
            if isinstance(pair, cst.Tuple) and any(pair in r.ancestors for r in reads):
                return node
        return None

    def in_annotation(self, read: Read) -> bool:
        return read.site is not None or any(isinstance(n, cst.Annotation) for n in read.outer)

    @functools.cached_property
    def type_roots(self) -> dict[int, bool]:
        """The values that are types at runtime, by id: arguments of `cast`, `TypeVar`,
        `NewType`, the fields of `NamedTuple(...)` and `TypedDict(...)`, `TypeAlias` values.
        True for those never evaluated (a string given to `cast`)."""
        roots: dict[int, bool] = {}
        for read in self.reads():
            parent, name = read.parent, read.name
            if name == "TypeAlias" and isinstance(parent, cst.Annotation):
                assign = read.ancestors[-2] if len(read.ancestors) > 1 else None
                if isinstance(assign, cst.AnnAssign) and assign.value is not None:
                    roots[id(assign.value)] = False
            if isinstance(parent, cst.Call) and parent.func is read.node:
                for value in _typed_values(name, parent):
                    roots[id(value)] = name == "cast" and isinstance(value, cst.SimpleString)
        return roots

    def in_type(self, read: Read, around: int = 0, everywhere: bool = False) -> bool:
        """Whether ``read`` (or the node ``around`` levels up from it) is in a type
        expression: an annotation (not a `Literal` value, not `Annotated` metadata, not a
        call's argument), or with ``everywhere``, a type evaluated at runtime: a `cast`
        or `TypeVar` argument, a `TypeAlias` value, a standard generic's argument."""
        ancestors = read.ancestors[: len(read.ancestors) - around]
        node = read.ancestors[-around] if around else read.node
        verdict = self._context(node, ancestors, everywhere)
        if verdict is None and read.site is not None:
            verdict = self._context(read.site.node, read.site.ancestors[:-1], everywhere)
        return bool(verdict)

    def _context(
        self, node: cst.CSTNode, ancestors: Sequence[cst.CSTNode], everywhere: bool
    ) -> bool | None:
        """Walk up from ``node``: True in a type expression, False out of one, None at the
        top of a string annotation's expression (its string decides)."""
        child = node
        for depth in range(len(ancestors) - 1, -1, -1):
            parent = ancestors[depth]
            if id(child) in self.type_roots:
                return everywhere or self.type_roots[id(child)]
            if isinstance(parent, cst.Annotation):
                return True
            if isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.BitOr):
                pass
            elif isinstance(parent, cst.Subscript):
                if parent.value is child:
                    return False  # `Optional[T][int]`: a value subscripted
                kind = self._generic(parent.value, ancestors[: depth + 1])
                if kind == NOT_TYPES or (kind == ANNOTATED and child is not parent.slice[0]):
                    return False
                if kind is not None and everywhere:
                    return True
            elif not isinstance(parent, TRANSPARENT):
                return False
            child = parent
        return None

    def _generic(self, value: cst.BaseExpression, ancestors: Sequence[cst.CSTNode]) -> str | None:
        """What kind of standard generic ``value`` is: `Literal`, `Annotated`, another one
        (its qualified name), or None for anything else."""
        qualified = self.qualified.get(id(value))
        if qualified is None:
            return self.is_builtin(value, ancestors)
        module, _, name = qualified.rpartition(".")
        if module in TYPING:
            return name if name in (NOT_TYPES, ANNOTATED) else qualified
        if module == "collections.abc" or qualified in GENERIC_CLASSES:
            return qualified
        return None

    @functools.cached_property
    def kept_names(self) -> set[str]:
        """Names read where the reads are not seen: type comments, strings of types that
        could not be parsed."""
        return type_comment_names(self.code) | self.main.opaque

    # -- edits ------------------------------------------------------------------------------

    def replace(
        self,
        read: Read,
        node: cst.CSTNode,
        path: Sequence[cst.CSTNode],
        edit: Callable[[cst.CSTNode], cst.CSTNode],
    ) -> None:
        """Replace ``node`` (the read, or a node around it on ``path``) by ``edit`` of it."""
        self.rewritten.add(id(read.occurrence))
        site = read.site
        if site is None:
            self.edits.add(node, path, edit)
        else:
            self._inner.setdefault(id(site), (site, Edits()))[1].add(node, path, edit)
        self.edits.count += 1

    def release(self) -> None:
        """Drop the imports whose every read was rewritten (unless read where unseen): each
        import on its own, a function's `from typing import List` apart from the module's.
        An `if TYPE_CHECKING:` block left empty goes, and may take the last read of
        `TYPE_CHECKING` with it."""
        while self._release() or self._empty_type_checking_blocks():
            pass

    def _release(self) -> bool:
        dropped = False
        for index in self.indexes:
            for group in index.groups:
                if not any(id(o) in self.rewritten for o in group.chains):
                    continue
                for binding in group.bindings:
                    if id(binding.alias) in self.import_edits.dropped:
                        continue
                    if group.unclear and any(o.reads(binding) for o in group.unclear):
                        continue
                    reads = [o for o in group.chains if o.reads(binding) and not self._data(o)]
                    if not reads or any(id(o) not in self.rewritten for o in reads):
                        continue
                    if group.local in index.exported or group.local in self.kept_names:
                        continue
                    if (
                        binding.alias.asname is not None
                        and binding.local == binding.alias.evaluated_name
                    ):
                        continue  # `import X as X`: an explicit re-export
                    self.import_edits.drop(binding)
                    dropped = True
        return dropped

    def _data(self, occurrence: Occurrence) -> bool:
        """Whether ``occurrence`` is in a string that is a value, not a type (`Literal["List"]`)."""
        site = occurrence.site
        return site is not None and self._context(site.node, site.ancestors[:-1], True) is False

    def _empty_type_checking_blocks(self) -> bool:
        removed = False
        for read in self.reads():
            block = read.parent
            if read.name != "TYPE_CHECKING" or id(read.occurrence) in self.rewritten:
                continue
            if not isinstance(block, cst.If) or block.test is not read.node or block.orelse:
                continue
            if self.import_edits.empties(block.body):
                self.import_edits.remove(block, read.ancestors[:-1])
                self.rewritten.add(id(read.occurrence))
                removed = True
        return removed

    def apply(self, tree: cst.Module) -> cst.Module:
        for site, inner in self._inner.values():
            holder = cst.Expr(site.expression)  # the expression itself may be replaced
            inner.paths.add(id(holder))
            code = cst.Module([]).code_for_node(inner.apply(holder).value)
            value = f"{site.node.prefix}{site.node.quote}{code}{site.node.quote}"
            self.edits.add(site.node, site.ancestors, functools.partial(_restring, value=value))
        self.import_edits.register(self.edits)
        return self.edits.apply(tree)


def compares(node: cst.CSTNode) -> bool:
    """`a == b` (any comparison) or a test's `self.assertEqual(a, b)` (any `assert...` call)."""
    if isinstance(node, (cst.Comparison, cst.ComparisonTarget)):
        return True
    func = node.func if isinstance(node, cst.Call) else None
    name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
    return isinstance(name, str) and name.startswith("assert")


def _typed_values(name: str, call: cst.Call) -> Iterator[cst.BaseExpression]:
    """The arguments of a call to typing's ``name`` that are types."""
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    if name == "cast":
        yield from positional[:1]
    elif name == "TypeVar":
        yield from positional[1:]
        if "bound" in keywords:
            yield keywords["bound"]
    elif name == "NewType":
        yield from positional[1:2]
    elif name in ("NamedTuple", "TypedDict"):
        fields = positional[1] if len(positional) > 1 else keywords.get("fields")
        if isinstance(fields, (cst.List, cst.Tuple)):
            for element in fields.elements:
                pair = element.value
                if isinstance(pair, cst.Tuple) and len(pair.elements) == 2:
                    yield pair.elements[1].value
        elif isinstance(fields, cst.Dict):
            yield from (e.value for e in fields.elements if isinstance(e, cst.DictElement))
        yield from (v for k, v in keywords.items() if k not in ("fields", "total", "closed"))


def _restring(node: cst.CSTNode, value: str) -> cst.SimpleString:
    return cst.ensure_type(node, cst.SimpleString).with_changes(value=value)


def respelled(node: cst.CSTNode, dotted: str) -> cst.BaseExpression:
    """``dotted`` (`list`, `collections.deque`) in place of ``node``, in its parentheses."""
    parts = dotted.split(".")
    expression: cst.Name | cst.Attribute = cst.Name(parts[0])
    for part in parts[1:]:
        expression = cst.Attribute(expression, cst.Name(part))
    return expression.with_changes(lpar=node.lpar, rpar=node.rpar)  # type: ignore[attr-defined]
