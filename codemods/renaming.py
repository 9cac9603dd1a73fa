"""Move references from one qualified name to another: the uses, and the imports behind them.

Shared by `rename-symbol` (every reference moves) and `rewrite-call` (only the calls it could
rewrite move). Imports are edited where they stand: a function-local import stays local, an
import inside `try`/`if TYPE_CHECKING` stays there, an alias stays an alias; a new import goes
right beside the one it replaces when the old one is still needed for other names.
libcst's AddImportsVisitor would put it at the top of the module instead (which breaks the
lazy imports that avoid import cycles), and its RemoveImportsVisitor would pay for a second
scope analysis to learn what this module already knows: which reads of each import are left.
"""

from __future__ import annotations

import functools
import keyword
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from codemods.calls import closing_comma
from codemods.qualnames import (
    Binding,
    Form,
    Group,
    Index,
    Line,
    Occurrence,
    StringSite,
    Use,
    is_under,
    root_of,
)

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
Edit = Callable[[cst.CSTNode], cst.CSTNode | cst.FlattenSentinel | cst.RemovalSentinel]
Provider = tuple[str, str]  # (local name, what it refers to): spells a qualified name
Imported = tuple[str, str | None]  # (name, alias) of `from package import name as alias`
NodeT = TypeVar("NodeT", bound=cst.CSTNode)


def check_dotted(value: str) -> str:
    """``value`` if it is a dotted Python name (``pkg.mod.Name``), else a ValueError saying why."""
    parts = value.split(".")
    bad = [p for p in parts if not IDENTIFIER.match(p) or keyword.iskeyword(p)]
    if bad:
        raise ValueError(f"{value!r} is not a dotted Python name ({bad[0]!r} is not an identifier)")
    return value


def dotted_expression(dotted: str) -> cst.Name | cst.Attribute:
    parts = dotted.split(".")
    node: cst.Name | cst.Attribute = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(node, cst.Name(part))
    return node


def import_statement(target: str, local: str, form: Form) -> cst.Import | cst.ImportFrom:
    """The import of ``target`` in ``form`` that binds ``local`` (the root, for ``import a.b``)."""
    module, _, name = target.rpartition(".")
    if form is Form.FROM and module:
        asname = cst.AsName(cst.Name(local)) if local != name else None
        return cst.ImportFrom(dotted_expression(module), [cst.ImportAlias(cst.Name(name), asname)])
    aliased = form is not Form.IMPORT and local != target
    asname = cst.AsName(cst.Name(local)) if aliased else None
    return cst.Import([cst.ImportAlias(dotted_expression(target), asname)])


def is_builtin(target: str) -> bool:
    return target.startswith("builtins.") and target.count(".") == 1


@dataclass(frozen=True)
class Rename:
    old: str
    new: str

    def moved(self, qualified: str) -> str:
        return self.new + qualified[len(self.old) :]

    def container(self, path: str) -> str:
        """What plays the part of ``path`` (a module above ``old``) after the rename.

        ``path`` itself when ``new`` is right inside it too (``logging.warn ->
        logging.warning``), else the module that holds ``new``: importing it is always
        enough to read ``new``, while ``import pkg`` need not load ``pkg.sub``.
        A builtin is its own container (read without an import).
        """
        holder = self.new.rpartition(".")[0]
        if path in (self.new, holder):
            return path
        parts = self.new.split(".")
        if parts[0] == "builtins" and len(parts) > 1:
            return ".".join(parts[:2])
        return holder or self.new


@dataclass
class Edits:
    """Replacements of nodes of one tree, keyed by the original node, with the path to each."""

    replace: dict[int, Edit] = field(default_factory=dict)
    paths: set[int] = field(default_factory=set)
    findings: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    count: int = 0

    def add(self, node: cst.CSTNode, path: Iterable[cst.CSTNode], edit: Edit) -> None:
        self.replace[id(node)] = edit
        self.paths.update(id(n) for n in path)
        self.paths.add(id(node))

    def apply(self, tree: NodeT) -> NodeT:
        if not self.replace:
            return tree
        return cst.ensure_type(tree.visit(_Apply(self)), type(tree))


