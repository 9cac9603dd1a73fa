"""datetime-utcnow: `utcnow()`/`utcfromtimestamp()` return naive datetimes that lie about UTC."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from pydantic import Field

from codemods.base import Codemod, CodemodTransformer, Example, FileContext, Options, Safety
from codemods.calls import append_arg, keyword, positional
from codemods.imports import imports_any
from codemods.inplace import spells
from codemods.renaming import import_names

UTCNOW = "datetime.datetime.utcnow"
UTCFROMTIMESTAMP = "datetime.datetime.utcfromtimestamp"
# Django's spelling when `timezone` already names something else (django.utils.timezone).
TIMEZONE_ALIAS = "datetime_timezone"
# Calls that return a naive datetime with up to this many positional arguments (a tz after).
NAIVE_MAKERS = {
    "datetime.datetime": 7,
    "datetime.datetime.now": 0,
    "datetime.datetime.today": 0,
    "datetime.datetime.fromtimestamp": 1,
    "datetime.datetime.strptime": 2,
}
NAIVE_CONSTANTS = ("datetime.datetime.min", "datetime.datetime.max")
_METHODS = ("utcnow", "utcfromtimestamp")
_CALL = m.Call(func=m.Attribute(attr=m.Name("utcnow") | m.Name("utcfromtimestamp")))


class UtcnowOptions(Options):
    naive: bool = Field(
        False,
        description="Append .replace(tzinfo=None) so the values stay naive: only the "
        "deprecation is fixed, nothing that uses the values changes.",
    )


class Transformer(CodemodTransformer):
    def __init__(self, context: CodemodContext, codemod: Codemod, file: FileContext) -> None:
        super().__init__(context, codemod, file)
        # The names datetime.timezone must be imported as, added when the module is done.
        self.imported: dict[str, None] = {}
        # `.replace(tzinfo=UTC)` calls around a rewritten call, which then say nothing.
        self.redundant: set[cst.Call] = set()

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if self.refers_to(original, UTCNOW, UTCFROMTIMESTAMP) is None:
            return updated
        parent = self.parent(original)
        if not (isinstance(parent, cst.Call) and parent.func is original):
            self.report(
                original,
                f"datetime.{original.attr.value} passed uncalled (e.g. default=): pass a "
                "function that returns an aware value, e.g. lambda: datetime.now(timezone.utc)",
            )
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if original in self.redundant:
            return cst.ensure_type(updated.func, cst.Attribute).value
        name = self.refers_to(original.func, UTCNOW, UTCFROMTIMESTAMP)
        if name is None or not isinstance(original.func, cst.Attribute):
            return updated
        method = original.func.attr.value
        wanted = 0 if name == UTCNOW else 1
        if len(original.args) != wanted or len(positional(original)) != wanted:
            self.report(original, f"datetime.{method}() with unexpected arguments: fix by hand")
            return updated
        redundant = self._redundant_replace(original)
        naive = None if redundant or self.options.naive else self._naive_operand(original)
        if naive is not None:
            self.report(
                original,
                f"datetime.{method}() is subtracted from or compared with `{_code(naive)}`, a "
                "naive datetime: an aware value there raises TypeError; fix both by hand "
                "(or use the option naive: true)",
            )
            return updated
        utc = redundant[1] if redundant else self._utc(original)
        if utc is None:
            self.report(
                original,
                f"datetime.{method}(): `timezone` and `{TIMEZONE_ALIAS}` name something else "
                "here; pass datetime's timezone.utc by hand",
            )
            return updated
        self.changed()
        aware = _aware(updated, "now" if name == UTCNOW else "fromtimestamp", utc)
        if redundant is not None:
            self.redundant.add(redundant[0])
            return aware
        return _naive(aware) if self.options.naive else aware

    def _naive_operand(self, call: cst.Call) -> cst.BaseExpression | None:
        """The other side of ``call - x``, ``x - call`` or ``call < x`` when it is visibly a
        naive datetime (Twisted's ``fromtimestamp(t) - utcfromtimestamp(t)`` offsets)."""
        parent = self.parent(call)
        if isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Subtract):
            others = [parent.right if parent.left is call else parent.left]
        elif isinstance(parent, cst.ComparisonTarget):
            comparison = cst.ensure_type(self.parent(parent), cst.Comparison)
            others = [comparison.left, *(t.comparator for t in comparison.comparisons)]
        elif isinstance(parent, cst.Comparison):
            others = [t.comparator for t in parent.comparisons]
        else:
            return None
        return next((o for o in others if o is not call and self._is_naive(o, 0)), None)

    def _is_naive(self, node: cst.BaseExpression, depth: int) -> bool:
        """A datetime without tzinfo, as far as this expression (or the assignments of the
        variable it reads, one level deep) shows."""
        if isinstance(node, cst.Name) and depth == 0:
            bindings = self.bindings(node)
            return bool(bindings) and all(
                b.value is not None and not b.entered and self._is_naive(b.value, 1)
                for b in bindings
            )
        if isinstance(node, cst.Attribute):
            return self.refers_to(node, *NAIVE_CONSTANTS) is not None
        if not isinstance(node, cst.Call):
            return False
        maker = self.refers_to(node.func, *NAIVE_MAKERS)
        if maker is None or keyword(node, "tz") or keyword(node, "tzinfo"):
            return False
        given = len(positional(node))
        if maker == "datetime.datetime.strptime":
            fmt = node.args[1].value if len(node.args) > 1 else None
            text = fmt.evaluated_value if isinstance(fmt, cst.SimpleString) else None
            return isinstance(text, str) and "%z" not in text
        return given <= NAIVE_MAKERS[maker] and len(node.args) == given

    def _redundant_replace(self, call: cst.Call) -> tuple[cst.Call, cst.BaseExpression] | None:
        """The ``.replace(tzinfo=<UTC>)`` call around ``call`` and its UTC: the old idiom
        for an aware value, which the rewrite makes redundant."""
        attribute = self.parent(call)
        outer = self.parent(attribute) if isinstance(attribute, cst.Attribute) else None
        tzinfo = keyword(outer, "tzinfo") if isinstance(outer, cst.Call) else None
        if (
            isinstance(attribute, cst.Attribute)
            and attribute.attr.value == "replace"
            and isinstance(outer, cst.Call)
            and outer.func is attribute
            and tzinfo is not None
            and len(outer.args) == 1
            and self.refers_to(tzinfo.value, "datetime.timezone.utc", "datetime.UTC")
        ):
            return outer, tzinfo.value
        return None

    def visit_Module(self, node: cst.Module) -> None:
        """When `timezone` is taken where some call needs it, every call reads the alias:
        one import of datetime.timezone, not two under two names."""
        taken = any(self._timezone_taken(call) for call in m.findall(node, _CALL))
        self.names = (TIMEZONE_ALIAS, "timezone") if taken else ("timezone", TIMEZONE_ALIAS)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        """``timezone`` joins an existing ``from datetime import ...`` in order; libcst's
        AddImportsVisitor would put it first, or in a new statement after the first imports
        (ansible's ``from __future__ ...`` / ``__metaclass__ = type``)."""
        names = [("timezone", None if local == "timezone" else local) for local in self.imported]
        return import_names(self.context, updated, "datetime", names)

    def _timezone_taken(self, node: cst.CSTNode) -> bool:
        call = cst.ensure_type(node, cst.Call)
        return (
            self.refers_to(call.func, UTCNOW, UTCFROMTIMESTAMP) is not None
            and self._module_owner(call) is None
            and self.meanings(call, "timezone") not in (None, {"datetime.timezone"})
        )

    def _module_owner(self, call: cst.Call) -> cst.BaseExpression | None:
        """``datetime`` in ``datetime.datetime.utcnow()``: the module, which has timezone."""
        owner = cst.ensure_type(call.func, cst.Attribute).value
        if isinstance(owner, cst.Attribute) and self.refers_to(owner.value, "datetime"):
            return owner.value
        return None

    def _utc(self, call: cst.Call) -> cst.BaseExpression | None:
        """``timezone.utc`` spelled the way this module reaches the datetime module."""
        module = self._module_owner(call)
        if module is not None:
            return cst.Attribute(cst.Attribute(module, cst.Name("timezone")), cst.Name("utc"))
        for local in self.names:
            if self.meanings(call, local) == {"datetime.timezone"}:
                return cst.Attribute(cst.Name(local), cst.Name("utc"))
        for local in self.names:
            if self.meanings(call, local) is None:
                self.imported[local] = None
                return cst.Attribute(cst.Name(local), cst.Name("utc"))
        return None


