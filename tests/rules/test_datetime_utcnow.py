"""datetime-utcnow: the spelling of timezone, name clashes, behaviour of the output, ruff DTZ."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from tests.helpers import apply_codemod, output_of, ruff_lines

NAME = "datetime-utcnow"


def _run(code: str) -> dict[str, object]:
    namespace: dict[str, object] = {}
    exec(compile(code, "mod.py", "exec"), namespace)
    return namespace


def test_output_is_the_same_instant_made_aware() -> None:
    code = "import datetime\nstamp = datetime.datetime.utcfromtimestamp(1700000000.5)\n"
    before, after = _run(code)["stamp"], _run(output_of(apply_codemod(NAME, code)))["stamp"]
    assert isinstance(before, datetime.datetime) and isinstance(after, datetime.datetime)
    assert before.tzinfo is None and after.tzinfo is datetime.timezone.utc
    assert after.replace(tzinfo=None) == before


def test_naive_option_keeps_values_naive_and_equal() -> None:
    code = "from datetime import datetime\nstamp = datetime.utcfromtimestamp(86400)\n"
    new = output_of(apply_codemod(NAME, code, {"naive": True}))
    assert _run(new)["stamp"] == _run(code)["stamp"]
    assert ".replace(tzinfo=None)" in new


@pytest.mark.parametrize("options", [{}, {"naive": True}])
def test_replace_tzinfo_utc_idiom_collapses_to_the_same_value(options: dict[str, bool]) -> None:
    code = (
        "import datetime as dt\n"
        "from datetime import timezone\n"
        "a = dt.datetime.utcfromtimestamp(7).replace(tzinfo=timezone.utc)\n"
        "b = dt.datetime.utcfromtimestamp(7).replace(tzinfo=dt.timezone.utc, fold=0)\n"
    )
    new = output_of(apply_codemod(NAME, code, options))
    assert "a = dt.datetime.fromtimestamp(7, timezone.utc)\n" in new
    assert "b = dt.datetime.fromtimestamp(7, dt.timezone.utc)" in new
    assert _run(new)["a"] == _run(code)["a"]


def test_every_call_ruff_detects_is_handled(tmp_path: Path) -> None:
    code = (
        "import datetime as dt\n"
        "from datetime import datetime\n"
        "a = datetime.utcnow()\n"
        "b = dt.datetime.utcfromtimestamp(t)\n"
        "c = datetime.utcnow(tz)\n"
        "d = datetime.now(dt.timezone.utc)\n"
    )
    result = apply_codemod(NAME, code)
    pairs = zip(code.splitlines(), output_of(result).splitlines(), strict=True)
    rewritten = {n for n, (a, b) in enumerate(pairs, 1) if a != b and "utc" in a}
    handled = rewritten | {f.line for f in result.findings}
    assert ruff_lines(tmp_path, code, "DTZ003,DTZ004") == handled == {3, 4, 5}


def test_timezone_parameter_makes_every_call_read_one_alias() -> None:
    """One import of datetime.timezone, not `timezone, timezone as datetime_timezone`."""
    code = (
        "from datetime import datetime\n\n"
        "def at(timezone):\n"
        "    return datetime.utcnow()\n\n"
        "def now():\n"
        "    return datetime.utcnow()\n"
    )
    new = output_of(apply_codemod(NAME, code))
    assert new == code.replace("datetime.utcnow()", "datetime.now(datetime_timezone.utc)").replace(
        "import datetime\n", "import datetime, timezone as datetime_timezone\n"
    )
    _run(new + "at('Europe/Paris')\nnow()\n")


def test_timezone_imported_already_is_read_where_it_is_visible() -> None:
    code = (
        "from datetime import datetime, timezone\n\n"
        "def at(timezone):\n"
        "    return datetime.utcnow()\n\n"
        "def now():\n"
        "    return datetime.utcnow()\n"
    )
    new = output_of(apply_codemod(NAME, code))
    assert "    return datetime.now(datetime_timezone.utc)\n\ndef now():\n" in new
    assert new.endswith("    return datetime.now(timezone.utc)\n")
    _run(new + "at('Europe/Paris')\nnow()\n")


def test_alias_is_added_once_for_many_calls() -> None:
    code = "from datetime import datetime\nfrom django.utils import timezone\n"
    code += "a = datetime.utcnow()\nb = datetime.utcfromtimestamp(0)\n"
    new = output_of(apply_codemod(NAME, code))
    assert new.count("datetime_timezone,") + new.count("datetime_timezone\n") == 1


def test_both_names_taken_is_a_finding() -> None:
    code = (
        "from datetime import datetime\n"
        "from django.utils import timezone\n"
        "from pytz import timezone as datetime_timezone\n"
        "datetime.utcnow()\n"
    )
    result = apply_codemod(NAME, code)
    assert output_of(result) == code
    assert "`timezone`" in result.findings[0].message


def test_module_spelling_needs_no_import_even_when_timezone_is_taken() -> None:
    code = "import datetime\nfrom django.utils import timezone\ndatetime.datetime.utcnow()\n"
    new = output_of(apply_codemod(NAME, code))
    assert new == code.replace("utcnow()", "now(datetime.timezone.utc)")


def test_function_level_import_of_timezone_is_reused() -> None:
    code = "def f():\n    from datetime import datetime, timezone\n    return datetime.utcnow()\n"
    new = output_of(apply_codemod(NAME, code))
    assert new == code.replace("utcnow()", "now(timezone.utc)")


@pytest.mark.parametrize(
    "call",
    [
        "datetime.utcnow(tz)",
        "datetime.utcfromtimestamp()",
        "datetime.utcfromtimestamp(t=1)",
        "datetime.utcfromtimestamp(*args)",
    ],
)
def test_unexpected_arguments_are_findings(call: str) -> None:
    code = f"from datetime import datetime\n{call}\n"
    result = apply_codemod(NAME, code)
    assert output_of(result) == code
    assert len(result.findings) == 1


def test_uncalled_reference_is_a_finding() -> None:
    code = (
        "import datetime\n"
        "created = Column(DateTime, default=datetime.datetime.utcnow)\n"
        "updated = field(default_factory=datetime.datetime.utcnow)\n"
    )
    result = apply_codemod(NAME, code)
    assert output_of(result) == code
    assert [f.line for f in result.findings] == [2, 3]
    assert "lambda" in result.findings[0].message


def test_shadowed_module_and_subclasses_are_left_alone() -> None:
    code = (
        "import datetime\n\n"
        "def f(datetime):\n"
        "    return datetime.datetime.utcnow()\n\n"
        "class Clock(datetime.datetime):\n"
        "    def now_utc(self):\n"
        "        return self.utcnow()\n"
    )
    result = apply_codemod(NAME, code)
    assert output_of(result) == code
    assert result.findings == []


def test_timezone_joins_the_datetime_import_in_order() -> None:
    """ansible's action plugins: libcst's AddImportsVisitor added a second import of
    datetime under `from __future__`, above `__metaclass__ = type`."""
    code = (
        "from __future__ import (absolute_import, division, print_function)\n"
        "__metaclass__ = type\n\nimport random\nfrom datetime import (\n    datetime,\n"
        "    timedelta,  # spans\n)\n\nend = datetime.utcnow() + timedelta(seconds=5)\n"
    )
    assert output_of(apply_codemod(NAME, code)) == code.replace(
        "  # spans\n", "  # spans\n    timezone,\n"
    ).replace("datetime.utcnow()", "datetime.now(timezone.utc)")