class _Apply(cst.CSTTransformer):
    """Visits only the paths to the edited nodes: the rest of the tree is kept as it is."""

    def __init__(self, edits: Edits) -> None:
        super().__init__()
        self.edits = edits

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) in self.edits.paths

    def on_leave(
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.FlattenSentinel | cst.RemovalSentinel:
        edit = self.edits.replace.get(id(original_node))
        return updated_node if edit is None else edit(updated_node)


@dataclass(eq=False)
class _StatementEdit:
    module: str | None = None
    aliases: dict[int, cst.ImportAlias | None] = field(default_factory=dict)
    joined: list[cst.ImportAlias] = field(default_factory=list)  # names merged into it
    after: list[cst.Import | cst.ImportFrom] = field(default_factory=list)

    def rebuild(self, statement: cst.Import | cst.ImportFrom) -> cst.BaseSmallStatement | None:
        if isinstance(statement.names, cst.ImportStar):
            return statement.with_changes(module=dotted_expression(self.module or ""))
        names = [self.aliases.get(id(a), a) for a in statement.names]
        kept = [a for a in names if a is not None]
        if not kept:
            return None
        closing = closing_comma(kept[-1].comma, statement.names[-1].comma)
        kept[-1] = kept[-1].with_changes(comma=closing)
        for alias in self.joined:
            kept = joined(kept, alias)
        changes: dict[str, object] = {"names": kept}
        if self.module is not None:
            changes["module"] = dotted_expression(self.module)
        return statement.with_changes(**changes)


def joined(names: Sequence[cst.ImportAlias], alias: cst.ImportAlias) -> list[cst.ImportAlias]:
    """``names`` with ``alias`` added: in order if they are sorted (as isort/ruff keep them),
    else last; separated like the names already there, comments staying on their line."""
    keys = [a.evaluated_name for a in names]
    index = len(names)
    for key in (str, str.lower):
        if keys == sorted(keys, key=key):
            new = key(alias.evaluated_name)
            index = next((i for i, k in enumerate(keys) if key(k) > new), index)
            break
    separator = next(
        (_bare_comma(a.comma) for a in names[:-1] if isinstance(a.comma, cst.Comma)),
        cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
    )
    if index < len(names):
        return [*names[:index], alias.with_changes(comma=separator), *names[index:]]
    *first, last = names
    own = last.comma
    keep = closing_comma(own, separator)  # the last name's comment stays on its line
    if keep is separator:
        return [*first, last.with_changes(comma=separator), alias.with_changes(comma=own)]
    return [*first, last.with_changes(comma=keep), alias.with_changes(comma=_bare_comma(own))]


def _bare_comma(comma: cst.Comma | cst.MaybeSentinel) -> cst.Comma:
    """``comma`` without the comment and blank lines after it."""
    if not isinstance(comma, cst.Comma):
        return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace):
        after = after.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
    return comma.with_changes(whitespace_after=after)


def import_names(
    context: CodemodContext, module: cst.Module, package: str, names: Iterable[Imported]
) -> cst.Module:
    """``module`` importing each of ``names`` (name, alias) from ``package``: joined into
    its module-level ``from package import ...`` where isort would put it, else through
    libcst's AddImportsVisitor (which puts names first, and a new statement after the first
    block of imports: below ansible's ``from __future__ ...``, above ``__metaclass__``)."""
    for name, asname in names:
        joined_in = add_from_import(module, package, name, asname)
        if joined_in is None:
            AddImportsVisitor.add_needed_import(context, package, name, asname)
        else:
            module = joined_in
    return module


def import_stdlib_module(context: CodemodContext, module: cst.Module, dotted: str) -> cst.Module:
    """``module`` with ``import dotted`` (a standard library module) where isort puts it:
    in order among the first group of module-level plain imports of the standard library
    (last, when they are not in order); else where libcst's AddImportsVisitor puts it
    (after the first block of imports, which may be the third-party one)."""
    body = list(module.body)
    found = [(i, name) for i, line in enumerate(body) for name in _plain_stdlib_import(line)]
    if any(name == dotted for _, name in found):
        return module
    if not found:
        AddImportsVisitor.add_needed_import(context, dotted)
        return module
    group = found[:1]
    for at, name in found[1:]:
        if at != group[-1][0] + 1 or body[at].leading_lines:
            break
        group.append((at, name))
    names = [name for _, name in group]
    after = group[-1][0] + 1  # last, when the group is not in order
    at = next((i for i, name in group if name > dotted), after) if names == sorted(names) else after
    new = cst.SimpleStatementLine([cst.Import([cst.ImportAlias(dotted_expression(dotted))])])
    if at == group[0][0]:  # it opens the group: the blank lines above the group are its
        new = new.with_changes(leading_lines=body[at].leading_lines)
        body[at] = body[at].with_changes(leading_lines=())
    body.insert(at, new)
    return module.with_changes(body=body)