def _code(node: cst.CSTNode) -> str:
    code = " ".join(cst.Module([]).code_for_node(node).split())
    return code if len(code) <= 40 else code[:37] + "..."


def _aware(call: cst.Call, method: str, utc: cst.BaseExpression) -> cst.Call:
    func = cst.ensure_type(call.func, cst.Attribute).with_changes(attr=cst.Name(method))
    return append_arg(call.with_changes(func=func), cst.Arg(utc))


def _naive(call: cst.Call) -> cst.Call:
    return cst.Call(
        func=cst.Attribute(call, cst.Name("replace")),
        args=[
            cst.Arg(
                cst.Name("None"),
                keyword=cst.Name("tzinfo"),
                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
            )
        ],
    )


class DatetimeUtcnow(Codemod):
    name = "datetime-utcnow"
    summary = "datetime.utcnow()/utcfromtimestamp(t) become aware: now(timezone.utc)"
    explanation = (
        "`datetime.utcnow()` and `datetime.utcfromtimestamp(t)` return naive datetimes that "
        "hold UTC but do not say so: any code that treats them as local time (`.timestamp()`, "
        "`.astimezone()`) is silently off by the UTC offset. Both are deprecated since Python "
        "3.12. This rewrites them to `datetime.now(timezone.utc)` and "
        "`datetime.fromtimestamp(t, timezone.utc)`, which return aware datetimes, importing "
        "`timezone` the way the module imports datetime (`datetime.timezone.utc` after "
        "`import datetime`; `from datetime import timezone` otherwise, as "
        "`datetime_timezone` when `timezone` is taken, e.g. by django.utils); "
        "`utcnow().replace(tzinfo=timezone.utc)`, the old spelling of an aware now, loses "
        "its redundant `replace`. Review: an "
        "aware value cannot be compared with or subtracted from a naive one (TypeError), "
        "`isoformat()` gains `+00:00`, and naive database columns may reject it; with the "
        "option `naive: true` the values stay naive (`.replace(tzinfo=None)`). Calls with "
        "other arguments, calls subtracted from or compared with a visibly naive datetime "
        "(`datetime.now()`, `datetime(2020, 1, 1)`, `fromtimestamp(t)`), and the methods "
        "passed uncalled (`default=datetime.utcnow`), are reported. Ruff rules DTZ003/DTZ004 "
        "only detect this."
    )
    url = "https://docs.python.org/3/library/datetime.html#datetime.datetime.utcnow"
    version = 5
    safety = Safety.REVIEW
    triggers = (b"utcnow", b"utcfromtimestamp")
    Options = UtcnowOptions
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Without an import of datetime and a `utcnow`/`utcfromtimestamp` written somewhere
        nothing can match: no scope analysis."""
        if not imports_any(module, "datetime") or not spells(module, _METHODS):
            return module
        return super().transform(module, file)

    examples = (
        Example(
            "import datetime\nstamp = datetime.datetime.utcnow()\n",
            "import datetime\nstamp = datetime.datetime.now(datetime.timezone.utc)\n",
        ),
        Example(
            "from datetime import datetime\nd = datetime.utcfromtimestamp(t)\n",
            "from datetime import datetime, timezone\n"
            "d = datetime.fromtimestamp(t, timezone.utc)\n",
            title="from-import adds timezone",
        ),
        Example(
            "import datetime as dt\nstamp = dt.datetime.utcnow()\n",
            "import datetime as dt\nstamp = dt.datetime.now(dt.timezone.utc)\n",
            title="module alias",
        ),
        Example(
            "from datetime import datetime as DT, timezone\nDT.utcnow()\n",
            "from datetime import datetime as DT, timezone\nDT.now(timezone.utc)\n",
            title="class alias, timezone already imported",
        ),
        Example(
            "from datetime import datetime\nfrom django.utils import timezone\ndatetime.utcnow()\n",
            "from datetime import datetime, timezone as datetime_timezone\n"
            "from django.utils import timezone\n"
            "datetime.now(datetime_timezone.utc)\n",
            title="timezone is django's",
        ),
        Example(
            "from datetime import datetime\nd = datetime.utcnow()\n",
            "from datetime import datetime, timezone\n"
            "d = datetime.now(timezone.utc).replace(tzinfo=None)\n",
            options={"naive": True},
            title="keep values naive",
        ),
        Example(
            "import datetime\ndatetime.datetime.utcfromtimestamp(t, tz)\n",
            findings=1,
            title="unexpected arguments",
        ),
        Example(
            "from datetime import UTC, datetime\nd = datetime.utcnow().replace(tzinfo=UTC)\n",
            "from datetime import UTC, datetime\nd = datetime.now(UTC)\n",
            title="redundant replace(tzinfo=UTC) goes",
        ),
        Example(
            "from datetime import datetime\n"
            "offset = datetime.fromtimestamp(t) - datetime.utcfromtimestamp(t)\n"
            "start = datetime(2020, 1, 1)\nlate = datetime.utcnow() > start\n",
            findings=2,
            title="mixed with a naive datetime: an aware one would raise TypeError",
        ),
        Example(
            "from datetime import datetime\ncreated = Column(default=datetime.utcnow)\n",
            findings=1,
            title="passed uncalled",
        ),
        Example(
            "import arrow\narrow.utcnow()\n\ndef utcnow():\n    return 'datetime.utcnow()'\n",
            title="other utcnow functions, strings",
        ),
        Example(
            "from datetime import datetime, timezone\ndatetime.now(timezone.utc)\n",
            title="already fixed",
        ),
    )
