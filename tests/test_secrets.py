"""A canary token given to a whole local run is found nowhere afterwards.

The run gets GITHUB_TOKEN, FLEETMOD_GITHUB_TOKEN and an unrelated MY_SECRET_KEY; its command
step writes the environment it sees into a file of the pull request and its check prints
and dumps its environment. Then every command a person would use afterwards runs, and the
canaries are searched for in their output, in every file under the fleet, the state folder
and the reports (git objects decompressed), and in the pull requests.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.forges.local import LocalForge
from tests.helpers import git
from tests.test_campaign import CLEAN, NEEDS_FIX, bare, write_policy
from tests.test_campaign_cli import fleetmod

CANARIES = {
    "GITHUB_TOKEN": "canary-github-token-9c41e7d2a8",
    "FLEETMOD_GITHUB_TOKEN": "canary-fleetmod-token-5b0f3e6c17",
    "MY_SECRET_KEY": "canary-unrelated-key-2d8a9f4b63",
}
STEP_ENV = "step-env.txt"
LEAKY = """\
  - name: dump the environment
    command: env > {step_env}
checks:
  - name: prints its environment
    run: env | tee -a {check_env}; exit 1
    on_failure: open
"""


def found_in(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [name for name, value in CANARIES.items() if value.encode() in data]


def git_objects(repository: Path) -> bytes:
    """Every object of a repository, decompressed: a canary inside a commit is found too."""
    listing = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=repository,
        capture_output=True,
        check=True,
    )
    return listing.stdout


def repositories(root: Path) -> list[Path]:
    """Every git repository under ``root``: bare origins and the workspaces' .git folders."""
    return sorted({p.parent for p in root.rglob("HEAD") if (p.parent / "objects").is_dir()})


@pytest.fixture
def canary_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)


def test_a_canary_token_given_to_a_whole_run_is_found_nowhere(
    tmp_path: Path, canary_env: None
) -> None:
    bare(tmp_path, "alpha", {"app.py": NEEDS_FIX})
    bare(tmp_path, "beta", {"beta.py": CLEAN})
    check_env = tmp_path / "check-env.txt"
    write_policy(tmp_path, checks=LEAKY.format(step_env=STEP_ENV, check_env=check_env))
    state = ["--state-dir", "state"]
    commands = [
        ["run", "policy.yaml", *state],
        ["status", "policy.yaml", *state],
        ["prs", *state],
        ["pr", "show", "1", *state],
        *(["report", "policy.yaml", "-f", f, *state] for f in ("markdown", "json")),
        ["report", "policy.yaml", "-f", "html", "-o", "report.html", *state],
    ]
    outputs = [fleetmod(*command, cwd=tmp_path) for command in commands]
    assert outputs[0].returncode == 0, outputs[0].stderr
    assert "pr-opened" in outputs[0].stdout
    for command, done in zip(commands, outputs, strict=True):
        assert found_in(done.stdout + done.stderr) == [], command

    pr = LocalForge(tmp_path / "state").list_prs()[0][1]
    assert "HOME=" in pr.body  # the check's environment is in the PR body ...
    assert found_in(pr.body + pr.title) == []  # ... without a canary
    origin = tmp_path / "fleet" / "alpha.git"
    step_env = git(origin, "show", f"fleetmod/safe-yaml:{STEP_ENV}")
    assert "PATH=" in step_env and found_in(step_env) == []
    seen_by_check = check_env.read_text()
    assert "PATH=" in seen_by_check and found_in(seen_by_check) == []
    for dump in (step_env, seen_by_check):
        names = {line.split("=", 1)[0] for line in dump.splitlines()}
        assert names.isdisjoint(CANARIES)

    files = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink()]
    assert len(files) > 50 and (tmp_path / "report.html").is_file()
    assert [(str(p), found_in(p.read_bytes())) for p in files if found_in(p.read_bytes())] == []
    stores = repositories(tmp_path)
    assert len(stores) == 6  # two seed repositories, two origins, two workspaces
    assert [(str(r), found_in(git_objects(r))) for r in stores if found_in(git_objects(r))] == []
    assert os.environ["GITHUB_TOKEN"] == CANARIES["GITHUB_TOKEN"]  # the run really had them