def _plain_stdlib_import(line: cst.CSTNode) -> list[str]:
    """The module of ``import m`` on a line of its own, when ``m`` is in the standard library."""
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return []
    statement = line.body[0]
    if not isinstance(statement, cst.Import) or statement.names[0].asname is not None:
        return []
    name = statement.names[0].evaluated_name
    return [name] if root_of(name) in sys.stdlib_module_names else []


def add_from_import(
    module: cst.Module, package: str, name: str, asname: str | None = None
) -> cst.Module | None:
    """``module`` with ``name`` joined into its first module-level ``from package import``,
    where isort would put it (as it is when one imports it already); None when it has none."""
    alias = cst.ImportAlias(cst.Name(name), cst.AsName(cst.Name(asname)) if asname else None)
    lines = [line for line in module.body if isinstance(line, cst.SimpleStatementLine)]
    for small in (small for line in lines for small in line.body):
        if _from_import_of(small, package) and any(
            a.evaluated_name == name and a.evaluated_alias == asname
            for a in cst.ensure_type(cst.ensure_type(small, cst.ImportFrom).names, Sequence)
        ):
            return module
    body = list(module.body)
    for at, line in enumerate(body):
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for index, small in enumerate(line.body):
            if _from_import_of(small, package):
                statement = cst.ensure_type(small, cst.ImportFrom)
                names = joined(cst.ensure_type(statement.names, Sequence), alias)
                smalls = list(line.body)
                smalls[index] = statement.with_changes(names=names)
                body[at] = line.with_changes(body=smalls)
                return module.with_changes(body=body)
    return None


def _from_import_of(statement: cst.BaseSmallStatement, package: str) -> bool:
    return (
        isinstance(statement, cst.ImportFrom)
        and not statement.relative
        and statement.module is not None
        and not isinstance(statement.names, cst.ImportStar)
        and cst.helpers.get_full_name_for_node(statement.module) == package
    )


