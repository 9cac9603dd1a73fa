"""The bot killed with SIGKILL at each step of a repository's workflow, then rerun.

A small driver runs the real campaign in its own process and kills itself (SIGKILL: no
cleanup, no finally, no atexit) when the chosen repository announces the chosen step; the
rerun is the same command. Whatever the moment, afterwards there is one PR per repository,
its branch holds the whole change on top of the default branch, no pushed commit was lost
or rewritten, and the ledger agrees with the forge.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bot.forges.local import LocalForge, local_repo
from bot.ledger import Ledger
from bot.pr_body import marker_of
from bot.workspace import WorkspaceCache
from tests.helpers import git
from tests.test_campaign import CLEAN, FIXED, NEEDS_FIX, bare, push_commit, write_policy
from tests.test_campaign_cli import FLEETMOD

BRANCH = "fleetmod/safe-yaml"
BOT_EMAIL = "fleetmod@users.noreply.github.com"
REPOS = ("alpha", "beta")
DRIVER = """
import json, os, signal, sys
from pathlib import Path
from bot.campaign import CampaignOptions, run_campaign
from bot.forges.local import LocalForge
from bot.lock import campaign_lock
from bot.policy import load_policy
from bot.sources import local_repos, select

root, victim, at = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
state = root / "state"
policy = load_policy(root / "policy.yaml")
repos = select(policy, local_repos(policy, root))

def kill(repo, step):
    if (repo, step) == (victim, at):
        os.kill(os.getpid(), signal.SIGKILL)

def recorded(outcome):
    kill(outcome.repo, "recorded")

with campaign_lock(state, policy.id):
    result = run_campaign(
        policy, LocalForge(state), repos, state, CampaignOptions("run"), kill, recorded
    )
print(json.dumps({"resumed": result.resumed, "outcomes": [o.to_json() for o in result.outcomes]}))
"""
# The command's parent is the reaper that contains it (bot/reaper.py); the bot is the next.
BOT = '$(cut -d" " -f4 /proc/$PPID/stat)'
KILL_ONCE = "test -e {flag} || {{ touch {flag}; kill -KILL " + BOT + "; sleep 5; }}"
# What the bot runs kills it: a command step after the codemod (the work tree is half
# rewritten), or a check while it reruns on the base (in a temporary worktree).
KILLERS = {
    "rewrite": "  - name: kill the bot\n    command: '{kill}'\n",
    "base check": (
        "checks:\n  - name: fails\n    run: 'grep -rq safe_load . && exit 1; {kill}; false'\n"
    ),
}


def drive(tmp: Path, victim: str = "", step: str = "") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", DRIVER, str(tmp), victim, step]
    # Its own session: what it kills (itself, or its whole group) is never the test runner.
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, start_new_session=True
    )


def rerun(tmp: Path) -> dict[str, Any]:
    done = drive(tmp)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def branch_heads(tmp: Path) -> dict[str, str | None]:
    heads: dict[str, str | None] = {}
    for name in REPOS:
        origin = tmp / "fleet" / f"{name}.git"
        heads[name] = git(origin, "for-each-ref", "--format=%(objectname)", f"refs/heads/{BRANCH}")
    return {name: head or None for name, head in heads.items()}


def worktrees(workspace: Path) -> list[str]:
    listing = git(workspace, "worktree", "list", "--porcelain").splitlines()
    return [line.removeprefix("worktree ") for line in listing if line.startswith("worktree ")]


def assert_whole_and_consistent(tmp: Path) -> None:
    """One open PR per repository on a branch that holds the whole change on top of the
    default branch, authored by the bot; the ledger's last run is finished and agrees."""
    forge = LocalForge(tmp / "state")
    listed = sorted((name, pr.number, pr.state.value) for name, pr in forge.list_prs())
    assert listed == [(name, 1, "open") for name in REPOS]
    latest = Ledger.of(tmp / "state").latest("safe-yaml", "run")
    for name in REPOS:
        origin = tmp / "fleet" / f"{name}.git"
        pr = forge.find_pr(local_repo(origin), BRANCH)
        head = git(origin, "rev-parse", BRANCH)
        assert pr is not None and pr.head_sha == head
        assert git(origin, "rev-list", "--count", f"main..{BRANCH}") == "1"
        assert git(origin, "rev-parse", f"{BRANCH}^") == git(origin, "rev-parse", "main")
        assert git(origin, "show", f"{BRANCH}:app.py") + "\n" == FIXED
        assert git(origin, "diff", "--name-only", "main", BRANCH) == "app.py"
        assert git(origin, "log", "-1", "--format=%ae", BRANCH) == BOT_EMAIL
        assert latest[name].pr_number == 1 and latest[name].pr_state == "open"
        assert latest[name].head_sha == head
        workspace = WorkspaceCache(tmp / "state").path_for(local_repo(origin))
        assert not list(workspace.glob(".git/**/*.lock"))
    runs = Ledger.of(tmp / "state").runs("safe-yaml")
    assert all(r.finished_at for r in runs)
    assert sum(runs[-1].counts.values()) == len(REPOS)


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    for name in REPOS:
        bare(tmp_path, name, {"app.py": NEEDS_FIX, "util.py": CLEAN})
    write_policy(tmp_path, "limits:\n  concurrency: 1\n", checks="")
    return tmp_path


