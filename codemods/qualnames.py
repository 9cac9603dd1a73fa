"""Which expressions of a module refer to a qualified name, resolved from the module's imports.

libcst's QualifiedNameProvider answers that question for every node of every module, at the
price of a full scope analysis: several times the cost of parsing, on every file. A rename
or a call rewrite only needs the answer for chains of names that start at an import of the
qualified name (or of a module that contains it). So this module finds those imports with a
walk over statements only (nothing to do for most files), then collects the chains in one
visit, and pays for libcst's ScopeProvider only in the files where one of those local names
is also bound by something else (a parameter, an assignment, a function-local import), which
is where reading the imports alone could be wrong.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.metadata import BaseAssignment, ImportAssignment, MetadataWrapper, ScopeProvider

Line = cst.SimpleStatementLine | cst.SimpleStatementSuite
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
SPELLS_GENERIC = re.compile(r"\b[A-Za-z_]\w*\[")
TYPE_LIKE = re.compile(r"[\w. \[\],|'\"]+")
Chain = list[cst.Name | cst.Attribute]


def is_under(name: str, prefix: str) -> bool:
    """True when ``name`` is ``prefix`` or inside it: ``a.b.c`` is under ``a.b``, not ``a.bc``."""
    return name == prefix or name.startswith(prefix + ".")


def root_of(dotted: str) -> str:
    return dotted.partition(".")[0]


class Form(enum.Enum):
    IMPORT = "import a.b"  # binds `a`; `a.b.x` is spelled in full at every use
    IMPORT_AS = "import a.b as z"
    FROM = "from a import b [as z]"


@dataclass(eq=False)
class Binding:
    """One local name bound by one import alias."""

    local: str
    path: str  # what is imported: "a.b" for all three forms; relative imports start with "."
    form: Form
    alias: cst.ImportAlias
    statement: cst.Import | cst.ImportFrom
    line: Line
    ancestors: tuple[cst.CSTNode, ...]  # from the module down to the line, line excluded
    module_level: bool

    @property
    def target(self) -> str:
        """What the local name itself refers to (``import a.b`` binds ``a`` to ``a``)."""
        return self.local if self.form is Form.IMPORT else self.path

    @property
    def module(self) -> str:
        """The module of a ``from`` import; the imported path of the other forms."""
        return self.path.rpartition(".")[0] if self.form is Form.FROM else self.path


@dataclass(eq=False)
class Star:
    module: str
    statement: cst.ImportFrom
    line: Line
    ancestors: tuple[cst.CSTNode, ...]


@dataclass
class Imports:
    bindings: list[Binding] = field(default_factory=list)
    stars: list[Star] = field(default_factory=list)


def scan_imports(module: cst.Module) -> Imports:
    """Every import of the module, found without looking inside expressions."""
    found = Imports()
    _scan_block(module.body, (module,), True, found)
    return found


def _scan_block(
    body: Sequence[cst.BaseStatement | cst.BaseSmallStatement],
    path: tuple[cst.CSTNode, ...],
    module_level: bool,
    found: Imports,
) -> None:
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            _scan_line(stmt, path, module_level, found)
        elif isinstance(stmt, cst.BaseCompoundStatement):
            inner = module_level and not isinstance(stmt, (cst.FunctionDef, cst.ClassDef))
            for between, suite in suites(stmt):
                here = (*path, stmt, *between)
                if isinstance(suite, cst.SimpleStatementSuite):
                    _scan_line(suite, here, inner, found)
                else:
                    _scan_block(suite.body, (*here, suite), inner, found)


def suites(stmt: cst.CSTNode) -> Iterator[tuple[tuple[cst.CSTNode, ...], cst.BaseSuite]]:
    """The blocks of a compound statement, with the nodes between the statement and each."""
    if isinstance(stmt, cst.Match):
        for case in stmt.cases:
            yield (case,), case.body
        return
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.BaseSuite):
        yield (), body
    for handler in getattr(stmt, "handlers", ()):
        yield (handler,), handler.body
    orelse = getattr(stmt, "orelse", None)
    if isinstance(orelse, cst.If):
        for between, suite in suites(orelse):
            yield (orelse, *between), suite
    elif orelse is not None:
        yield (orelse,), orelse.body
    final = getattr(stmt, "finalbody", None)
    if final is not None:
        yield (final,), final.body


def _scan_line(
    line: Line, path: tuple[cst.CSTNode, ...], module_level: bool, found: Imports
) -> None:
    for small in line.body:
        if isinstance(small, cst.Import):
            for alias in small.names:
                dotted = alias.evaluated_name
                if alias.asname is not None:
                    local, form = alias.evaluated_alias or dotted, Form.IMPORT_AS
                else:
                    local, form = root_of(dotted), Form.IMPORT
                found.bindings.append(
                    Binding(local, dotted, form, alias, small, line, path, module_level)
                )
        elif isinstance(small, cst.ImportFrom):
            base = "." * len(small.relative)
            if small.module is not None:
                base += cst.helpers.get_full_name_for_node_or_raise(small.module)
            if isinstance(small.names, cst.ImportStar):
                found.stars.append(Star(base, small, line, path))
                continue
            for alias in small.names:
                name = alias.evaluated_name
                dotted = f"{base}.{name}" if small.module is not None else base + name
                local = alias.evaluated_alias or name
                found.bindings.append(
                    Binding(local, dotted, Form.FROM, alias, small, line, path, module_level)
                )


def refers_into(binding: Binding, old: str) -> bool:
    """Whether names bound by ``binding`` can reach ``old``, or what it imports moves with it."""
    reach = binding.local if binding.form is Form.IMPORT else binding.path
    return is_under(binding.path, old) or is_under(old, reach)


def _stars_into(imports: Imports, old: str) -> list[Star]:
    """``from m import *`` that may bind ``old`` (or a module above it), or moves with it."""
    return [s for s in imports.stars if is_under(s.module, old) or old.startswith(s.module + ".")]


def leads_to(imports: Imports, old: str) -> bool:
    """Whether any import can lead to ``old``: when none does, no name in the module can."""
    return any(refers_into(b, old) for b in imports.bindings) or bool(_stars_into(imports, old))


@dataclass(eq=False)
class Group:
    """The imports that bind one local name to one thing, and the chains that read it."""

    local: str
    target: str
    form: Form
    bindings: list[Binding] = field(default_factory=list)
    chains: list[Occurrence] = field(default_factory=list)
    unclear: list[Occurrence] = field(default_factory=list)  # may also read another binding

    def resolve(self, occurrence: Occurrence, index: int) -> str:
        """The qualified name that node ``index`` of the chain refers to."""
        spelled = occurrence.spelled(index)
        return self.target + spelled[len(self.local) :]


@dataclass(eq=False)
class StringSite:
    """A string annotation, parsed: its chains are edited in ``expression``."""

    node: cst.SimpleString
    expression: cst.BaseExpression
    ancestors: tuple[cst.CSTNode, ...]


@dataclass(eq=False)
class Occurrence:
    """A name, or a dotted chain of attributes on it, as written at one place."""

    chain: Chain
    ancestors: tuple[cst.CSTNode, ...]  # from the tree's root down to the chain, excluded
    site: StringSite | None = None
    sources: frozenset[int] | None = None  # ids of the import statements it may read; None: all

    def reads(self, binding: Binding) -> bool:
        """Whether this may read the name that ``binding`` imports (of its group)."""
        return self.sources is None or id(binding.statement) in self.sources

    @property
    def root(self) -> cst.Name:
        return self.chain[0]  # type: ignore[return-value]

    def spelled(self, index: int) -> str:
        parts = [self.root.value]
        parts += [node.attr.value for node in self.chain[1 : index + 1]]  # type: ignore[union-attr]
        return ".".join(parts)

    @property
    def report_node(self) -> cst.CSTNode:
        return self.site.node if self.site is not None else self.chain[-1]


@dataclass(eq=False)
class Use:
    """An occurrence whose node ``index`` refers to the old name or to something inside it."""

    occurrence: Occurrence
    index: int
    qualified: str
    group: Group

    @property
    def node(self) -> cst.Name | cst.Attribute:
        return self.occurrence.chain[self.index]

    @property
    def whole(self) -> bool:
        """The node is the whole chain (``mod.f``), not a part of one (``mod.f.cache``)."""
        return self.index == len(self.occurrence.chain) - 1


# Where a name gets bound other than by an import: those make reading the imports ambiguous.
_BINDING_FIELDS: dict[type[cst.CSTNode], str] = {
    cst.FunctionDef: "name",
    cst.ClassDef: "name",
    cst.Param: "name",
    cst.AssignTarget: "target",
    cst.AugAssign: "target",
    cst.AnnAssign: "target",
    cst.For: "target",
    cst.CompFor: "target",
    cst.NamedExpr: "target",
    cst.Del: "target",
    cst.AsName: "name",  # with ... as x, except E as x (imports are not visited)
    cst.Global: "names",
    cst.Nonlocal: "names",
    cst.MatchAs: "name",
    cst.MatchStar: "name",
    cst.MatchMapping: "rest",
    cst.TypeVar: "name",
    cst.ParamSpec: "name",
    cst.TypeVarTuple: "name",
    cst.TypeAlias: "name",
}


def _names_in(target: Any) -> Iterator[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _names_in(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _names_in(target.value)
    elif isinstance(target, cst.NameItem):
        yield from _names_in(target.name)
    elif isinstance(target, Sequence):
        for item in target:
            yield from _names_in(item)


def _chain(node: cst.Attribute) -> Chain | None:
    """``a.b.c`` as [a, a.b, a.b.c]; None when the chain does not start at a plain name."""
    chain: Chain = [node]
    value = node.value
    while isinstance(value, cst.Attribute):
        chain.append(value)
        value = value.value
    if not isinstance(value, cst.Name):
        return None
    chain.append(value)
    chain.reverse()
    return chain


def annotation_text(node: cst.SimpleString) -> str | None:
    """The source inside a string annotation we can edit and write back unchanged otherwise."""
    if node.prefix or "\\" in node.raw_value or "\n" in node.raw_value:
        return None
    text = node.raw_value
    return text if text and text == text.strip() else None


_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, *_COMPREHENSIONS)

# Fields that hold only whitespace, punctuation or comments: never a name.
_INERT_FIELDS = {
    "lpar", "rpar", "comma", "semicolon", "header", "footer", "leading_lines",
    "lines_after_decorators", "equal", "colon", "operator", "dot", "newline",
    "trailing_whitespace", "indent", "first_line", "empty_lines", "last_line", "relative",
}  # fmt: skip


@functools.cache
def name_fields(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields of a node type that may hold a name (not whitespace or punctuation)."""
    return tuple(
        f.name
        for f in dataclasses.fields(kind)  # type: ignore[arg-type]
        if f.name not in _INERT_FIELDS and not f.name.startswith("whitespace")
    )


