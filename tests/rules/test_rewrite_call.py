"""rewrite-call beyond its examples: option checks, argument shapes, moves, the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from codemods.registry import CodemodError, configure
from tests.helpers import apply_codemod, output_of

BASE: dict[str, Any] = {
    "old": "api.client.connect",
    "rename": {"max_retries": "retries"},
    "drop": {"legacy": True},
    "add": {"strict": "False"},
    "signature": ["url", "max_retries", "legacy"],
}
IMPORT = "from api.client import connect\n"
FLEETMOD = str(Path(sys.executable).with_name("fleetmod"))


def rewrite(code: str, options: dict[str, Any] = BASE) -> tuple[str, list[str]]:
    """Output (a second run must not change it) and the findings' messages."""
    result = apply_codemod("rewrite-call", textwrap.dedent(code), options)
    once = output_of(result)
    assert output_of(apply_codemod("rewrite-call", once, options)) == once
    return once, [f.message for f in result.findings]


@pytest.mark.parametrize(
    ("call", "after"),
    [
        ("connect(u, 5, True)", "connect(u, retries=5, strict=False)"),
        ("connect(u, 5, legacy=True, strict=True)", "connect(u, retries=5, strict=True)"),
        ("connect(url=u)", "connect(url=u, strict=False)"),
        ("connect()", "connect(strict=False)"),
        (
            "connect(connect(v, legacy=True), legacy=True)",
            "connect(connect(v, strict=False), strict=False)",
        ),
        ("connect(u, legacy = True)", "connect(u, strict=False)"),
        ("connect(u, legacy=(True))", "connect(u, strict=False)"),
    ],
)
def test_arguments(call: str, after: str) -> None:
    assert rewrite(f"{IMPORT}{call}\n") == (f"{IMPORT}{after}\n", [])


def test_layout_of_a_call_over_several_lines_is_kept() -> None:
    code = f"""\
        {IMPORT}
        conn = connect(
            url,  # where
            max_retries=3,
            legacy=True,
        )
        """
    after = f"""\
        {IMPORT}
        conn = connect(
            url,  # where
            retries=3,
            strict=False,
        )
        """
    assert rewrite(code) == (textwrap.dedent(after), [])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("connect(*args)", "*args or **kwargs"),
        ("connect(u, legacy=False)", "only `legacy=True` can be dropped"),
        ("connect(u, legacy=settings.LEGACY)", "only `legacy=True` can be dropped"),
        ("connect(u, max_retries=1, retries=2)", "`retries` would be passed twice"),
        ("connect(u, 1, True, 4)", "4 positional arguments, 3 in `signature`"),
    ],
)
def test_calls_that_cannot_be_rewritten_exactly(call: str, message: str) -> None:
    code = f"{IMPORT}{call}\n"
    output, findings = rewrite(code)
    assert output == code
    assert len(findings) == 1 and message in findings[0]


def test_drop_any_drops_values_without_side_effects_only() -> None:
    options = {"old": "api.client.connect", "drop_any": ["verbose"]}
    code = f"{IMPORT}connect(u, verbose=cfg.VERBOSE)\nconnect(u, verbose=ask())\n"
    output, findings = rewrite(code, options)
    assert output == f"{IMPORT}connect(u)\nconnect(u, verbose=ask())\n"
    assert len(findings) == 1 and "side effects" in findings[0]


def test_a_dropped_last_argument_leaves_the_comment_of_the_one_before() -> None:
    code = f"{IMPORT}connect(\n    u,  # where\n    legacy=True,  # old\n)\n"
    assert rewrite(code, {"old": "api.client.connect", "drop": {"legacy": "True"}}) == (
        f"{IMPORT}connect(\n    u,  # where\n)\n",
        [],
    )


def test_without_signature_positional_arguments_stay() -> None:
    options = {**BASE, "signature": []}
    assert rewrite(f"{IMPORT}connect(u, 5, True)\n", options)[0] == (
        f"{IMPORT}connect(u, 5, True, strict=False)\n"
    )


def test_moved_callable_with_calls_left_behind_keeps_both_imports() -> None:
    options = {"old": "api.client.connect", "new": "api.v2.open_connection", **_ADD}
    code = f"{IMPORT}connect(u)\nconnect(**kw)\n"
    output, findings = rewrite(code, options)
    assert output == (
        f"{IMPORT}from api.v2 import open_connection\n"
        "open_connection(u, strict=False)\nconnect(**kw)\n"
    )
    assert len(findings) == 1