RERUN_OUTCOME = {
    "commit": "pr-opened",
    "push": "pr-opened",
    "open PR": "pr-opened",
    "done": "pr-unchanged",  # the PR exists, the ledger did not know: found, not duplicated
    "recorded": "pr-opened",  # recorded in the killed run: not redone
}


@pytest.mark.parametrize("step", list(RERUN_OUTCOME))
def test_killed_at_a_step_then_rerun_leaves_one_whole_pr(fleet: Path, step: str) -> None:
    killed = drive(fleet, "alpha", step)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    pushed = branch_heads(fleet)["alpha"]
    assert (pushed is not None) == (step in ("open PR", "done", "recorded"))
    document = rerun(fleet)
    assert document["resumed"] is True
    found = {o["repo"]: o["outcome"] for o in document["outcomes"]}
    assert found == {"alpha": RERUN_OUTCOME[step], "beta": "pr-opened"}
    if pushed is not None:
        assert branch_heads(fleet)["alpha"] == pushed  # the pushed commit is kept, not redone
    assert_whole_and_consistent(fleet)
    heads, prs = branch_heads(fleet), LocalForge(fleet / "state").list_prs()
    assert {o["outcome"] for o in rerun(fleet)["outcomes"]} == {"pr-unchanged"}
    assert branch_heads(fleet) == heads and LocalForge(fleet / "state").list_prs() == prs


@pytest.mark.parametrize("during", list(KILLERS))
def test_killed_by_what_it_runs_then_rerun_leaves_one_whole_pr(fleet: Path, during: str) -> None:
    killer = KILLERS[during].format(kill=KILL_ONCE.format(flag=fleet / "killed"))
    write_policy(fleet, "limits:\n  concurrency: 1\n", checks=killer)
    killed = drive(fleet)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    workspace = WorkspaceCache(fleet / "state").path_for(local_repo(fleet / "fleet/alpha.git"))
    assert (workspace / "app.py").read_text() == FIXED  # the tree was part-way through
    assert branch_heads(fleet) == {"alpha": None, "beta": None}
    left = worktrees(workspace)[1:]  # the base's temporary checkout, if killed there
    assert len(left) == (during == "base check")
    document = rerun(fleet)
    assert document["resumed"] is True
    assert {o["outcome"] for o in document["outcomes"]} == {"pr-opened"}
    assert_whole_and_consistent(fleet)
    assert worktrees(workspace) == [str(workspace)]
    assert not any(Path(path).exists() for path in left)


@pytest.mark.parametrize("step", ["push", "update PR"])
def test_killed_while_updating_a_pr_then_rerun_updates_it_once(fleet: Path, step: str) -> None:
    rerun(fleet)
    origin = fleet / "fleet" / "alpha.git"
    push_commit(fleet, origin, "main", {"util.py": CLEAN + "# moved on\n"}, "dev@example.com")
    old_head = branch_heads(fleet)["alpha"]
    old_body = LocalForge(fleet / "state").get_pr(local_repo(origin), 1).body
    killed = drive(fleet, "alpha", step)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    pushed = branch_heads(fleet)["alpha"]
    assert (pushed != old_head) == (step == "update PR")
    document = rerun(fleet)
    found = {o["repo"]: o["outcome"] for o in document["outcomes"]}
    assert found == {"alpha": "pr-updated", "beta": "pr-unchanged"}
    if step == "update PR":
        assert branch_heads(fleet)["alpha"] == pushed
    assert_whole_and_consistent(fleet)
    body = LocalForge(fleet / "state").get_pr(local_repo(origin), 1).body
    assert marker_of(body) != marker_of(old_body)  # the text follows the new change


