"""`fleetmod policy validate|schema|show` as a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner, Result

from bot.cli import app

GOOD = """\
id: demo
title: Demo policy
version: "2"
codemods:
  - codemod: yaml-safe-load
  - codemod: yaml-safe-load
    level: off
  - command: ruff check --fix --select UP .
    name: ruff
checks:
  - name: compiles
    run: python -m compileall -q .
waivers:
  - repository: acme/old-*
    reason: retired next month
    owner: alice
    expires: 2030-05-20
  - repository: acme/api
    paths: ["legacy/"]
    reason: rewritten in Q3
    owner: bob
    expires: 2030-06-10
  - repository: acme/web
    reason: "[b]x[/]"
    owner: carol
    expires: 2031-01-01
"""
BAD = "id: demo\ntitle: Demo\ncodemods:\n  - codemod: yaml-safeload\n"


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text(BAD)
    return tmp_path


def test_validate_reports_every_file_and_fails_if_any_is_bad(files: Path) -> None:
    result = run(
        "policy", "validate", "bad.yaml", "missing.yaml", "good.yaml", "--today", "2020-01-01"
    )
    assert result.exit_code == 2
    assert result.stdout == "ok good.yaml (demo@2, 1 codemod, 1 check)\n"
    assert result.stderr.splitlines() == [
        "error: bad.yaml:4: codemods[0].codemod: unknown codemod 'yaml-safeload'; "
        "did you mean 'yaml-safe-load'?",
        "error: missing.yaml: cannot read: No such file or directory",
    ]


def test_validate_refuses_an_expired_waiver_and_warns_about_an_expiring_one(files: Path) -> None:
    result = run("policy", "validate", "good.yaml", "--today", "2030-06-01")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: good.yaml:14: waivers[0] ('acme/old-*', owner alice) "
        "expired on 2030-05-20; it no longer applies; renew or remove it",
        "warning: good.yaml:18: waivers[1] ('acme/api', owner bob) "
        "expires on 2030-06-10, in 9 days",
    ]
    before = run("policy", "validate", "good.yaml", "--today", "2030-05-20")
    assert before.exit_code == 0 and before.stdout.startswith("ok good.yaml")


def test_validate_refuses_a_date_that_is_not_one(files: Path) -> None:
    result = run("policy", "validate", "good.yaml", "--today", "June")
    assert result.exit_code == 2
    assert "'June' is not a date like 2030-12-31" in result.output


def test_show_summarises_steps_checks_and_waivers(files: Path) -> None:
    result = run("policy", "show", "good.yaml", "--today", "2030-06-01")
    assert result.exit_code == 0, result.output
    text = result.stdout
    for expected in (
        "demo@2: Demo policy",
        "yaml-safe-load",
        "ruff: ruff check --fix --select UP .",
        "compiles",
        "branch fleetmod/demo",
        "[b]x[/]",  # user text is shown, not read as markup
    ):
        assert expected in text
    assert text.index("expired") < text.index("expiring") < text.index("active")


def test_show_refuses_a_bad_file_in_one_line(files: Path) -> None:
    result = run("policy", "show", "bad.yaml")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: bad.yaml:4: codemods[0].codemod:")


def test_schema_from_the_installed_command_is_a_json_schema(tmp_path: Path) -> None:
    command = shutil.which("fleetmod", path=str(Path(sys.executable).parent))
    assert command is not None
    done = subprocess.run(
        [command, "policy", "schema"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    schema = json.loads(done.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"id": "demo", "title": "Demo"})
    assert not validator.is_valid({"id": "demo", "title": "Demo", "delivery": {"action": "push"}})