class _Planner:
    def __init__(self, index: Index, rename: Rename, selected: Sequence[Use], complete: bool):
        self.index = index
        self.rename = rename
        self.selected = selected
        self.chosen = {id(u.occurrence) for u in selected}
        self.complete = complete
        self.edits = Edits()
        self.inner: dict[int, tuple[StringSite, Edits]] = {}
        self.statements: dict[int, _StatementEdit] = {}
        self.lines: dict[int, tuple[Line, tuple[cst.CSTNode, ...]]] = {}
        self.added: dict[str, Provider] = {}

    def plan(self) -> Edits:
        if self.complete:
            self._move_modules()
        for group in self.index.groups:
            if group.form is Form.IMPORT:
                self._plain(group)
            else:
                self._named(group)
        for occurrence, _group in self.index.unclear_uses():
            message = f"may refer to {self.rename.old} or to another binding: not rewritten"
            self.edits.findings.append((occurrence.report_node, message))
        for star, name in self.index.hidden:
            message = f"`{name}` may come from this star import: not rewritten"
            self.edits.findings.append((star.statement, message))
        self._finish_strings()
        self._finish_lines()
        return self.edits

    # -- groups ------------------------------------------------------------------------

    def _uses(self, group: Group) -> list[Use]:
        return [u for u in self.selected if u.group is group]

    def _left(self, group: Group) -> list[Occurrence]:
        """The reads of the group's imports that stay as they are."""
        return [o for o in group.chains if id(o) not in self.chosen] + group.unclear

    def _moved_module(self, binding: Binding) -> bool:
        return binding.form is Form.FROM and is_under(binding.module, self.rename.old)

    def _move_modules(self) -> None:
        """``from old.sub import x``: the module moves, and with it every name imported."""
        for binding in self.index.imports.bindings:
            if self._moved_module(binding):
                edit = self._statement(binding.statement, binding.line, binding.ancestors)
                edit.module = self.rename.moved(binding.module)
        for star in self.index.imports.stars:
            if is_under(star.module, self.rename.old):
                edit = self._statement(star.statement, star.line, star.ancestors)
                edit.module = self.rename.moved(star.module)

    def _named(self, group: Group) -> None:
        target, uses, left = group.target, self._uses(group), self._left(group)
        if is_under(target, self.rename.old):
            if self.complete and all(self._moved_module(b) for b in group.bindings):
                return
            if self.complete or not left:
                self._rebind(group, self.rename.moved(target), uses)
            elif uses:
                module = group.form is Form.IMPORT_AS  # `from a import b`: b may be anything
                self._beside(group, self.rename.moved(target), uses, module)
            return
        if not uses:
            return
        container = self.rename.container(target)
        if container == target:
            for use in uses:
                self._respell(use, (group.local, target))
        elif not left:
            self._rebind(group, container, uses)
        else:
            self._beside(group, container, uses, True)

    def _rebind(self, group: Group, target: str, uses: list[Use]) -> None:
        """Every import of the group now binds ``target``; its reads follow."""
        local = self._local_for(group, target)
        builtin = is_builtin(target) and local == target.partition(".")[2]
        for binding in group.bindings:
            if builtin or self._provided(local, target, binding):
                self._swap(binding, None)
            else:
                form = binding.form if "." in target else Form.IMPORT_AS
                self._swap(binding, import_statement(target, local, form))
        for use in uses:
            self._respell(use, (local, target))

    def _local_for(self, group: Group, target: str) -> str:
        """The group's name after the rename: the new name's, unless that would be unsafe."""
        aliased = any(b.form is not Form.FROM or b.alias.asname for b in group.bindings)
        preferred = group.local if aliased else target.rpartition(".")[2]
        if preferred == group.local:
            return preferred
        if group.unclear or group.local in self.index.exported or self._rebound(group):
            return group.local  # keep the name: other bindings, reads we cannot see, the API
        if self._clashes(preferred, target):
            return group.local
        return preferred

    def _rebound(self, group: Group) -> bool:
        """Whether the name is also bound, in the scope of the group's imports, by something
        else (``except ImportError: Name = None``, another import)."""
        others = [b for b in self.index.bindings_of(group.local) if b not in group.bindings]
        module_level = all(b.module_level for b in group.bindings)
        return bool(others) or (module_level and group.local in self.index.module_bound)

    def _beside(self, group: Group, target: str, uses: list[Use], module: bool) -> None:
        """The group's imports stay for other reads; ``uses`` read a new import of ``target``."""
        plain = group.form is Form.IMPORT_AS
        provider = self._provider(target, group.bindings[0], plain, module)
        for use in uses:
            self._respell(use, provider)

    def _plain(self, group: Group) -> None:
        """``import a.b``: reads are spelled in full, so each import is judged by its path."""
        uses, left = self._uses(group), self._left(group)
        rest = [group.resolve(o, len(o.chain) - 1) for o in left]
        providers: dict[int, Provider | None] = {}
        for binding in group.bindings:
            if self.complete and self._keeps_local(binding):
                self._swap(binding, import_statement(self.rename.new, binding.local, Form.FROM))
                providers[id(binding)] = (binding.local, self.rename.new)
            elif self.complete and is_under(binding.path, self.rename.old):
                providers[id(binding)] = self._plain_moved(binding, bool(rest))
            elif any(self._cover(group, u) is binding for u in uses):
                providers[id(binding)] = self._plain_container(binding, group, rest)
        for use in uses:
            cover = self._cover(group, use)
            if cover is None:
                container = self.rename.container(group.local)
                provider = self._kept(group, container) or self._provider(
                    container, group.bindings[0], True, True
                )
            else:
                provider = providers.get(id(cover))
            self._respell(use, provider)

    def _kept(self, group: Group, path: str) -> Provider | None:
        """The group's own local name, when an import of it that stays as it is imports
        ``path`` (``import pkg.sub``) and is visible wherever the group is read."""
        swapped = {alias for edit in self.statements.values() for alias in edit.aliases}
        many = len(group.bindings) > 1
        for binding in group.bindings:
            visible = binding.module_level or not many
            if visible and is_under(binding.path, path) and id(binding.alias) not in swapped:
                return (group.local, group.local)
        return None

    def _cover(self, group: Group, use: Use) -> Binding | None:
        """The import whose path the use goes through (the longest), if any."""
        covering = [b for b in group.bindings if is_under(use.qualified, b.path)]
        return max(covering, key=lambda b: len(b.path), default=None)

    def _keeps_local(self, binding: Binding) -> bool:
        """``import mock`` renamed to ``unittest.mock``: ``from unittest import mock`` binds
        the same name to the new module, and no read has to change."""
        holder, _, name = self.rename.new.rpartition(".")
        return bool(holder) and binding.path == self.rename.old == binding.local == name

    def _plain_moved(self, binding: Binding, other_reads: bool) -> Provider:
        """``import old.sub``: import the new path instead (and the old root, where other
        reads still go through it: ``import pkg.old`` + ``pkg.other``)."""
        path = self.rename.moved(binding.path)
        keep = root_of(path) != binding.local and other_reads
        root = import_statement(binding.local, binding.local, Form.IMPORT) if keep else None
        if self._existing(path, binding) is not None:
            self._swap(binding, root)
        else:
            self._swap(binding, root or import_statement(path, root_of(path), Form.IMPORT))
            if keep:
                self._add_after(binding, import_statement(path, root_of(path), Form.IMPORT))
        return (root_of(path), root_of(path))

    def _plain_container(self, binding: Binding, group: Group, rest: list[str]) -> Provider | None:
        """``import a.b`` read as ``a.b.old``: import what plays the part of ``a.b`` now."""
        path = self.rename.container(binding.path)
        if path == binding.path:
            return (group.local, group.local)
        needed = any(is_under(name, binding.path) for name in rest) or (
            bool(rest) and root_of(path) != group.local and len(group.bindings) == 1
        )
        if needed or is_builtin(path) or self._existing(path, binding) is not None:
            provider = self._provider(path, binding, True, True)
            if not needed:
                self._swap(binding, None)
            return provider
        self._swap(binding, import_statement(path, root_of(path), Form.IMPORT))
        return (root_of(path), root_of(path))

    # -- names -------------------------------------------------------------------------

    def _clashes(self, name: str, target: str) -> bool:
        """Whether binding ``name`` to ``target`` would change or break another read of it."""
        if name in self.index.bound:
            return True
        targets = {b.target for b in self.index.bindings_of(name)}
        targets |= {bound for local, bound in self.added.values() if local == name}
        if targets:
            return targets != {target}
        return name in self.index.read and target != f"builtins.{name}"

    def _provided(self, local: str, target: str, binding: Binding) -> bool:
        """Another import in scope already binds ``local`` to ``target``."""
        return binding.module_level and any(
            b is not binding and b.module_level and b.local == local and b.target == target
            for b in self.index.imports.bindings
        )

    def _existing(self, target: str, anchor: Binding) -> Provider | None:
        """An import visible at ``anchor`` (module level, or on its line) that reads ``target``."""
        for b in self.index.imports.bindings:
            if b is anchor or not (b.module_level or b.line is anchor.line):
                continue
            if b.form is Form.IMPORT and is_under(b.path, target):
                return (b.local, b.local)
            if b.form is not Form.IMPORT and b.path == target:
                return (b.local, target)
        return self.added.get(target)

    def _provider(self, target: str, anchor: Binding, plain: bool, module: bool) -> Provider | None:
        """A name that reads ``target`` at ``anchor``: an import already there, or a new one
        beside ``anchor`` (``import a.b`` when ``plain``, else ``from a import b``).

        ``module`` says ``target`` is a module: ``import target`` works; else the module
        above it is imported for the long spelling.
        """
        existing = self._existing(target, anchor)
        if existing is not None:
            return existing
        for local, bound, form, path in self._candidates(target, plain, module):
            if not self._clashes(local, bound):
                if form is not None:
                    self._add_after(anchor, import_statement(path, local, form))
                self.added[target] = (local, bound)
                return (local, bound)
        return None

    def _candidates(
        self, target: str, plain: bool, module: bool
    ) -> list[tuple[str, str, Form | None, str]]:
        """(local name, what it reads, how to import, what to import) for reading ``target``."""
        if is_builtin(target):
            builtin = (target.partition(".")[2], target, None, "")
            return [builtin, ("builtins", "builtins", Form.IMPORT, "builtins")]
        holder = target if module or "." not in target else target.rpartition(".")[0]
        whole = (root_of(target), root_of(target), Form.IMPORT, holder)
        if "." not in target:
            return [whole]
        named = (target.rpartition(".")[2], target, Form.FROM, target)
        return [whole, named] if plain else [named, whole]

    # -- edits -------------------------------------------------------------------------

    def _respell(self, use: Use, provider: Provider | None) -> None:
        if provider is None:
            message = f"no free name to read {self.rename.new} here: not rewritten"
            self.edits.findings.append((use.occurrence.report_node, message))
            return
        local, target = provider
        moved = self.rename.moved(use.qualified)
        text = local + moved[len(target) :]
        if text != use.occurrence.spelled(use.index):
            self._replace(use.occurrence, use.index, text)

    def _replace(self, occurrence: Occurrence, index: int, text: str) -> None:
        edits = self._edits_for(occurrence)
        path = [*occurrence.ancestors, *occurrence.chain[index:]]
        edits.add(occurrence.chain[index], path, functools.partial(_respelled, text=text))
        self.edits.count += 1

    def _edits_for(self, occurrence: Occurrence) -> Edits:
        site = occurrence.site
        if site is None:
            return self.edits
        return self.inner.setdefault(id(site), (site, Edits()))[1]

    def _statement(
        self, statement: cst.CSTNode, line: Line, ancestors: tuple[cst.CSTNode, ...]
    ) -> _StatementEdit:
        self.lines[id(line)] = (line, ancestors)
        return self.statements.setdefault(id(statement), _StatementEdit())

    def _add_after(self, binding: Binding, new: cst.Import | cst.ImportFrom) -> None:
        """Add ``new`` beside ``binding``, or into an earlier import of the same module."""
        into = self._joinable(new, binding)
        if into is not None:
            alias = cst.ensure_type(new.names[0], cst.ImportAlias)  # type: ignore[index]
            self._statement(into.statement, into.line, into.ancestors).joined.append(alias)
            return
        self._statement(binding.statement, binding.line, binding.ancestors).after.append(new)

    def _joinable(self, new: cst.Import | cst.ImportFrom, binding: Binding) -> Binding | None:
        """A ``from m import ...`` of ``new``'s module, above ``binding`` in the same block."""
        if not isinstance(new, cst.ImportFrom):
            return None
        module = cst.helpers.get_full_name_for_node(new.module)
        for other in self.index.imports.bindings:
            if other is binding or other.statement is binding.statement:
                break
            same_block = len(other.ancestors) == len(binding.ancestors) and all(
                a is b for a, b in zip(other.ancestors, binding.ancestors, strict=True)
            )
            fits = isinstance(other.statement, cst.ImportFrom) and not other.statement.relative
            if same_block and fits and other.form is Form.FROM and other.module == module:
                return other
        return None

    def _swap(self, binding: Binding, new: cst.Import | cst.ImportFrom | None) -> None:
        """Replace the alias of ``binding`` by what ``new`` imports (or drop it)."""
        edit = self._statement(binding.statement, binding.line, binding.ancestors)
        if new is not None and _fits(binding, new, edit):
            alias = cst.ensure_type(new.names[0], cst.ImportAlias)  # type: ignore[index]
            edit.aliases[id(binding.alias)] = alias.with_changes(comma=binding.alias.comma)
            return
        edit.aliases[id(binding.alias)] = None
        if new is not None:
            self._add_after(binding, new)

    def _finish_strings(self) -> None:
        for site, inner in self.inner.values():
            expression = inner.apply(site.expression)
            code = cst.Module([]).code_for_node(expression)
            value = f"{site.node.prefix}{site.node.quote}{code}{site.node.quote}"
            self.edits.add(site.node, site.ancestors, functools.partial(_restring, value=value))

    def _finish_lines(self) -> None:
        edit = functools.partial(_edit_line, statements=self.statements)
        for line, ancestors in self.lines.values():
            self.edits.count += 1
            self.edits.add(line, ancestors, edit)
        self._carry_blank_lines()

    def _carry_blank_lines(self) -> None:
        """An import line that goes gives the blank lines above it to the statement after
        it, which has none of its own: the import group below stays apart from the one
        above (`import json` / blank / `from six import text_type` / `from six.moves ...`)."""
        given: set[int] = set()
        for line, ancestors in self.lines.values():
            if not self._removed(line):
                continue
            body = list(getattr(ancestors[-1], "body", ()))
            after = next((i + 1 for i, s in enumerate(body) if s is line), len(body))
            following = next((s for s in body[after:] if not self._removed(s)), None)
            leading = cst.ensure_type(line, cst.SimpleStatementLine).leading_lines
            blank = [e for e in leading if e.comment is None]
            if following is None or following.leading_lines or id(following) in given:
                continue
            if blank:
                given.add(id(following))
                edit = self.edits.replace.get(id(following))
                carry = functools.partial(_with_leading_lines, lines=blank, then=edit)
                self.edits.add(following, ancestors, carry)

    def _removed(self, line: cst.CSTNode) -> bool:
        """Whether every import on ``line`` goes, and nothing takes its place."""
        if not isinstance(line, cst.SimpleStatementLine) or id(line) not in self.lines:
            return False
        for small in line.body:
            edit = self.statements.get(id(small))
            if edit is None or edit.after or edit.rebuild(small) is not None:  # type: ignore[arg-type]
                return False
        return True