def test_two_runs_of_one_policy_at_once_the_second_refuses_and_only_one_pushes(
    tmp_path: Path,
) -> None:
    for name in REPOS:
        origin = bare(tmp_path, name, {"app.py": NEEDS_FIX, "util.py": CLEAN})
        git(origin, "config", "core.logAllRefUpdates", "always")  # count every ref update
    gate = tmp_path / "go"
    # Whoever holds the lock waits at its check until the other run has given up.
    check = f"checks:\n  - name: gate\n    run: 'until test -e {gate}; do sleep 0.05; done'\n"
    write_policy(tmp_path, checks=check + "    timeout: 60\n")
    command = [*FLEETMOD, "run", "policy.yaml", "--state-dir", "state"]
    runs = [
        subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    deadline = time.monotonic() + 90
    while all(r.poll() is None for r in runs) and time.monotonic() < deadline:
        time.sleep(0.05)
    first_out = [r for r in runs if r.poll() is not None]
    gate.touch()
    results = [(r.wait(timeout=120), *(s.decode() for s in r.communicate())) for r in runs]
    assert len(first_out) == 1, "one run must give up while the other holds the lock"
    refused = results[runs.index(first_out[0])]
    assert (
        refused[0] == 2
        and "another fleetmod run of policy 'safe-yaml' is in progress" in refused[2]
    )
    assert refused[2].strip().count("\n") == 0
    assert sorted(code for code, _, _ in results) == [0, 2]
    listed = sorted((name, pr.number) for name, pr in LocalForge(tmp_path / "state").list_prs())
    assert listed == [(name, 1) for name in REPOS]
    for name in REPOS:
        reflog = tmp_path / "fleet" / f"{name}.git" / "logs" / "refs" / "heads" / BRANCH
        assert len(reflog.read_text().splitlines()) == 1  # pushed once, by one run


# A reference-transaction hook runs while git holds the locks of the refs it updates.
KILL_WHILE_GIT_HOLDS = """#!/bin/sh
[ "$1" = prepared ] || exit 0
grep -q " {ref}$" || exit 0
test -e {flag} && exit 0
touch {flag}
kill -KILL 0  # the whole job, git included, as a cancelled CI job or the OOM killer does
"""


@pytest.mark.parametrize(
    "ref", ["refs/remotes/origin/main", "refs/heads/fleetmod-workspace"], ids=["fetch", "checkout"]
)
def test_a_git_killed_holding_its_locks_does_not_wedge_the_workspace(fleet: Path, ref: str) -> None:
    rerun(fleet)
    origin = fleet / "fleet" / "alpha.git"
    push_commit(fleet, origin, "main", {"util.py": CLEAN + "# moved on\n"}, "dev@example.com")
    workspace = WorkspaceCache(fleet / "state").path_for(local_repo(origin))
    hook = workspace / ".git" / "hooks" / "reference-transaction"
    hook.write_text(KILL_WHILE_GIT_HOLDS.format(ref=ref, flag=fleet / "killed"))
    hook.chmod(0o755)
    killed = drive(fleet)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (workspace / ".git" / f"{ref}.lock").exists()  # what the killed git left
    found = {o["repo"]: o["outcome"] for o in rerun(fleet)["outcomes"]}
    assert found == {"alpha": "pr-updated", "beta": "pr-unchanged"}
    assert_whole_and_consistent(fleet)


def test_a_repository_that_kills_the_bot_every_time_is_left_out_of_the_resumed_run(
    tmp_path: Path,
) -> None:
    """Out of memory, a native crash: the same repository kills every attempt. The bot dies
    in it twice, then leaves it out with a reason, and the repositories that were in flight
    beside it (concurrency 2) are finished, not blamed."""
    names = ("alpha", "poisoned", "gamma", "delta")
    for name in names:
        extra = {"poison": "x\n"} if name == "poisoned" else {}
        bare(tmp_path, name, {"app.py": NEEDS_FIX, "util.py": CLEAN, **extra})
    kill = f"test -e poison && kill -KILL {BOT}; true"
    step = f"  - name: dies on poison\n    command: '{kill}'\n"
    write_policy(tmp_path, "limits:\n  concurrency: 2\n", checks=step)

    runs = [drive(tmp_path) for _ in range(3)]

    assert [r.returncode for r in runs] == [-signal.SIGKILL, -signal.SIGKILL, 0], runs[-1].stderr
    found = {o["repo"]: o for o in json.loads(runs[-1].stdout)["outcomes"]}
    assert found["poisoned"]["outcome"] == "error"
    assert found["poisoned"]["reason"].startswith("the bot died 2 times while working on")
    # a neighbour killed after its PR was opened but before it was recorded finds that PR
    bystanders = {found[n]["outcome"] for n in names if n != "poisoned"}
    assert bystanders <= {"pr-opened", "pr-unchanged"}
    prs = sorted((name, pr.number) for name, pr in LocalForge(tmp_path / "state").list_prs())
    assert prs == [("alpha", 1), ("delta", 1), ("gamma", 1)]
    assert all(r.finished_at for r in Ledger.of(tmp_path / "state").runs("safe-yaml"))
