"""rewrite-call: a declared signature migration of one internal callable, applied at every call."""

from __future__ import annotations

import ast
import keyword
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.metadata import PositionProvider
from pydantic import Field, field_validator, model_validator

from codemods import base
from codemods.base import Codemod, CodemodTransformer, Example, FileContext, Safety
from codemods.calls import add_keyword, remove_args
from codemods.inplace import transform_in_place
from codemods.qualnames import Index, Use, index_module, leads_to, scan_imports
from codemods.renaming import Edits, Rename, check_dotted, plan

Source = str  # the source of one Python expression
_OPTIONS = {
    "old": "api.client.connect",
    "rename": {"max_retries": "retries"},
    "drop": {"legacy": True},
    "add": {"strict": "False"},
    "signature": ["url", "max_retries"],
}


def _source(key: str, value: Any) -> Source:
    """A YAML scalar as Python source: strings are source already, ``true`` is ``True``."""
    text = value if isinstance(value, str) else repr(value)
    try:
        ast.parse(text, mode="eval")
        cst.parse_expression(text)
    except (SyntaxError, cst.ParserSyntaxError) as exc:
        raise ValueError(f"{key!r}: {text!r} is not a Python expression ({exc})") from None
    return text


def _identifier(name: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{name!r} is not a parameter name")
    return name


class Options(base.Options):
    old: str = Field(..., description="The callable whose calls change, e.g. `api.client.connect`.")
    new: str | None = Field(
        None, description="What the calls call instead (default: `old`, only arguments change)."
    )
    rename: dict[str, str] = Field(
        default_factory=dict, description="Keywords renamed, old -> new: `max_retries: retries`."
    )
    drop: dict[str, Source] = Field(
        default_factory=dict,
        description="Keywords the new signature no longer has, each with the value at which "
        "dropping it changes nothing (Python source; YAML `true` is `True`, a string needs "
        "its quotes: `\"'utf-8'\"`): `legacy: true`. A call passing another value, or a "
        "value only known at run time, is a finding.",
    )
    drop_any: list[str] = Field(
        default_factory=list,
        description="Keywords dropped whatever their value (the new callable ignores them). "
        "A value with possible side effects (a call, say) is a finding.",
    )
    add: dict[str, Source] = Field(
        default_factory=dict,
        description="Keywords added where a call does not pass them, with their value as Python "
        "source: `strict: 'False'`.",
    )
    signature: list[str] = Field(
        default_factory=list,
        description="The old callable's positional parameters, in order, so that arguments "
        "passed by position can be renamed or dropped too (they become keywords from the "
        "first such one on). Without it, positional arguments are left as they are.",
    )

    @field_validator("old", "new")
    @classmethod
    def _dotted(cls, value: str | None) -> str | None:
        return None if value is None else check_dotted(value)

    @field_validator("rename")
    @classmethod
    def _renames(cls, value: dict[str, str]) -> dict[str, str]:
        return {_identifier(k): _identifier(v) for k, v in value.items()}

    @field_validator("drop", "add", mode="before")
    @classmethod
    def _sources(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {_identifier(str(k)): _source(str(k), v) for k, v in value.items()}

    @field_validator("drop_any", "signature")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("names must not repeat")
        return [_identifier(v) for v in value]

    @model_validator(mode="after")
    def _coherent(self) -> Options:
        removed = [*self.drop, *self.drop_any]
        touched = [*self.rename, *removed]
        if len(set(touched)) != len(touched):
            raise ValueError("a keyword is renamed or dropped twice")
        if clash := set(self.rename.values()) & {*touched, *self.add}:
            raise ValueError(
                f"{sorted(clash)[0]!r} is both a new name and renamed, dropped or added"
            )
        if self.new == self.old:
            object.__setattr__(self, "new", None)
        if self.new is None and not (touched or self.add):
            raise ValueError("nothing to do: give new, rename, drop, drop_any or add")
        return self

    @property
    def changes_arguments(self) -> bool:
        return bool(self.rename or self.drop or self.drop_any or self.add)


@dataclass
class CallPlan:
    """How one call's arguments change, by position in the original call."""

    keywords: dict[int, str] = field(default_factory=dict)  # argument -> its keyword now
    dropped: set[int] = field(default_factory=set)
    added: list[tuple[str, Source]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.keywords or self.dropped or self.added)

    def apply(self, call: cst.Call) -> cst.Call:
        """``call`` rewritten; its arguments are those of the original call, in order (only
        calls nested in them may have been rewritten since)."""
        kept = [i for i in range(len(call.args)) if i not in self.dropped]
        call = remove_args(call, [call.args[i] for i in self.dropped])
        args = [
            _as_keyword(arg, self.keywords[i]) if i in self.keywords else arg
            for i, arg in zip(kept, call.args, strict=True)
        ]
        call = call.with_changes(args=args)
        for name, value in self.added:
            call = add_keyword(call, name, cst.parse_expression(value))
        return call


class Unclear(Exception):
    """A call that cannot be rewritten exactly; the message says why, for a finding."""


def plan_call(call: cst.Call, options: Options) -> CallPlan:
    """The argument changes ``call`` needs, or Unclear."""
    if any(a.star for a in call.args) and options.changes_arguments:
        raise Unclear("*args or **kwargs hide what is passed: rewrite this call by hand")
    result, present = CallPlan(), set()
    parameters = _parameters(call, options)
    for index, (arg, (name, stays)) in enumerate(zip(call.args, parameters, strict=True)):
        if name is None or stays:
            present.add(name)
            continue
        if name in options.drop or name in options.drop_any:
            _check_droppable(arg, name, options)
            result.dropped.add(index)
            continue
        target = options.rename.get(name, name)
        if target in present:
            raise Unclear(f"`{target}` would be passed twice: rewrite this call by hand")
        present.add(target)
        if arg.keyword is None or target != arg.keyword.value:
            result.keywords[index] = target
    result.added = [(k, v) for k, v in options.add.items() if k not in present]
    return result


def _parameters(call: cst.Call, options: Options) -> list[tuple[str | None, bool]]:
    """Each argument's parameter (None when unknown) and whether it stays positional.

    Positional arguments are named by ``signature``; from the first one that is renamed or
    dropped on, they become keywords (a positional argument cannot follow a keyword one).
    Without a signature they are taken not to be any of the keywords the migration names.
    """
    signature = options.signature
    touched = {*options.rename, *options.drop, *options.drop_any}
    count = sum(1 for a in call.args if a.keyword is None and not a.star)
    if signature and count > len(signature):
        raise Unclear(f"{count} positional arguments, {len(signature)} in `signature`")
    first = next((i for i, name in enumerate(signature[:count]) if name in touched), count)
    found: list[tuple[str | None, bool]] = []
    position = 0
    for arg in call.args:
        if arg.keyword is not None:
            found.append((arg.keyword.value, False))
        elif arg.star or not signature:
            found.append((None, True))
        else:
            found.append((signature[position], position < first))
            position += 1
    return found


def _check_droppable(arg: cst.Arg, name: str, options: Options) -> None:
    code = cst.Module([]).code_for_node(arg.value)
    if name in options.drop_any:
        if not _without_effects(arg.value):
            raise Unclear(f"`{name}={code}` may have side effects: drop it by hand")
        return
    expected = options.drop[name]
    if not _same_expression(code, expected):
        raise Unclear(f"`{name}={code}`: only `{name}={expected}` can be dropped")


def _same_expression(code: str, expected: Source) -> bool:
    try:
        return ast.dump(ast.parse(code.strip(), mode="eval")) == ast.dump(
            ast.parse(expected, mode="eval")
        )
    except SyntaxError:  # a multi-line value without its brackets, say
        return False


def _without_effects(value: cst.BaseExpression) -> bool:
    """Constants, names and attributes of names: dropping them drops nothing else."""
    if isinstance(value, (cst.Name, cst.BaseNumber, cst.SimpleString)):
        return True
    if isinstance(value, cst.Attribute):
        return _without_effects(value.value)
    return isinstance(value, cst.UnaryOperation) and _without_effects(value.expression)


def _as_keyword(arg: cst.Arg, name: str) -> cst.Arg:
    if arg.keyword is not None:
        return arg.with_changes(keyword=cst.Name(name))
    return arg.with_changes(
        keyword=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )


class Transformer(CodemodTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)  # resolved only when there is a finding

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        options: Options = self.options
        index = index_module(tree, options.old)
        if index is None:
            return tree
        calls = self._calls(index)
        edits = Edits()
        if options.new is not None:
            edits = plan(index, Rename(options.old, options.new), [u for u, _ in calls], False)
            for node, message in edits.findings:
                self.report(node, message)
        for use, call_plan in calls:
            if call_plan:
                call = index.calls[id(use.node)]
                edits.add(call, use.occurrence.ancestors, call_plan.apply)  # type: ignore[arg-type]
        self.changed(len(calls))
        return edits.apply(tree)

    def _calls(self, index: Index) -> list[tuple[Use, CallPlan]]:
        """The calls of ``old`` that can be rewritten; the others, and references to ``old``
        that are not calls, become findings."""
        found = []
        for use in index.uses():
            if use.qualified != self.options.old:
                continue  # `old.attribute`: not a call of old
            call = index.calls.get(id(use.node)) if use.whole else None
            if call is None:
                self.report(use.occurrence.report_node, self._reference())
                continue
            try:
                call_plan = plan_call(call, self.options)
                self._check_fits(call_plan, use.occurrence.ancestors)
                found.append((use, call_plan))
            except Unclear as exc:
                self.report(call, str(exc))
        return [(u, p) for u, p in found if p or self.options.new is not None]

    def _check_fits(self, call_plan: CallPlan, ancestors: tuple[cst.CSTNode, ...]) -> None:
        """Before Python 3.12 an expression inside an f-string may not use its quote or a
        backslash: an added value that does cannot go there."""
        if self.target >= (3, 12):
            return
        for node in ancestors:
            if not isinstance(node, cst.FormattedString):
                continue
            for name, value in call_plan.added:
                if node.end in value or "\\" in value:
                    raise Unclear(f"`{name}={value}` cannot go inside this f-string before 3.12")

    def _reference(self) -> str:
        return (
            f"{self.options.old} is referenced here, not called: "
            "the calls it reaches keep the old signature"
        )


class RewriteCall(Codemod):
    name = "rewrite-call"
    summary = "Migrate every call of a callable to its new name and signature, as declared"
    explanation = (
        "An internal API changed its signature: keywords were renamed, dropped or added, or "
        "the callable moved. This rewrites every call that can be rewritten exactly (the "
        "callable is found through the module's imports, not by its spelling), keeps the "
        "caller's layout, and moves the import when the callable moved. Calls it cannot "
        "rewrite exactly (`*args`/`**kwargs`, a dropped keyword passed a value the new API "
        "cannot express) and references to the callable that are not calls are reported "
        "for a human. A reviewer confirms the declared migration matches the new API."
    )
    url = "https://libcst.readthedocs.io/en/latest/codemods.html"
    safety = Safety.REVIEW
    version = 5
    triggers = (b"",)  # narrowed to the callable's name by file_triggers
    Options = Options
    Transformer = Transformer

    def file_triggers(self) -> tuple[bytes, ...]:
        """A call of ``pkg.mod.f`` spells ``f``: through an import of it or of its module."""
        return (self.options.old.rpartition(".")[2].encode(),)

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Files whose imports cannot lead to ``old`` are answered before a transformer exists."""
        if not leads_to(scan_imports(module), self.options.old):
            return module
        return transform_in_place(self, module, file)

    examples = (
        Example(
            "from api.client import connect\n\nconnect(url, max_retries=3, legacy=True)\n",
            "from api.client import connect\n\nconnect(url, retries=3, strict=False)\n",
            options=_OPTIONS,
        ),
        Example(
            "from api.client import connect\n\nconnect(url, 3)\n",
            "from api.client import connect\n\nconnect(url, retries=3, strict=False)\n",
            options=_OPTIONS,
            title="positional argument named by signature",
        ),
        Example(
            "from api import client\n\n"
            "client.connect(\n    url,\n    legacy=True,\n    strict=True,\n)\n",
            "from api import client\n\nclient.connect(\n    url,\n    strict=True,\n)\n",
            options=_OPTIONS,
            title="module attribute, layout kept, keyword already there",
        ),
        Example(
            "from api.client import connect\n\nconnect(url)\n",
            "from api.v2 import open_connection\n\nopen_connection(url, strict=False)\n",
            options={
                "old": "api.client.connect",
                "new": "api.v2.open_connection",
                "add": {"strict": "False"},
            },
            title="moved callable",
        ),
        Example(
            "from api.client import connect\n\nconnect(url, **options)\n",
            options=_OPTIONS,
            findings=1,
            title="**kwargs hide the keywords",
        ),
        Example(
            "from api.client import connect\n\nconnect(url, legacy=flag, strict=False)\n",
            options=_OPTIONS,
            findings=1,
            title="a dropped keyword with a run-time value",
        ),
        Example(
            'from api.client import connect\n\nprint(f"{connect(url)}")\n',
            options={"old": "api.client.connect", "add": {"mode": '"fast"'}},
            target=(3, 11),
            findings=1,
            title="an added string cannot go inside an f-string of the same quote before 3.12",
        ),
        Example(
            "from api.client import connect\n\nhandlers = [connect]\n",
            options=_OPTIONS,
            findings=1,
            title="a reference that is not a call",
        ),
        Example(
            "def connect(url, legacy=True): ...\n\n"
            "connect(url, legacy=True)  # api.client.connect\n",
            options=_OPTIONS,
            title="a local function of the same name, a comment",
        ),
        Example(
            "from db import connect\n\nconnect(url, legacy=True)\n",
            options=_OPTIONS,
            title="another module's function",
        ),
        Example(
            "from api.client import connect\n\nconnect(url, retries=3, strict=False)\n",
            options=_OPTIONS,
            title="already migrated",
        ),
    )
