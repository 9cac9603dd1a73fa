"""`fleetmod prs` and `fleetmod pr ...` on a real local forge, through typer's runner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.forges.base import PrRequest, PrState
from bot.forges.local import LocalForge, local_repo
from tests.helpers import git, make_origin, push_branch

FILES = {"app.py": "import os\n\nprint(os.sep)\n"}


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def forge(state: Path) -> LocalForge:
    return LocalForge(state)


def open_pr(forge: LocalForge, origin: Path, head: str, title: str, body: str = "") -> int:
    push_branch(origin, head, {"app.py": f"print({head!r})\n"})
    return forge.create_pr(local_repo(origin), PrRequest(head, "main", title, body)).number


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_prs_lists_open_ones_by_default_and_filters_by_state(
    tmp_path: Path, state: Path, forge: LocalForge
) -> None:
    origin = make_origin(tmp_path / "svc.git", FILES)
    open_pr(forge, origin, "fleetmod/a", "First change")
    second = open_pr(forge, origin, "fleetmod/b", "Second change")
    forge.close_pr(local_repo(origin), second, "no")
    code, output = cli("prs", "--state-dir", str(state))
    assert code == 0
    assert "First change" in output and "fleetmod/a" in output and "svc" in output
    assert "Second change" not in output
    code, output = cli("prs", "--state-dir", str(state), "--state", "closed", "--json")
    rows = json.loads(output)
    assert [(r["repo"], r["number"], r["state"], r["title"]) for r in rows] == [
        ("svc", 2, "closed", "Second change")
    ]
    assert (
        cli("prs", "--state-dir", str(state), "--state", "all", "--json")[1].count('"number"') == 2
    )


def test_prs_reads_the_state_dir_from_the_environment_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "never-used"
    monkeypatch.setenv("FLEETMOD_STATE_DIR", str(empty))
    assert cli("prs", "--json") == (0, "[]\n")
    assert not empty.exists()
    code, output = cli("pr", "show", "1")
    assert code == 2 and f"no local forge in {empty}" in output


def test_pr_show_renders_body_comments_and_diff(
    tmp_path: Path, state: Path, forge: LocalForge
) -> None:
    origin = make_origin(tmp_path / "svc.git", FILES)
    number = open_pr(forge, origin, "fleetmod/a", "Use [bold]os[/bold]", "## Why\n\n*Because* so.")
    forge.comment(local_repo(origin), number, "Checks passed.")
    code, output = cli("pr", "show", str(number), "--state-dir", str(state))
    assert code == 0, output
    assert "Use [bold]os[/bold]" in output
    assert "Why" in output and "Because so." in output and "Checks passed." in output
    assert "-print(os.sep)" in output and "+print('fleetmod/a')" in output


def test_pr_show_wraps_a_long_list_item_instead_of_cutting_it(
    tmp_path: Path, state: Path, forge: LocalForge
) -> None:
    origin = make_origin(tmp_path / "svc.git", FILES)
    finding = "- `a.py:3`: " + " ".join(f"word{i}" for i in range(60)) + " THE-END"
    number = open_pr(forge, origin, "fleetmod/a", "Findings", f"### Findings\n\n{finding}\n")
    code, output = cli("pr", "show", str(number), "--state-dir", str(state))
    assert code == 0, output
    assert "word59" in output and "THE-END" in output


def test_pr_merge_and_close_act_as_a_reviewer(
    tmp_path: Path, state: Path, forge: LocalForge
) -> None:
    origin = make_origin(tmp_path / "svc.git", FILES)
    repo = local_repo(origin)
    first = open_pr(forge, origin, "fleetmod/a", "Merge me")
    second = open_pr(forge, origin, "fleetmod/b", "Close me")
    code, output = cli("pr", "merge", str(first), "--state-dir", str(state))
    assert code == 0 and "Merged svc #1 into main" in output
    merged = forge.get_pr(repo, first)
    assert (merged.state, merged.closed_by) == (PrState.MERGED, "human")
    assert git(origin, "show", "main:app.py") == "print('fleetmod/a')"
    code, output = cli(
        "pr", "close", str(second), "--comment", "Not now.", "--state-dir", str(state)
    )
    assert code == 0 and "Closed svc #2" in output
    closed = forge.get_pr(repo, second)
    assert (closed.state, closed.closed_by) == (PrState.CLOSED, "human")
    assert [(c.author, c.body) for c in forge.comments(repo, second)] == [("human", "Not now.")]
    code, output = cli("pr", "close", str(second), "--state-dir", str(state))
    assert code == 2 and "is closed, not open" in output


def test_a_conflicting_merge_fails_with_one_clear_line(
    tmp_path: Path, state: Path, forge: LocalForge
) -> None:
    origin = make_origin(tmp_path / "svc.git", FILES)
    number = open_pr(forge, origin, "fleetmod/a", "Conflicts")
    push_branch(origin, "main", {"app.py": "print('moved on')\n"})
    code, output = cli("pr", "merge", str(number), "--state-dir", str(state))
    assert code == 2
    assert output.strip() == "error: svc #1 does not merge cleanly: app.py"


def test_the_same_number_in_two_repositories_needs_repo(
    tmp_path: Path, state: Path, forge: LocalForge
) -> None:
    for name in ("alpha", "beta"):
        open_pr(forge, make_origin(tmp_path / f"{name}.git", FILES), "fleetmod/a", f"In {name}")
    code, output = cli("pr", "show", "1", "--state-dir", str(state))
    assert code == 2 and "exists in several repositories (alpha, beta): pass --repo" in output
    code, output = cli("pr", "show", "1", "--repo", "beta", "--state-dir", str(state))
    assert code == 0 and "In beta" in output and "In alpha" not in output
    code, output = cli("pr", "show", "1", "--repo", "gamma", "--state-dir", str(state))
    assert code == 2 and "no repository 'gamma'" in output
    assert cli("pr", "show", "7", "--state-dir", str(state))[0] == 2


def test_the_installed_command_lists_prs(tmp_path: Path, state: Path, forge: LocalForge) -> None:
    origin = make_origin(tmp_path / "svc.git", FILES)
    open_pr(forge, origin, "fleetmod/a", "Through the console script")
    command = [str(Path(sys.executable).with_name("fleetmod")), "prs", "--json"]
    env_state = {"FLEETMOD_STATE_DIR": str(state), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(command, capture_output=True, text=True, env=env_state, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["title"] == "Through the console script"