def _with_leading_lines(
    node: cst.CSTNode, lines: Sequence[cst.EmptyLine], then: Edit | None
) -> cst.CSTNode | cst.FlattenSentinel | cst.RemovalSentinel:
    """``node`` (after ``then``, its own edit) with ``lines`` above it."""
    result = then(node) if then is not None else node
    if isinstance(result, cst.FlattenSentinel):
        first, *rest = result.nodes
        return cst.FlattenSentinel([first.with_changes(leading_lines=lines), *rest])
    if isinstance(result, cst.RemovalSentinel):
        return result
    return result.with_changes(leading_lines=lines)


def _fits(binding: Binding, new: cst.Import | cst.ImportFrom, edit: _StatementEdit) -> bool:
    """Whether ``new`` can take the alias's place in the same statement."""
    statement = binding.statement
    if isinstance(statement, cst.Import):
        return isinstance(new, cst.Import)
    if not isinstance(new, cst.ImportFrom) or statement.relative:
        return False
    module = edit.module or binding.module
    return cst.helpers.get_full_name_for_node(new.module) == module


def _respelled(node: cst.CSTNode, text: str) -> cst.BaseExpression:
    expression = dotted_expression(text)
    return expression.with_changes(lpar=node.lpar, rpar=node.rpar)  # type: ignore[attr-defined]