def test_moved_callable_through_its_module() -> None:
    options = {"old": "api.client.connect", "new": "api.v2.open_connection"}
    code = "import api.client\n\napi.client.connect(u)\n"
    assert rewrite(code, options) == ("import api.v2\n\napi.v2.open_connection(u)\n", [])


def test_moved_into_a_submodule_of_a_package_imported_plainly() -> None:
    options = {"old": "api.connect", "new": "api.v2.open_connection"}
    code = "import api\n\napi.connect(u)\napi.VERSION\n"
    assert rewrite(code, options) == (
        "import api\nimport api.v2\n\napi.v2.open_connection(u)\napi.VERSION\n",
        [],
    )


def test_a_reference_keeps_the_old_import() -> None:
    options = {"old": "api.client.connect", "new": "api.v2.open_connection"}
    code = f"{IMPORT}connect(u)\nretry(connect)\n"
    output, findings = rewrite(code, options)
    assert output == (
        f"{IMPORT}from api.v2 import open_connection\nopen_connection(u)\nretry(connect)\n"
    )
    assert findings and "referenced here, not called" in findings[0]


def test_decorator_calls_and_shadowing() -> None:
    code = f"""\
        {IMPORT}
        @connect(legacy=True)
        def f(connect):
            return connect(legacy=True)
        """
    after = f"""\
        {IMPORT}
        @connect(strict=False)
        def f(connect):
            return connect(legacy=True)
        """
    assert rewrite(code) == (textwrap.dedent(after), [])


_ADD = {"add": {"strict": "False"}}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({**BASE, "add": {"strict": "Fals e"}}, "add: Value error, 'strict': 'Fals e' is not a"),
        ({**BASE, "drop": {"legacy": "True)"}}, "drop: Value error, 'legacy'"),
        ({**BASE, "rename": {"max-retries": "retries"}}, "'max-retries' is not a parameter"),
        ({**BASE, "rename": {"a": "b", "b": "c"}}, "'b' is both a new name and renamed"),
        ({**BASE, "drop_any": ["legacy"]}, "renamed or dropped twice"),
        ({**BASE, "signature": ["url", "url"]}, "must not repeat"),
        ({"old": "api.client.connect"}, "nothing to do"),
        ({"old": "api.client.connect", "new": "api.client.connect"}, "nothing to do"),
        ({"old": "api..connect", **_ADD}, "not a dotted Python name"),
    ],
)
def test_options_are_validated(options: dict[str, Any], message: str) -> None:
    with pytest.raises(CodemodError, match=message.replace("(", r"\(").replace(")", r"\)")):
        configure("rewrite-call", options)


def test_yaml_scalars_become_python_source() -> None:
    codemod = configure(
        "rewrite-call", {"old": "a.f", "drop": {"x": True, "y": None, "z": 3}, "add": {"w": 1.5}}
    )
    assert codemod.options.drop == {"x": "True", "y": "None", "z": "3"}
    assert codemod.options.add == {"w": "1.5"}


def test_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(f"{IMPORT}connect(u, 5, legacy=True)\n")
    (tmp_path / "other.py").write_text("def connect(): ...\n")
    options = {
        "old": "api.client.connect",
        "rename": "{max_retries: retries}",
        "drop": "{legacy: true}",
        "add": "{strict: 'False'}",
        "signature": "[url, max_retries]",
    }
    command = [FLEETMOD, "apply", str(tmp_path), "-c", "rewrite-call", "--json", "--write"]
    for key, value in options.items():
        command += ["-o", f"rewrite-call.{key}={value}"]
    done = subprocess.run([*command, "--no-cache"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["changed"] == 1
    assert (tmp_path / "app.py").read_text() == f"{IMPORT}connect(u, retries=5, strict=False)\n"


def test_moved_class_whose_name_is_still_taken_is_spelled_in_full() -> None:
    options = {"old": "api.client.Conn", "new": "api.v2.conn.Conn", "rename": {"a": "b"}}
    code = "from api.client import Conn\n\nConn(a=1)\nisinstance(x, Conn)\n"
    output, findings = rewrite(code, options)
    assert output == (
        "from api.client import Conn\nimport api.v2.conn\n\n"
        "api.v2.conn.Conn(b=1)\nisinstance(x, Conn)\n"
    )
    assert len(findings) == 1
