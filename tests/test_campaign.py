"""End to end: a policy run over real git repositories on the local forge.

Each test builds bare "origin" repositories, runs the campaign through the real code path
(policy file, sources, workspace clones, engine, checks, forge, ledger) and asserts on
what a person would look at: the refs in the origins and the forge's PR records.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from bot.campaign import CampaignOptions, CampaignResult, run_campaign
from bot.forges.local import LocalForge, local_repo
from bot.outcomes import Outcome
from bot.policy import load_policy
from bot.pr_body import marker_of
from bot.sources import local_repos, select
from tests.helpers import git, make_repo

NEEDS_FIX = (
    "import yaml\n\n\ndef read(path):\n    with open(path) as f:\n        return yaml.load(f)\n"
)
FIXED = NEEDS_FIX.replace("yaml.load(f)", "yaml.safe_load(f)")
CLEAN = "def add(a, b):\n    return a + b\n"


def bare(tmp: Path, name: str, files: dict[str, str], branch: str = "main") -> Path:
    work = make_repo(tmp / "work" / name, files, branch)
    origin = tmp / "fleet" / f"{name}.git"
    git(tmp, "clone", "-q", "--bare", str(work), str(origin))
    return origin


def push_commit(tmp: Path, origin: Path, branch: str, files: dict[str, str], email: str) -> str:
    """A commit by someone else, pushed to ``branch`` of ``origin``."""
    clone = tmp / "clones" / f"{origin.name}-{branch}-{len(list(tmp.glob('clones/*')))}"
    git(tmp, "clone", "-q", "-b", branch, str(origin), str(clone))
    for rel, text in files.items():
        (clone / rel).write_text(text)
    git(clone, "add", "-A")
    git(clone, "-c", f"user.email={email}", "-c", "user.name=Person", "commit", "-qm", "edit")
    git(clone, "push", "-q", "origin", branch)
    return git(clone, "rev-parse", "HEAD")


COMPILES = "checks:\n  - name: compiles\n    run: python -m compileall -q .\n    timeout: 60\n"


def write_policy(tmp: Path, extra: str = "", checks: str = COMPILES) -> Path:
    path = tmp / "policy.yaml"
    head = textwrap.dedent(
        """\
        id: safe-yaml
        title: Load YAML safely
        version: "2"
        scope:
          repositories:
            local:
              directory: fleet
        codemods:
          - codemod: yaml-safe-load
        """
    )
    path.write_text(head + checks + textwrap.dedent(extra))
    return path


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    bare(tmp_path, "alpha", {"app/config.py": NEEDS_FIX, "app/util.py": CLEAN})
    bare(tmp_path, "beta", {"beta.py": CLEAN})
    bare(tmp_path, "gamma", {"src/load.py": NEEDS_FIX}, branch="trunk")
    return tmp_path


def run(
    tmp: Path, command: str = "run", only: tuple[str, ...] | list[str] = (), **kwargs: object
) -> CampaignResult:
    policy = load_policy(tmp / "policy.yaml")
    repos = select(policy, local_repos(policy, tmp), only)
    options = CampaignOptions(command, only=only, **kwargs)  # type: ignore[arg-type]
    return run_campaign(policy, LocalForge(tmp / "state"), repos, tmp / "state", options)


def outcomes(result: CampaignResult) -> dict[str, Outcome]:
    return {o.repo: o.outcome for o in result.outcomes}


def refs(origin: Path) -> str:
    return git(origin, "for-each-ref", "--format=%(refname) %(objectname)")


def prs(tmp: Path) -> dict[str, list[tuple[int, str, str]]]:
    found: dict[str, list[tuple[int, str, str]]] = {}
    for name, pr in LocalForge(tmp / "state").list_prs():
        found.setdefault(name, []).append((pr.number, pr.state.value, pr.updated_at))
    return found


def test_first_run_opens_one_pr_per_repository_that_needs_it(fleet: Path) -> None:
    write_policy(fleet)
    result = run(fleet)
    assert outcomes(result) == {
        "alpha": Outcome.PR_OPENED,
        "beta": Outcome.COMPLIANT,
        "gamma": Outcome.PR_OPENED,
    }
    forge = LocalForge(fleet / "state")
    alpha = local_repo(fleet / "fleet" / "alpha.git")
    pr = forge.find_pr(alpha, "fleetmod/safe-yaml")
    assert pr is not None and pr.base_branch == "main" and pr.labels == ("fleetmod",)
    assert marker_of(pr.body) is not None and "app/config.py" in pr.body
    fixed = git(fleet / "fleet" / "alpha.git", "show", "fleetmod/safe-yaml:app/config.py")
    assert fixed + "\n" == FIXED
    gamma = forge.find_pr(local_repo(fleet / "fleet" / "gamma.git"), "fleetmod/safe-yaml")
    assert gamma is not None and gamma.base_branch == "trunk"
    message = git(fleet / "fleet" / "alpha.git", "log", "-1", "--format=%B", "fleetmod/safe-yaml")
    assert "Fleetmod-Policy: safe-yaml@2" in message


def test_rerun_with_nothing_new_changes_nothing(fleet: Path) -> None:
    write_policy(fleet)
    run(fleet)
    before = {p.name: refs(p) for p in (fleet / "fleet").iterdir()}
    records = prs(fleet)
    comments = len(LocalForge(fleet / "state").comments(local_repo(fleet / "fleet/alpha.git"), 1))
    second = run(fleet)
    assert outcomes(second) == {
        "alpha": Outcome.PR_UNCHANGED,
        "beta": Outcome.COMPLIANT,
        "gamma": Outcome.PR_UNCHANGED,
    }
    assert {p.name: refs(p) for p in (fleet / "fleet").iterdir()} == before
    assert prs(fleet) == records
    after = len(LocalForge(fleet / "state").comments(local_repo(fleet / "fleet/alpha.git"), 1))
    assert after == comments


def test_moved_default_branch_regenerates_the_branch_and_updates_the_pr(fleet: Path) -> None:
    write_policy(fleet)
    run(fleet)
    origin = fleet / "fleet" / "alpha.git"
    new_main = push_commit(fleet, origin, "main", {"app/util.py": CLEAN + "\n# more\n"}, "a@b.c")
    result = run(fleet)
    assert outcomes(result)["alpha"] is Outcome.PR_UPDATED
    assert git(origin, "rev-parse", "fleetmod/safe-yaml^") == new_main
    assert [n for n, _, _ in prs(fleet)["alpha"]] == [1]


def test_a_human_commit_on_the_bot_branch_is_preserved(fleet: Path) -> None:
    write_policy(fleet)
    run(fleet)
    origin = fleet / "fleet" / "alpha.git"
    human = push_commit(
        fleet, origin, "fleetmod/safe-yaml", {"app/util.py": CLEAN + "# review fix\n"}, "h@x.y"
    )
    result = run(fleet)
    alpha = next(o for o in result.outcomes if o.repo == "alpha")
    assert alpha.outcome is Outcome.BLOCKED and "h@x.y" in alpha.reason
    assert git(origin, "rev-parse", "fleetmod/safe-yaml") == human


def test_a_pr_closed_by_a_person_stays_closed(fleet: Path) -> None:
    write_policy(fleet)
    run(fleet)
    forge = LocalForge(fleet / "state")
    alpha = local_repo(fleet / "fleet" / "alpha.git")
    forge.close_pr(alpha, 1, "not now", closed_by="human")
    result = run(fleet)
    assert outcomes(result)["alpha"] is Outcome.PR_DECLINED
    assert [(n, s) for n, s, _ in prs(fleet)["alpha"]] == [(1, "closed")]


def test_a_repository_that_no_longer_needs_the_change_gets_its_pr_closed(fleet: Path) -> None:
    write_policy(fleet)
    run(fleet)
    push_commit(fleet, fleet / "fleet" / "alpha.git", "main", {"app/config.py": FIXED}, "a@b.c")
    result = run(fleet)
    assert outcomes(result)["alpha"] is Outcome.COMPLIANT
    forge = LocalForge(fleet / "state")
    alpha = local_repo(fleet / "fleet" / "alpha.git")
    pr = forge.get_pr(alpha, 1)
    assert pr.state.value == "closed" and pr.closed_by == "fleetmod"
    assert "no longer needs" in forge.comments(alpha, 1)[-1].body


@pytest.mark.parametrize(
    ("on_failure", "expected", "draft"),
    [
        ("skip", Outcome.CHECKS_FAILED, None),
        ("draft", Outcome.PR_OPENED, True),
        ("open", Outcome.PR_OPENED, False),
    ],
)
def test_a_failing_check_follows_on_failure(
    fleet: Path, on_failure: str, expected: Outcome, draft: bool | None
) -> None:
    # Fails only once the change is made, as a test pinned to the old call would.
    failing = "echo 3 failed; ! grep -rq safe_load ."
    check = f"checks:\n  - name: tests\n    run: '{failing}'\n"
    write_policy(fleet, checks=check + f"    on_failure: {on_failure}\n")
    result = run(fleet, only=["alpha"])
    assert outcomes(result)["alpha"] is expected
    pr = LocalForge(fleet / "state").find_pr(
        local_repo(fleet / "fleet" / "alpha.git"), "fleetmod/safe-yaml"
    )
    if draft is None:
        assert pr is None
    else:
        assert pr is not None and pr.draft is draft and "3 failed" in pr.body


def test_a_check_that_failed_before_the_change_does_not_hold_it_back(fleet: Path) -> None:
    check = "checks:\n  - name: lint\n    run: 'echo old debt; exit 1'\n    on_failure: skip\n"
    write_policy(fleet, checks=check)
    result = run(fleet, only=["alpha"])
    alpha = result.outcomes[0]
    assert alpha.outcome is Outcome.PR_OPENED
    assert alpha.checks[0]["failed_before"] is True
    pr = LocalForge(fleet / "state").get_pr(local_repo(fleet / "fleet" / "alpha.git"), 1)
    assert "as it did before this change" in pr.body


def test_waivers_apply_until_they_expire(fleet: Path) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    waiver = """\
    waivers:
      - repository: alpha
        reason: vendored parser, replaced next quarter
        owner: team-a
        expires: {date}
    """
    write_policy(fleet, waiver.format(date=tomorrow))
    assert outcomes(run(fleet, command="audit"))["alpha"] is Outcome.WAIVED
    write_policy(fleet, waiver.format(date=yesterday))
    assert outcomes(run(fleet, command="audit"))["alpha"] is Outcome.NEEDS_CHANGE


def test_audit_and_dry_run_write_nothing(fleet: Path) -> None:
    write_policy(fleet)
    before = {p.name: refs(p) for p in (fleet / "fleet").iterdir()}
    for result in (run(fleet, command="audit"), run(fleet, dry_run=True)):
        assert outcomes(result)["alpha"] is Outcome.NEEDS_CHANGE
    assert {p.name: refs(p) for p in (fleet / "fleet").iterdir()} == before
    assert prs(fleet) == {}


def test_one_broken_repository_does_not_stop_the_others(fleet: Path) -> None:
    write_policy(fleet)
    broken = fleet / "fleet" / "broken.git"
    git(fleet, "init", "-q", "--bare", "-b", "main", str(broken))  # no commits at all
    result = run(fleet)
    found = {o.repo: o for o in result.outcomes}
    assert found["broken"].outcome is Outcome.ERROR and found["broken"].reason
    assert found["alpha"].outcome is Outcome.PR_OPENED


def test_limits_hold_back_prs_beyond_the_budget(fleet: Path) -> None:
    write_policy(fleet, "limits:\n  prs_per_run: 1\n  concurrency: 1\n")
    result = run(fleet)
    found = sorted(o.outcome.value for o in result.outcomes)
    assert found == ["compliant", "limit-reached", "pr-opened"]


def test_an_interrupted_run_resumes_without_redoing_finished_repositories(fleet: Path) -> None:
    write_policy(fleet)
    from bot.ledger import Ledger

    first = run(fleet)
    ledger = Ledger.of(fleet / "state")
    # Simulate a crash: the next run starts, records one repository, and never finishes.
    policy = load_policy(fleet / "policy.yaml")
    scope_key = ",".join(sorted(r.full_name for r in local_repos(policy, fleet)))
    run_id, resumed = ledger.start("safe-yaml", "2", "run", scope_key)
    assert not resumed
    ledger.record(run_id, next(o for o in first.outcomes if o.repo == "alpha"))
    result = run(fleet)
    assert result.resumed and result.run_id == run_id
    assert outcomes(result)["alpha"] is Outcome.PR_OPENED  # the recorded one, not redone
    assert outcomes(result)["gamma"] is Outcome.PR_UNCHANGED
    assert [n for n, _, _ in prs(fleet)["alpha"]] == [1]


def test_a_check_that_prints_one_huge_line_still_fits_a_pr_body(fleet: Path) -> None:
    check = 'python -c "print(200000 * chr(120))"; ! grep -rq safe_load .'
    write_policy(fleet, checks=f"checks:\n  - name: noisy\n    run: '{check}'\n")
    result = run(fleet, only=["alpha"])
    assert outcomes(result)["alpha"] is Outcome.PR_OPENED
    pr = LocalForge(fleet / "state").get_pr(local_repo(fleet / "fleet" / "alpha.git"), 1)
    assert "xxxx" in pr.body and len(pr.body) < 20_000


def test_a_repository_declaring_a_newer_python_gets_the_newer_syntax(tmp_path: Path) -> None:
    optional = "from typing import Optional\n\n\ndef f(x: Optional[int]) -> None:\n    pass\n"
    modern = {"pyproject.toml": '[project]\nrequires-python = ">=3.10"\n', "m.py": optional}
    bare(tmp_path, "modern", modern)
    bare(tmp_path, "legacy", {"m.py": optional})
    write_policy(tmp_path, "  - codemod: pep604-unions\ntarget_python: '3.9'\n", checks="")

    result = run(tmp_path)

    assert outcomes(result) == {"modern": Outcome.PR_OPENED, "legacy": Outcome.COMPLIANT}
    rewritten = git(tmp_path / "fleet" / "modern.git", "show", "fleetmod/safe-yaml:m.py")
    assert "def f(x: int | None) -> None:" in rewritten


def test_a_file_that_cannot_be_read_is_never_counted_compliant(tmp_path: Path) -> None:
    broken = "import yaml\n\ndef read(f)\n    return yaml.load(f)\n"
    bare(tmp_path, "only-broken", {"load.py": broken, "ok.py": CLEAN})
    bare(tmp_path, "mixed", {"load.py": broken, "fix.py": NEEDS_FIX})
    write_policy(tmp_path, checks="")

    result = {o.repo: o for o in run(tmp_path).outcomes}

    only = result["only-broken"]
    assert only.outcome is Outcome.NEEDS_CHANGE
    assert only.reason.startswith("1 not checked (load.py:") and "nothing to change" in only.reason
    assert result["mixed"].outcome is Outcome.PR_OPENED
    pr = LocalForge(tmp_path / "state").find_pr(
        local_repo(tmp_path / "fleet" / "mixed.git"), "fleetmod/safe-yaml"
    )
    assert pr is not None
    not_checked = pr.body.split("### Not checked", 1)[1].split("###", 1)[0]
    assert "load.py:" in not_checked and "fix.py" not in not_checked
