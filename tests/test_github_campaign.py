"""End to end on GitHub: a campaign over an organisation on the GitHub API test server,
through the real code path (policy, sources, forge over PyGithub, clones and pushes with
real git over smart HTTP, engine, ledger), asserting on what GitHub ends up holding and on
the requests the run made.
"""

from __future__ import annotations

import collections
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.campaign import CampaignOptions, CampaignResult, run_campaign
from bot.cli import app
from bot.forges.github import CLOSE_MARKER
from bot.outcomes import Outcome
from bot.policy import load_policy
from bot.pr_body import marker_of
from bot.sources import Fleet, fleet
from tests.github_server import GitHubServer
from tests.helpers import git

NEEDS_FIX = (
    "import yaml\n\n\ndef read(path):\n    with open(path) as f:\n        return yaml.load(f)\n"
)
FIXED = NEEDS_FIX.replace("yaml.load(f)", "yaml.safe_load(f)")
CLEAN = "def add(a, b):\n    return a + b\n"
BRANCH = "fleetmod/safe-yaml"
OPENED = {"acme/alpha": "main", "acme/beta": "main", "acme/gamma": "trunk"}
FIRST_RUN = {
    "acme/alpha": Outcome.PR_OPENED,
    "acme/beta": Outcome.PR_OPENED,
    "acme/gamma": Outcome.PR_OPENED,
    "acme/delta": Outcome.COMPLIANT,
    "acme/epsilon": Outcome.WAIVED,
}
POLICY = """\
id: safe-yaml
title: Load YAML safely
scope:
  repositories:
    github:
      org: acme
codemods:
  - codemod: yaml-safe-load
delivery:
  labels: [fleetmod, security]
  reviewers: [alice, "@acme/reviewers"]
"""


def build_org(server: GitHubServer) -> None:
    """Five repositories in scope, and four that a default scope leaves out."""
    server.add_org("acme")
    server.add_user("alice")
    server.add_user("carol")
    server.add_team("acme", "reviewers")
    server.create_repo("acme", "alpha", {"app/config.py": NEEDS_FIX, "app/util.py": CLEAN})
    server.create_repo("acme", "beta", {"src/load.py": NEEDS_FIX})
    server.create_repo("acme", "gamma", {"load.py": NEEDS_FIX}, default_branch="trunk")
    server.create_repo("acme", "delta", {"clean.py": CLEAN})
    opt_out_codemod = "opt_out: [yaml-safe-load]\n"
    server.create_repo(
        "acme", "epsilon", {"load.py": NEEDS_FIX, ".github/fleetmod.yml": opt_out_codemod}
    )
    server.create_repo(
        "acme", "optout", {"load.py": NEEDS_FIX, ".github/fleetmod.yml": "opt_out: true\n"}
    )
    server.create_repo("acme", "archived", {"load.py": NEEDS_FIX}, archived=True)
    server.create_repo("acme", "forked", {"load.py": NEEDS_FIX}, fork=True)
    server.create_repo("acme", "disabled", {"load.py": NEEDS_FIX}, disabled=True)


def github_env(server: GitHubServer, token: str) -> dict[str, str]:
    return {
        "FLEETMOD_GITHUB_TOKEN": token,
        "FLEETMOD_GITHUB_API_URL": server.base_url,
        "FLEETMOD_GITHUB_MIN_BACKOFF": "0.5",
        "FLEETMOD_GITHUB_ERROR_BACKOFF": "0.05",
        "FLEETMOD_GITHUB_WRITE_INTERVAL": "0.05",
    }