class _Collector:
    """One walk of the module: chains on the interesting names, and what else binds names.

    A plain walk over the nodes' fields, not a libcst visitor: libcst's visit rebuilds every
    node it passes even when nothing changes, which costs nine times as much here.
    """

    def __init__(self, roots: set[str], old: str, site: StringSite | None = None) -> None:
        self.roots = roots
        self.old = old
        self.site = site
        self.stack: list[cst.CSTNode] = []
        self.occurrences: list[Occurrence] = []
        self.bound: set[str] = set()
        self.module_bound: set[str] = set()
        self.read: set[str] = set()
        self.exported: set[str] = set()
        self.mentions: list[cst.SimpleString] = []
        self.opaque: set[str] = set()  # names in annotation strings that could not be parsed
        self.not_types: set[str] = set()  # names given a string or a ForwardRef
        self.spellings: list[tuple[cst.SimpleString, tuple[cst.CSTNode, ...]]] = []
        self.attributes: set[str] = set()  # `.name`s read anywhere: `inspect.get_annotations`
        self.calls: dict[int, cst.Call] = {}
        self.scoped: dict[int | None, set[str]] = {}
        self._scopes: list[cst.CSTNode] = []
        self._annotation = 0
        self._export = 0
        self._depth = 0  # functions, classes and comprehensions around the current node

    def walk(self, node: cst.CSTNode) -> None:
        kind = type(node)
        binding_field = _BINDING_FIELDS.get(kind)
        if binding_field is not None:
            names = list(_names_in(getattr(node, binding_field)))
            self.bound.update(names)
            if not self._depth:
                self.module_bound.update(names)
            self._bind(node, names)
        scope = kind in SCOPES
        self._depth += scope
        self.stack.append(node)
        if scope:
            self._scopes.append(node)
        handler = _HANDLERS.get(kind)
        if handler is None:
            self.children(node)
        else:
            handler(self, node)
        if scope:
            self._scopes.pop()
        self.stack.pop()
        self._depth -= scope

    def _bind(self, node: cst.CSTNode, names: list[str]) -> None:
        """Record ``names`` in the scope ``node`` binds them in (None: the module's)."""
        scopes = self._scopes
        if isinstance(node, cst.NamedExpr):  # binds outside the comprehension it is in
            scopes = [s for s in scopes if not isinstance(s, _COMPREHENSIONS)]
        key = id(scopes[-1]) if scopes else None
        self.scoped.setdefault(key, set()).update(names)
        if isinstance(node, cst.Global):
            self.scoped.setdefault(None, set()).update(names)

    def children(self, node: cst.CSTNode) -> None:
        for name in name_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                self.walk(value)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if isinstance(item, cst.CSTNode):
                        self.walk(item)

    def _record(self, chain: Chain) -> None:
        name = chain[0].value  # type: ignore[union-attr]
        self.read.add(name)
        if name in self.roots:
            self.occurrences.append(Occurrence(chain, tuple(self.stack[:-1]), self.site))

    def name(self, node: cst.Name) -> None:
        self._record([node])

    def attribute(self, node: cst.Attribute) -> None:
        self.attributes.add(node.attr.value)
        chain = _chain(node)
        if chain is not None:
            self.attributes.update(n.attr.value for n in chain[1:])  # type: ignore[union-attr]
            self._record(chain)
        else:
            self.walk(node.value)  # `.attr` is not a variable

    def arg(self, node: cst.Arg) -> None:
        self.walk(node.value)  # `keyword=` is not a variable

    def match_keyword(self, node: cst.MatchKeywordElement) -> None:
        self.walk(node.pattern)

    def skip(self, node: cst.CSTNode) -> None:
        """Imports: what they bind is known from the statement scan."""

    def call(self, node: cst.Call) -> None:
        """A call's arguments are values, even inside an annotation (`Field("List")`), but
        for the types given to `cast` and `TypeVar`: their strings are parsed."""
        self.calls[id(node.func)] = node
        self.walk(node.func)
        typed = _typed_arguments(node)
        outer = self._annotation
        for arg in node.args:
            self._annotation = int(any(arg is t for t in typed))
            self.walk(arg)
        self._annotation = outer

    def ann_assign(self, node: cst.AnnAssign) -> None:
        """The value of `X: TypeAlias = "..."` is a type: its string is parsed."""
        self.walk(node.target)
        self.walk(node.annotation)
        if node.value is not None:
            self._note_value([node.target], node.value)
            alias = _spelled(node.annotation.annotation) == "TypeAlias"
            self._annotation += alias
            self.walk(node.value)
            self._annotation -= alias

    def annotation(self, node: cst.Annotation) -> None:
        self._annotation += 1
        self.children(node)
        self._annotation -= 1

    def assignment(self, node: cst.Assign | cst.AugAssign) -> None:
        targets = (
            [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        )
        exported = any(_is_all(t) for t in targets)
        if isinstance(node, cst.Assign):
            self._note_value(targets, node.value)
        self._export += exported
        self.children(node)
        self._export -= exported

    def _note_value(self, targets: Sequence[cst.BaseExpression], value: cst.BaseExpression) -> None:
        """Names given a string or a `ForwardRef(...)`: not classes, whatever the annotation."""
        forward = isinstance(value, cst.Call) and _spelled(value.func) == "ForwardRef"
        if forward or isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
            self.not_types.update(t.value for t in targets if isinstance(t, cst.Name))

    def string(self, node: cst.SimpleString) -> None:
        value = node.evaluated_value
        if not isinstance(value, str):
            return
        if self._export:
            self.exported.add(value)
        text = annotation_text(node) if self._annotation else None
        if text is not None:
            self._annotation_string(node, text)
        elif self._annotation or (
            TYPE_LIKE.fullmatch(value)
            and any(isinstance(n, cst.SubscriptElement) for n in self.stack)
        ):  # a type we cannot see into, maybe a forward reference: `Dict[str, "List[int]"]`
            self.opaque.update(IDENTIFIER.findall(value))
        if not self._annotation and SPELLS_GENERIC.search(value):
            self.spellings.append((node, tuple(self.stack)))
        if text is None and (is_under(value, self.old) or value.startswith(self.old + ":")):
            self.mentions.append(node)

    def _annotation_string(self, node: cst.SimpleString, text: str) -> None:
        try:
            expression = cst.parse_expression(text)
        except cst.ParserSyntaxError:
            self.opaque.update(IDENTIFIER.findall(text))
            return
        site = StringSite(node, expression, tuple(self.stack))
        inner = _Collector(self.roots, self.old, site)
        inner._annotation = 1
        inner.walk(expression)
        self.occurrences += inner.occurrences
        self.read |= inner.read
        self.opaque |= inner.opaque
        self.mentions += inner.mentions


_HANDLERS: dict[type[cst.CSTNode], Callable[[_Collector, Any], None]] = {
    cst.Name: _Collector.name,
    cst.Attribute: _Collector.attribute,
    cst.Arg: _Collector.arg,
    cst.MatchKeywordElement: _Collector.match_keyword,
    cst.Import: _Collector.skip,
    cst.ImportFrom: _Collector.skip,
    cst.Call: _Collector.call,
    cst.Annotation: _Collector.annotation,
    cst.Assign: _Collector.assignment,
    cst.AnnAssign: _Collector.ann_assign,
    cst.AugAssign: _Collector.assignment,
    cst.SimpleString: _Collector.string,
}


def _spelled(node: cst.BaseExpression) -> str | None:
    """The last name of ``node`` (`cast` for `typing.cast`): for hints, not for meaning."""
    if isinstance(node, cst.Name):
        return node.value
    return node.attr.value if isinstance(node, cst.Attribute) else None


def _typed_arguments(call: cst.Call) -> list[cst.Arg]:
    """The arguments of a call spelled like `cast(T, x)` or `TypeVar("T", A, bound=B)`
    that are types (whatever the callee, the strings in them are only parsed)."""
    name = _spelled(call.func)
    if name == "cast":
        return list(call.args[:1])
    if name == "TypeVar":
        return [a for a in call.args[1:] if a.keyword is None or a.keyword.value == "bound"]
    return []


def _is_all(target: cst.BaseExpression) -> bool:
    return isinstance(target, cst.Name) and target.value == "__all__"


@dataclass
class Index:
    """Everything one module says about ``old``: its imports, their readers, and the rest."""

    old: str
    imports: Imports
    groups: list[Group]
    bound: set[str] = field(default_factory=set)  # names bound other than by imports
    module_bound: set[str] = field(default_factory=set)  # the same, in the module's scope
    read: set[str] = field(default_factory=set)  # names read anywhere
    exported: set[str] = field(default_factory=set)  # strings in `__all__`
    mentions: list[cst.SimpleString] = field(default_factory=list)
    calls: dict[int, cst.Call] = field(default_factory=dict)
    hidden: list[tuple[Star, str]] = field(default_factory=list)  # star imports that may hide it
    scoped: dict[int | None, set[str]] = field(default_factory=dict)  # bound, not imported
    imported: dict[int | None, dict[str, list[Binding]]] = field(default_factory=dict)
    opaque: set[str] = field(default_factory=set)  # names in unparsed annotation strings
    not_types: set[str] = field(default_factory=set)  # names given a string or a ForwardRef
    # strings that spell a subscripted name, `"List[int]"`, outside annotations: how types print
    spellings: list[tuple[cst.SimpleString, tuple[cst.CSTNode, ...]]] = field(default_factory=list)
    attributes: set[str] = field(default_factory=set)  # attribute names read anywhere

    def uses(self) -> list[Use]:
        """Every occurrence that refers to ``old`` or into it, at its shortest such node."""
        found = []
        for group in self.groups:
            for occurrence in group.chains:
                use = self._use(group, occurrence)
                if use is not None:
                    found.append(use)
        return found

    def _use(self, group: Group, occurrence: Occurrence) -> Use | None:
        for index in range(len(occurrence.chain)):
            qualified = group.resolve(occurrence, index)
            if is_under(qualified, self.old):
                return Use(occurrence, index, qualified, group)
        return None

    def unclear_uses(self) -> list[tuple[Occurrence, Group]]:
        """Occurrences that may refer to ``old`` but may also read something else."""
        found = []
        for group in self.groups:
            for occurrence in group.unclear:
                if self._use(group, occurrence) is not None:
                    found.append((occurrence, group))
        return found

    def bindings_of(self, local: str) -> list[Binding]:
        return [b for b in self.imports.bindings if b.local == local]

    def binds(self, name: str) -> bool:
        """Whether anything in the module (an import, a parameter, a def...) binds ``name``."""
        return name in self.bound or any(b.local == name for b in self.imports.bindings)

    def rebinds(self, name: str, ancestors: Sequence[cst.CSTNode]) -> bool:
        """Whether ``name`` read below ``ancestors`` may mean something the module binds,
        rather than the builtin: whether a scope visible there binds it, anywhere in it.

        A star import is not taken to bind it (no star import exports builtins' names).
        """
        if not self.binds(name):
            return False
        return any(
            name in self.scoped.get(key, ()) or name in self.imported.get(key, {})
            for key in visible_scopes(ancestors)
        )


def index_module(
    module: cst.Module,
    old: str,
    wanted: Callable[[Group], bool] = lambda _g: True,
    light: bool = False,
) -> Index | None:
    """What ``module`` says about ``old``; None when no import can lead to it.

    Occurrences are collected for the groups ``wanted`` says need them. Where a local name
    is also bound otherwise, ``light`` resolves the reads from the scopes the walk saw
    (`resolve_lightly`) instead of libcst's scope analysis.
    """
    imports = scan_imports(module)
    groups: dict[tuple[str, str], Group] = {}
    for binding in imports.bindings:
        if refers_into(binding, old):
            key = (binding.local, binding.target)
            group = groups.setdefault(key, Group(binding.local, binding.target, binding.form))
            group.bindings.append(binding)
    stars = _stars_into(imports, old)
    if not groups and not stars:
        return None
    index = Index(old, imports, list(groups.values()))
    roots = {g.local for g in index.groups if wanted(g)}
    _collect(module, index, roots, light)
    index.hidden = [
        (star, hidden)
        for star in stars
        if not is_under(star.module, old)
        and (hidden := root_of(old[len(star.module) + 1 :])) in index.read
        and not index.bindings_of(hidden)
        and hidden not in index.bound
    ]
    return index


def visible_scopes(ancestors: Sequence[cst.CSTNode]) -> list[int | None]:
    """The scopes whose names can be read below ``ancestors`` (innermost first, None for the
    module), as keys of ``Index.scoped``.

    A function's parameters, return annotation and decorators are evaluated in the scope
    around it, as are a class's bases; a class body is seen from its own statements and
    the annotations of its methods, not from inside their bodies.
    """
    found: list[int | None] = []
    for depth in range(len(ancestors) - 1, -1, -1):
        node = ancestors[depth]
        if not isinstance(node, SCOPES):
            continue
        inner = ancestors[depth + 1] if depth + 1 < len(ancestors) else None
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and inner is not node.body:
            continue  # a header: evaluated outside
        if isinstance(node, cst.ClassDef) and found:
            continue  # a class body is not seen from the functions inside it
        found.append(id(node))
    found.append(None)
    return found


def is_bound_here(node: cst.CSTNode, ancestors: Sequence[cst.CSTNode]) -> bool:
    """Whether ``node`` is where something is bound or deleted (`x = 1`, `del x`, a
    parameter's or a def's name, `global x`, `for x in`, `as x`), not a read."""
    child = node
    for parent in reversed(ancestors):
        if isinstance(parent, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
            child = parent
            continue
        if isinstance(parent, (cst.AssignTarget, cst.Del, cst.NameItem)):
            return True
        if isinstance(parent, cst.AugAssign):
            return False  # `x += 1` reads x too
        field = _BINDING_FIELDS.get(type(parent))
        return field is not None and getattr(parent, field) is child
    return False


def _scope_key(ancestors: Sequence[cst.CSTNode]) -> int | None:
    return next((id(n) for n in reversed(ancestors) if isinstance(n, SCOPES)), None)


def _collect(module: cst.Module, index: Index, roots: set[str], light: bool) -> None:
    collector = _Collector(roots, index.old)
    collector.walk(module)
    index.bound, index.module_bound = collector.bound, collector.module_bound
    index.scoped, index.opaque = collector.scoped, collector.opaque
    index.not_types, index.spellings = collector.not_types, collector.spellings
    index.attributes = collector.attributes
    for binding in index.imports.bindings:
        scope = index.imported.setdefault(_scope_key(binding.ancestors), {})
        scope.setdefault(binding.local, []).append(binding)
    index.read = collector.read
    index.exported, index.mentions = collector.exported, collector.mentions
    index.calls = collector.calls
    by_local = {g.local: g for g in index.groups if g.local in roots}
    if all(_plain(index, local, group) for local, group in by_local.items()):
        for occurrence in collector.occurrences:
            by_local[occurrence.root.value].chains.append(occurrence)
        return
    if light:
        resolve_lightly(index, collector.occurrences)
    else:
        _resolve_with_scopes(module, index, collector.occurrences)


def resolve_lightly(index: Index, occurrences: Iterable[Occurrence]) -> None:
    """Attribute each occurrence to the imports it reads, from the scopes the walk saw: the
    innermost scope visible from it that binds its name decides. Where that scope also binds
    the name otherwise (`except ImportError: X = None`, a `def`, `global`), or by imports of
    several things, the occurrence is unclear, as with libcst's analysis; an occurrence that
    is itself a binding (a parameter's name) is read as such, which errs the same way.
    Hundreds of times cheaper than libcst's scope analysis on a large module.
    """
    owner = {id(b): group for group in index.groups for b in group.bindings}
    for occurrence in occurrences:
        if len(occurrence.chain) == 1 and is_bound_here(occurrence.root, occurrence.ancestors):
            continue
        local = occurrence.root.value
        site = occurrence.site
        for key in visible_scopes(site.ancestors if site is not None else occurrence.ancestors):
            imports = index.imported.get(key, {}).get(local, [])
            other = local in index.scoped.get(key, ())
            if not imports and not other:
                continue
            groups = {owner.get(id(b)) for b in imports} | ({None} if other else set())
            occurrence.sources = frozenset(id(b.statement) for b in imports)
            if len(groups) == 1 and None not in groups:
                next(iter(groups)).chains.append(occurrence)  # type: ignore[union-attr]
            else:
                for group in groups - {None}:
                    group.unclear.append(occurrence)  # type: ignore[union-attr]
            break


def _plain(index: Index, local: str, group: Group) -> bool:
    """True when every read of ``local`` in the module reads ``group``'s imports."""
    others = [b for b in index.bindings_of(local) if b not in group.bindings]
    return (
        local not in index.bound
        and not others
        and len({(b.local, b.target) for b in index.groups if b.local == local}) == 1
        and all(b.module_level for b in group.bindings)
    )


def _resolve_with_scopes(
    module: cst.Module, index: Index, occurrences: Iterable[Occurrence]
) -> None:
    """Attribute each occurrence to the imports it may read, with libcst's scope analysis."""
    scopes = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    referents: dict[int, set[BaseAssignment]] = {}
    for scope in {s for s in scopes.values() if s is not None}:
        for access in scope.accesses:
            node = access.node
            while isinstance(node, cst.Attribute):
                node = node.value
            referents.setdefault(id(node), set()).update(access.referents)
    owner: dict[tuple[int, str], Group] = {}
    for group in index.groups:
        for binding in group.bindings:
            owner[(id(binding.statement), binding.local)] = group
    for occurrence in occurrences:
        anchor = occurrence.site.node if occurrence.site is not None else occurrence.root
        found = referents.get(id(anchor))
        if not found:
            continue  # not a read (a parameter's name, say), or unbound
        local = occurrence.root.value
        mine = [a for a in found if _local_of(a) == local] if occurrence.site else list(found)
        groups = {owner.get((id(a.node), local)) if _is_import(a) else None for a in mine}
        if groups == {None} or not groups:
            continue
        group = next(iter(groups)) if len(groups) == 1 else None
        occurrence.sources = frozenset(id(a.node) for a in mine if _is_import(a))
        if group is not None:
            group.chains.append(occurrence)
        else:
            for other in groups - {None}:
                other.unclear.append(occurrence)  # type: ignore[union-attr]


def _is_import(assignment: BaseAssignment) -> bool:
    return isinstance(assignment, ImportAssignment)


def _local_of(assignment: BaseAssignment) -> str:
    name = assignment.name
    if isinstance(assignment, ImportAssignment) and isinstance(assignment.node, cst.Import):
        return root_of(name)
    return name


def string_mentions(module: cst.Module, old: str) -> list[cst.SimpleString]:
    """Strings that name ``old``, in a module none of whose imports lead to it."""
    collector = _Collector(set(), old)
    collector.walk(module)
    return collector.mentions
