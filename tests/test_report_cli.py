"""`fleetmod report` and `fleetmod report merge`, run as a user runs them: a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ledger import Ledger
from bot.outcomes import Outcome
from tests.test_report import POLICY_YAML, outcome, record, validate

FLEETMOD = str(Path(sys.executable).parent / "fleetmod")


def fleetmod(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "FLEETMOD_STATE_DIR"}
    return subprocess.run(
        [FLEETMOD, *args], cwd=cwd, env={**environ, **(env or {})}, capture_output=True, text=True
    )


@pytest.fixture
def campaign(tmp_path: Path) -> Path:
    """A policy file and, in ./state, a ledger with one audit and one run."""
    (tmp_path / "policy.yaml").write_text(POLICY_YAML)
    ledger = Ledger(tmp_path / "state" / "ledger.sqlite3")
    record(ledger, "audit", [outcome("org/app", Outcome.NEEDS_CHANGE, 2, 1)])
    record(ledger, "run", [
        outcome("org/app", Outcome.PR_OPENED, 2, 1, "open", 5),
        outcome("org/lib", Outcome.COMPLIANT),
        outcome("org/gone", Outcome.ERROR),
    ])  # fmt: skip
    return tmp_path


def test_markdown_is_the_default_and_goes_to_stdout(campaign: Path) -> None:
    result = fleetmod("report", "policy.yaml", "--state-dir", "state", cwd=campaign)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("## fleetmod: [Demo &lt;b&gt;policy&lt;/b&gt; \\| safe]")
    assert "3 repositories: 1 compliant, 1 PR opened, 1 error; 50.0% compliant" in result.stdout
    assert "[\\#5](https://forge.example/org/app/pull/5)" in result.stdout


def test_json_written_to_a_file_follows_the_schema(campaign: Path) -> None:
    result = fleetmod(
        "report", "--format", "json", "policy.yaml", "-o", "out.json", "--state-dir", "state",
        cwd=campaign,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    document = json.loads((campaign / "out.json").read_text())
    validate(document)
    assert [o["repo"] for o in document["outcomes"]] == ["org/app", "org/gone", "org/lib"]
    assert [r["command"] for r in document["runs"]] == ["audit", "run"]


def test_state_dir_comes_from_the_environment(campaign: Path) -> None:
    env = {"FLEETMOD_STATE_DIR": str(campaign / "state")}
    result = fleetmod("report", "policy.yaml", "-f", "html", cwd=campaign, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "org/gone" in result.stdout


def test_without_a_ledger_it_says_so_and_creates_nothing(campaign: Path) -> None:
    result = fleetmod("report", "policy.yaml", "--state-dir", "nowhere", cwd=campaign)
    assert result.returncode == 2
    ledger = campaign / "nowhere" / "ledger.sqlite3"
    assert result.stderr.strip() == (
        f"error: no ledger at {ledger}: run `fleetmod audit` or `fleetmod run` first"
    )
    assert not (campaign / "nowhere").exists()


def test_a_bad_policy_is_one_line(campaign: Path) -> None:
    (campaign / "bad.yaml").write_text("id: Not An Id\ntitle: x\n")
    result = fleetmod("report", "bad.yaml", "--state-dir", "state", cwd=campaign)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: bad.yaml:1: id:")


def test_merge_of_shard_reports(campaign: Path) -> None:
    shard = Ledger(campaign / "shard2" / "ledger.sqlite3")
    record(shard, "run", [outcome("org/more", Outcome.PR_DECLINED, 1, 0, "closed", 8)])
    for name, state in (("one.json", "state"), ("two.json", "shard2")):
        args = ("report", "policy.yaml", "-f", "json", "-o", name, "--state-dir", state)
        assert fleetmod(*args, cwd=campaign).returncode == 0
    merged = fleetmod("report", "merge", "one.json", "two.json", "-f", "json", cwd=campaign)
    assert merged.returncode == 0, merged.stderr
    document = json.loads(merged.stdout)
    validate(document)
    assert document["summary"]["repositories"] == 4
    assert document["summary"]["by_outcome"]["pr-declined"] == 1
    assert document["merged_from"] == 2
    markdown = fleetmod("report", "merge", "one.json", "two.json", "-o", "sum.md", cwd=campaign)
    assert markdown.returncode == 0, markdown.stderr
    text = (campaign / "sum.md").read_text()
    assert "merged from 2 reports" in text and "org/more" in text


def test_merge_names_the_file_that_is_not_a_report(campaign: Path) -> None:
    (campaign / "other.json").write_text('{"files": []}')
    (campaign / "broken.json").write_text("{")
    result = fleetmod("report", "merge", "other.json", cwd=campaign)
    assert result.returncode == 2
    assert result.stderr.startswith("error: other.json: not a fleetmod report")
    result = fleetmod("report", "merge", "broken.json", cwd=campaign)
    assert result.returncode == 2
    assert result.stderr.startswith("error: broken.json: Expecting property name")


def test_output_in_a_latin1_locale_and_to_a_missing_folder(campaign: Path) -> None:
    latin = {"PYTHONIOENCODING": "latin-1"}
    result = fleetmod("report", "policy.yaml", "--state-dir", "state", cwd=campaign, env=latin)
    assert result.returncode == 0, result.stderr
    assert "❌ error" in result.stdout  # written as UTF-8, read back as UTF-8 here
    result = fleetmod(
        "report", "policy.yaml", "--state-dir", "state", "-o", "no/x.md", cwd=campaign
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: cannot write no/x.md: No such file or directory"