@pytest.fixture
def org(
    github_server: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> GitHubServer:
    build_org(github_server)
    for name, value in github_env(github_server, github_server.token).items():
        monkeypatch.setenv(name, value)
    for name in ("GITHUB_TOKEN", "FLEETMOD_GITHUB_MAX_WAIT"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "policy.yaml").write_text(POLICY)
    return github_server


def select(tmp: Path, only: tuple[str, ...] = ()) -> Fleet:
    return fleet(load_policy(tmp / "policy.yaml"), tmp / "state", only=only)


def run(tmp: Path, command: str = "run", only: tuple[str, ...] = ()) -> CampaignResult:
    found = select(tmp, only)
    options = CampaignOptions(command, only=only)
    return run_campaign(found.policy, found.forge, found.repos, tmp / "state", options)


def outcomes(result: CampaignResult) -> dict[str, Outcome]:
    return {o.repo: o.outcome for o in result.outcomes}


def writes(server: GitHubServer) -> list[tuple[str, str]]:
    return sorted((r.method, r.path.removeprefix("/api/v3")) for r in server.write_requests())


def only_pr(server: GitHubServer, full_name: str) -> dict[str, object]:
    (pr,) = server.pulls(*full_name.split("/"))
    return pr


def test_first_run_opens_prs_with_labels_and_reviewers_in_scope_only(
    org: GitHubServer, tmp_path: Path
) -> None:
    found = select(tmp_path)
    assert [r.full_name for r in found.repos] == sorted(FIRST_RUN)
    assert found.skipped == {"acme/optout": "opted out in .github/fleetmod.yml"}

    result = run(tmp_path)

    assert outcomes(result) == FIRST_RUN
    for name, base in OPENED.items():
        pr = only_pr(org, name)
        assert (pr["state"], pr["base"], pr["head"], pr["draft"]) == ("open", base, BRANCH, False)
        assert pr["labels"] == ["fleetmod", "security"]
        assert (pr["requested_reviewers"], pr["requested_teams"]) == (["alice"], ["reviewers"])
        assert marker_of(str(pr["body"])) is not None
    fixed = git(org.repo("acme", "alpha").path, "show", f"{BRANCH}:app/config.py")
    assert fixed + "\n" == FIXED
    for name in ("delta", "epsilon", "optout", "archived", "forked", "disabled"):
        assert org.pulls("acme", name) == []
        assert org.branch_sha("acme", name, BRANCH) is None
    epsilon = next(o for o in result.outcomes if o.repo == "acme/epsilon")
    assert epsilon.waivers == [
        "acme/epsilon: opted out in .github/fleetmod.yml (acme/epsilon maintainers)"
    ]
    # three writes per opened PR: create, labels, reviewers
    per_repo = collections.Counter(path.split("/")[3] for _, path in writes(org))
    assert per_repo == {"alpha": 3, "beta": 3, "gamma": 3}
    assert collections.Counter(method for method, _ in writes(org)) == {"POST": 9}


def test_an_immediate_rerun_makes_no_write_even_without_the_ledger(
    org: GitHubServer, tmp_path: Path
) -> None:
    run(tmp_path)
    pushes = len(org.git_pushes)
    org.clear_requests()

    rerun = run(tmp_path)

    expected = {**FIRST_RUN, **dict.fromkeys(OPENED, Outcome.PR_UNCHANGED)}
    assert outcomes(rerun) == expected
    assert writes(org) == [] and len(org.git_pushes) == pushes
    # GitHub is the source of truth: with no ledger and no clone cache, still nothing to do
    shutil.rmtree(tmp_path / "state")
    assert outcomes(run(tmp_path)) == expected
    assert writes(org) == [] and len(org.git_pushes) == pushes
    assert all(len(org.pulls(*name.split("/"))) == 1 for name in OPENED)


def test_a_moved_default_branch_updates_the_branch_and_the_pr(
    org: GitHubServer, tmp_path: Path
) -> None:
    run(tmp_path)
    before = only_pr(org, "acme/alpha")
    main = org.push_commit("acme", "alpha", "main", {"README.md": "moved on\n"})
    org.clear_requests()

    result = run(tmp_path)

    assert outcomes(result)["acme/alpha"] is Outcome.PR_UPDATED
    after = only_pr(org, "acme/alpha")
    assert after["number"] == before["number"] and after["head_sha"] != before["head_sha"]
    alpha = org.repo("acme", "alpha").path
    assert git(alpha, "rev-parse", f"{BRANCH}^") == main
    assert marker_of(str(after["body"])) != marker_of(str(before["body"]))
    assert writes(org) == [("PATCH", f"/repos/acme/alpha/pulls/{before['number']}")]


def test_a_human_commit_on_the_bot_branch_is_preserved(org: GitHubServer, tmp_path: Path) -> None:
    run(tmp_path)
    human = org.push_commit(
        "acme", "alpha", BRANCH, {"NOTES.md": "mine\n"}, author_email="human@example.com"
    )
    org.push_commit("acme", "alpha", "main", {"README.md": "moved on\n"})
    org.clear_requests()

    result = run(tmp_path)

    assert outcomes(result)["acme/alpha"] is Outcome.BLOCKED
    assert org.branch_sha("acme", "alpha", BRANCH) == human
    assert not any("/alpha/" in path for _, path in writes(org))


def test_a_pr_closed_by_a_person_stays_closed(org: GitHubServer, tmp_path: Path) -> None:
    run(tmp_path)
    number = int(only_pr(org, "acme/beta")["number"])  # type: ignore[call-overload]
    org.close_pr("acme", "beta", number, by="carol")
    org.clear_requests()

    for _ in range(2):
        result = run(tmp_path)
        assert outcomes(result)["acme/beta"] is Outcome.PR_DECLINED
    assert only_pr(org, "acme/beta")["state"] == "closed"
    assert writes(org) == []


def test_a_pr_the_bot_closed_is_known_as_its_own_and_a_new_one_opens_when_needed(
    org: GitHubServer, tmp_path: Path
) -> None:
    run(tmp_path)
    org.push_commit("acme", "alpha", "main", {"app/config.py": FIXED})

    closing = run(tmp_path)

    assert outcomes(closing)["acme/alpha"] is Outcome.COMPLIANT
    pr = only_pr(org, "acme/alpha")
    assert pr["state"] == "closed" and pr["closed_by"] == org.login
    (comment,) = org.comments("acme", "alpha", int(pr["number"]))  # type: ignore[call-overload]
    assert CLOSE_MARKER in comment["body"] and "no longer needs" in comment["body"]

    org.push_commit("acme", "alpha", "main", {"app/config.py": NEEDS_FIX})
    reopened = run(tmp_path)

    assert outcomes(reopened)["acme/alpha"] is Outcome.PR_OPENED
    assert [p["state"] for p in org.pulls("acme", "alpha")] == ["closed", "open"]


def test_rate_limits_and_server_errors_are_survived_and_each_pr_opened_once(
    org: GitHubServer, tmp_path: Path
) -> None:
    org.faults.secondary_rate_limit(2, retry_after=1, methods=["POST"])
    org.faults.too_many_requests(1, retry_after=1)
    org.faults.server_errors(3, status=502)
    org.faults.server_errors(2, status=503, path_prefix="/repos/acme/beta/pulls", methods=["POST"])
    org.faults.server_errors(1, status=500, methods=["PATCH", "POST"])

    result = run(tmp_path)

    assert outcomes(result) == FIRST_RUN
    for name in OPENED:
        pr = only_pr(org, name)
        assert pr["labels"] == ["fleetmod", "security"] and pr["requested_reviewers"] == ["alice"]
    limited = [r.status for r in org.requests if r.status in (403, 429, 500, 502, 503)]
    assert sorted(limited) == [403, 403, 429, 500, 502, 502, 502, 503, 503]
    created = [r for r in org.write_requests() if r.operation == "pulls/create" and r.status == 201]
    assert len(created) == 3


def test_an_exhausted_budget_slows_the_run_down(org: GitHubServer, tmp_path: Path) -> None:
    found = select(tmp_path)
    org.faults.exhaust_primary(reset_in_seconds=2)
    started = time.monotonic()

    result = run_campaign(
        found.policy, found.forge, found.repos, tmp_path / "state", CampaignOptions("run")
    )

    assert outcomes(result) == FIRST_RUN
    assert time.monotonic() - started >= 1.0


def test_a_limit_longer_than_the_run_waits_is_resumed_by_the_next_run(
    org: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLEETMOD_GITHUB_MAX_WAIT", "1")
    found = select(tmp_path)
    org.faults.exhaust_primary(reset_in_seconds=4)

    stopped = run_campaign(
        found.policy, found.forge, found.repos, tmp_path / "state", CampaignOptions("run")
    )

    # every repository asks GitHub for its PR; none may wait: each one's error says why
    errors = {o.repo: o.reason for o in stopped.outcomes if o.outcome is Outcome.ERROR}
    assert set(errors) == set(FIRST_RUN) and all("next run resumes" in r for r in errors.values())
    assert all(org.pulls(*name.split("/")) == [] for name in OPENED)
    time.sleep(5)
    resumed = run(tmp_path)
    assert outcomes(resumed) == FIRST_RUN
    assert all(len(org.pulls(*name.split("/"))) == 1 for name in OPENED)


def test_reviewers_come_from_codeowners_when_the_policy_names_none(
    org: GitHubServer, tmp_path: Path
) -> None:
    org.push_commit(
        "acme", "alpha", "main", {".github/CODEOWNERS": "*  @acme/reviewers\napp/ @carol\n"}
    )
    (tmp_path / "policy.yaml").write_text(
        POLICY.replace('  reviewers: [alice, "@acme/reviewers"]\n', "")
    )

    run(tmp_path, only=("acme/alpha",))

    pr = only_pr(org, "acme/alpha")
    assert (pr["requested_reviewers"], pr["requested_teams"]) == (["carol"], [])


def test_status_reads_state_mergeability_statuses_and_check_runs(
    org: GitHubServer, tmp_path: Path
) -> None:
    run(tmp_path)
    head = str(only_pr(org, "acme/alpha")["head_sha"])
    org.set_status("acme", "alpha", head, "ci/build", "success")
    org.add_check_run("acme", "alpha", head, "tests", "failure")
    org.add_check_run("acme", "alpha", head, "lint", None)

    shown = CliRunner().invoke(
        app,
        ["status", str(tmp_path / "policy.yaml"), "--state-dir", str(tmp_path / "state"), "--json"],
    )

    assert shown.exit_code == 0, shown.output
    rows = {row["repo"]: row for row in json.loads(shown.stdout)}
    assert set(rows) == set(OPENED)
    alpha = rows["acme/alpha"]
    assert (alpha["state"], alpha["mergeable"]) == ("open", True)
    assert alpha["checks"] == {"ci/build": "success", "tests": "failure", "lint": "in_progress"}


def test_a_canary_token_never_appears_in_output_files_git_config_or_checks(
    github_server: GitHubServer, tmp_path: Path
) -> None:
    server = github_server
    build_org(server)
    canary = "canary-" + secrets.token_hex(16)  # not token-shaped: only registration hides it
    server.add_token(canary)
    envs = tmp_path / "check-envs"
    envs.mkdir()
    check = f"env > {envs}/$$.env; git config --list --show-origin; python -m compileall -q ."
    (tmp_path / "policy.yaml").write_text(
        POLICY + f"checks:\n  - name: dump\n    run: {json.dumps(check)}\n    on_failure: open\n"
    )
    shim = tmp_path / "bin"
    shim.mkdir()
    argv_log = tmp_path / "git-argv.log"
    (shim / "git").write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$*" >> {argv_log}\nexec {shutil.which("git")} "$@"\n'
    )
    (shim / "git").chmod(0o755)
    env = {
        **{k: v for k, v in os.environ.items() if "TOKEN" not in k},
        **github_env(server, canary),
        "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path / "home"),
        "GIT_TRACE": str(tmp_path / "git-trace.log"),
        "GIT_TRACE_CURL": str(tmp_path / "git-curl.log"),
        "FLEETMOD_STATE_DIR": str(tmp_path / "state"),
    }
    policy = str(tmp_path / "policy.yaml")
    commands = [
        ["run", policy],
        ["run", policy, "--json"],
        ["status", policy],
        ["report", policy, "--format", "json", "-o", str(tmp_path / "report.json")],
        ["report", policy, "--format", "html", "-o", str(tmp_path / "report.html")],
        ["report", policy],
    ]
    outputs = []
    for command in commands:
        done = subprocess.run(
            [str(Path(sys.executable).with_name("fleetmod")), *command],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode in (0, 1), done.stderr
        outputs.append(done.stdout + done.stderr)

    assert all(len(server.pulls(*name.split("/"))) == 1 for name in OPENED)  # it did work
    assert "pr-opened" in outputs[0] or "opened" in outputs[0]
    assert list(envs.iterdir()), "the check ran"
    leaks = [
        f"output of fleetmod {c[0]}" for c, o in zip(commands, outputs, strict=True) if canary in o
    ]
    server_side = tmp_path / "github"  # the server's own files are not the program's output
    for path in tmp_path.rglob("*"):
        if (
            path.is_file()
            and server_side not in path.parents
            and canary.encode() in path.read_bytes()
        ):
            leaks.append(str(path.relative_to(tmp_path)))
    assert leaks == []
    assert (tmp_path / "git-curl.log").stat().st_size > 0  # git did authenticate, and hid it


def test_an_unreadable_or_invalid_opt_out_file_skips_only_that_repository(
    org: GitHubServer, tmp_path: Path
) -> None:
    org.push_commit("acme", "gamma", "trunk", {".github/fleetmod.yml": "opt_out: maybe\n"})
    org.faults.server_errors(20, status=500, path_prefix="/repos/acme/beta/contents")

    found = select(tmp_path)

    assert set(found.skipped) == {"acme/optout", "acme/beta", "acme/gamma"}
    assert "could not be read" in found.skipped["acme/beta"]
    assert "GitHub answered 500" in found.skipped["acme/beta"]
    assert "must be true, false or a list" in found.skipped["acme/gamma"]
    result = run_campaign(
        found.policy, found.forge, found.repos, tmp_path / "state", CampaignOptions("run")
    )
    assert outcomes(result)["acme/alpha"] is Outcome.PR_OPENED
    org.faults.clear()
    assert outcomes(run(tmp_path))["acme/beta"] is Outcome.PR_OPENED


def test_a_declined_push_fails_that_repository_and_the_next_run_finishes_it(
    org: GitHubServer, tmp_path: Path
) -> None:
    org.faults.reject_push("acme", "alpha")

    first = run(tmp_path)

    alpha = next(o for o in first.outcomes if o.repo == "acme/alpha")
    assert alpha.outcome is Outcome.ERROR and alpha.reason.startswith("push acme/alpha")
    assert outcomes(first)["acme/beta"] is Outcome.PR_OPENED
    assert org.pulls("acme", "alpha") == []
    assert outcomes(run(tmp_path))["acme/alpha"] is Outcome.PR_OPENED
    assert len(org.pulls("acme", "alpha")) == 1