def _restring(node: cst.CSTNode, value: str) -> cst.SimpleString:
    return cst.ensure_type(node, cst.SimpleString).with_changes(value=value)


def _edit_line(
    line: cst.CSTNode, statements: dict[int, _StatementEdit]
) -> cst.CSTNode | cst.FlattenSentinel | cst.RemovalSentinel:
    assert isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite))
    body: list[cst.BaseSmallStatement] = []
    extra: list[cst.BaseSmallStatement] = []
    for small in line.body:
        edit = statements.get(id(small))
        if edit is None:
            body.append(small)
            continue
        rebuilt = edit.rebuild(small)  # type: ignore[arg-type]
        after = list(edit.after)
        if rebuilt is None and after:
            rebuilt = after.pop(0)
        if rebuilt is not None:
            body.append(rebuilt.with_changes(semicolon=small.semicolon))
        extra += after
    if body:
        body[-1] = body[-1].with_changes(semicolon=line.body[-1].semicolon)
    if isinstance(line, cst.SimpleStatementSuite):
        return line.with_changes(body=[*body, *extra] or [cst.Pass()])
    if not body:
        return cst.RemoveFromParent()
    lines = [line.with_changes(body=body)]
    lines += [cst.SimpleStatementLine([statement]) for statement in extra]
    return cst.FlattenSentinel(lines) if len(lines) > 1 else lines[0]


def plan(index: Index, rename: Rename, uses: Sequence[Use], complete: bool) -> Edits:
    """The edits that move ``uses`` (and, when ``complete``, every import of ``old``) to ``new``.

    ``complete`` is a rename: ``old`` goes away, so every import of it moves even where a read
    cannot be rewritten (its local name is kept then). Otherwise ``old`` stays, and only the
    chosen uses move: an import of ``old`` goes only when nothing reads it any more.
    """
    return _Planner(index, rename, uses, complete).plan()
