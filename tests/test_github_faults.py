"""The GitHub side of the fault matrix: whole campaigns on the GitHub API test server while
GitHub misbehaves (a token revoked mid-run, a repository deleted mid-run, answers slower
than the client's timeout, connections reset, rate limits and 5xx bursts).

Each test asserts every repository's outcome, what GitHub ends up holding (one whole pull
request per repository that needs one, no duplicate, no branch left half-made) and that a
rerun once the fault is gone finishes the job. The organisation, the policy and the small
backoff settings are those of `tests/test_github_campaign.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
import requests
from github.Requester import RequestsResponse

from bot import ratelimit
from bot.campaign import NOT_RUN, CampaignOptions, CampaignResult, run_campaign
from bot.cli.campaign_cmd import show
from bot.forges.base import CredentialsRefused, ForgeError
from bot.forges.github import CLOSE_MARKER
from bot.ledger import Ledger
from bot.outcomes import Outcome
from bot.sources import Fleet
from tests.github_server import GitHubServer, RequestRecord
from tests.helpers import git
from tests.test_github_campaign import (
    BRANCH,
    FIRST_RUN,
    FIXED,
    NEEDS_FIX,
    OPENED,
    only_pr,
    org,  # noqa: F401  (the fixture: the organisation of tests/test_github_campaign.py)
    outcomes,
    run,
    select,
    writes,
)

FIXED_FILE = {"acme/alpha": "app/config.py", "acme/beta": "src/load.py", "acme/gamma": "load.py"}
STOP_LINE_END = "stopping the run, the next run resumes"
WORKERS = 4  # the policy's default concurrency
Action = Callable[[], None]


def campaign(
    tmp: Path,
    on_step: Callable[[str, str], None] | None = None,
    concurrency: int | None = None,
    found: Fleet | None = None,
) -> CampaignResult:
    """One run, with a hook on each step; ``found``: the repositories selected already."""
    found = found or select(tmp)
    options = CampaignOptions("run", concurrency=concurrency)
    hook = on_step or (lambda _repo, _step: None)
    return run_campaign(found.policy, found.forge, found.repos, tmp / "state", options, hook)


def when(repo: str, step: str, action: Action) -> Callable[[str, str], None]:
    """An on_step hook that runs ``action`` once, as ``repo`` is about to do ``step``."""
    done: list[bool] = []

    def hook(name: str, current: str) -> None:
        if (name, current) == (repo, step) and not done:
            done.append(True)
            action()

    return hook


def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """For a slow request the client gave up on: the server carries it out a little later."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def touched(records: Iterable[RequestRecord]) -> set[str]:
    """The repositories that ``records`` (REST or git requests) went to."""
    names = set()
    for record in records:
        parts = record.path.split("/")
        if record.kind == "git":
            names.add(f"{parts[1]}/{parts[2].removesuffix('.git')}")
        elif parts[3:4] == ["repos"]:
            names.add(f"{parts[4]}/{parts[5]}")
    return names


def reasons(result: CampaignResult) -> dict[str, str]:
    return {o.repo: o.reason for o in result.outcomes}


def assert_whole_pr(server: GitHubServer, name: str) -> None:
    """One open pull request with its labels and reviewers, from a branch that is one bot
    commit on the current default branch and carries the fix."""
    pr = only_pr(server, name)
    owner, repo = name.split("/")
    assert (pr["state"], pr["head"], pr["base"]) == ("open", BRANCH, OPENED[name])
    assert pr["labels"] == ["fleetmod", "security"]
    assert (pr["requested_reviewers"], pr["requested_teams"]) == (["alice"], ["reviewers"])
    assert server.branch_sha(owner, repo, BRANCH) == pr["head_sha"]
    assert_branch_whole(server, name)


def assert_branch_whole(server: GitHubServer, name: str) -> None:
    """The bot's branch, where it exists, is one commit carrying the fix on the default
    branch: never a commit without its change, nor one on an old base."""
    owner, repo = name.split("/")
    path = server.repo(owner, repo).path
    if server.branch_sha(owner, repo, BRANCH) is None:
        return
    assert git(path, "rev-parse", f"{BRANCH}^") == server.branch_sha(owner, repo, OPENED[name])
    assert git(path, "show", f"{BRANCH}:{FIXED_FILE[name]}") + "\n" == FIXED


def assert_finished(server: GitHubServer, result: CampaignResult) -> None:
    assert outcomes(result) == FIRST_RUN and result.stopped == ""
    for name in OPENED:
        assert_whole_pr(server, name)


# -- 401: the token is revoked mid-run ---------------------------------------------------------


@pytest.mark.parametrize("step", ["ls-remote", "find PR", "push", "open PR"])
def test_a_token_revoked_mid_run_stops_the_run_and_the_next_run_resumes_it(
    org: GitHubServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    """One repository at a time: alpha finishes, the token dies as beta reaches ``step``
    (git refuses it first at ls-remote and push, the API at find PR and open PR)."""
    found = select(tmp_path)  # the opt-out files are read before the run; not counted below
    org.clear_requests()
    revoke = when("acme/beta", step, lambda: org.faults.revoke_token(after_requests=0))

    first = campaign(tmp_path, revoke, concurrency=1, found=found)

    assert "acme/beta" in first.stopped and first.stopped.endswith(STOP_LINE_END)
    assert "GitHub answered 401: Bad credentials" in first.stopped
    assert outcomes(first) == {
        "acme/alpha": Outcome.PR_OPENED,
        **{name: Outcome.ERROR for name in FIRST_RUN if name != "acme/alpha"},
    }
    assert reasons(first)["acme/beta"] == first.stopped
    assert all(reasons(first)[f"acme/{n}"] == NOT_RUN for n in ("delta", "epsilon", "gamma"))
    # no request at all for the repositories after beta, and one or two refused for beta
    assert touched(org.requests) == {"acme/alpha", "acme/beta"}
    refused = [r for r in org.requests if r.status == 401]
    assert 1 <= len(refused) <= 2 and all("beta" in r.path for r in refused)
    # nothing about beta or the others was recorded; the run stays open to be resumed
    ledger = Ledger.of(tmp_path / "state")
    assert set(ledger.done(first.run_id)) == {"acme/alpha"}
    assert ledger.runs("safe-yaml")[-1].finished_at is None
    assert org.pulls("acme", "beta") == []
    assert_branch_whole(org, "acme/beta")  # pushed whole before create was refused, or absent
    assert_whole_pr(org, "acme/alpha")

    fresh = "ghp_" + "5" * 36
    org.add_token(fresh)
    monkeypatch.setenv("FLEETMOD_GITHUB_TOKEN", fresh)
    org.clear_requests()
    second = run(tmp_path)

    assert second.resumed and second.run_id == first.run_id
    assert_finished(org, second)
    assert not any("/alpha/" in path for _, path in writes(org))  # done, not redone
    assert ledger.runs("safe-yaml")[-1].finished_at is not None


def test_a_token_revoked_while_opt_out_files_are_read_stops_before_the_run(
    org: GitHubServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    org.faults.revoke_token(after_requests=2)  # the listing passes, the opt-out reads do not

    with pytest.raises(CredentialsRefused, match="401"):
        select(tmp_path)

    assert [r for r in org.requests if r.status == 401] != []
    assert org.write_requests() == [] and not (tmp_path / "state" / "ledger.sqlite3").exists()


def test_a_token_revoked_after_some_requests_leaves_most_of_a_large_fleet_untouched(
    org: GitHubServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The token dies four requests into a run over thirteen repositories, four at a time:
    at most one repository per worker hears the 401, the rest are not tried at all."""
    more = {f"acme/more{i:02}": f"m{i}.py" for i in range(8)}
    for name, path in more.items():
        org.create_repo("acme", name.split("/")[1], {path: NEEDS_FIX})
    expected = {**FIRST_RUN, **dict.fromkeys(more, Outcome.PR_OPENED)}
    found = select(tmp_path)
    assert {r.full_name for r in found.repos} == set(expected)
    org.clear_requests()
    org.faults.revoke_token(after_requests=4)

    first = campaign(tmp_path, found=found)

    assert first.stopped.endswith(STOP_LINE_END)
    show(first, "safe-yaml: run", as_json=False)
    said = [line for line in capsys.readouterr().err.splitlines() if "stopping" in line]
    assert said == [f"stopped early: {first.stopped}"]
    finished = {o.repo: o.outcome for o in first.outcomes if o.outcome is not Outcome.ERROR}
    stopped = {o.repo for o in first.outcomes if o.reason.endswith(STOP_LINE_END)}
    not_run = {o.repo for o in first.outcomes if o.reason == NOT_RUN}
    assert finished == {name: expected[name] for name in finished}  # nothing recorded wrongly
    assert set(finished) | stopped | not_run == set(expected)
    assert 1 <= len(stopped) <= WORKERS and len(not_run) >= len(expected) - 4 - WORKERS
    refused = [r for r in org.requests if r.status == 401]
    assert len(touched(refused)) <= WORKERS
    assert len(refused) <= 2 * WORKERS
    ledger = Ledger.of(tmp_path / "state")
    assert set(ledger.done(first.run_id)) == set(finished)
    for name in expected:
        owner, repo = name.split("/")
        if finished.get(name) is Outcome.PR_OPENED:
            assert len(org.pulls(owner, repo)) == 1
        else:
            assert org.pulls(owner, repo) == []

    fresh = "ghp_" + "6" * 36
    org.add_token(fresh)
    monkeypatch.setenv("FLEETMOD_GITHUB_TOKEN", fresh)
    org.clear_requests()
    second = run(tmp_path)

    assert second.resumed and second.stopped == "" and outcomes(second) == expected
    for name in expected:
        owner, repo = name.split("/")
        if expected[name] is Outcome.PR_OPENED:
            (pr,) = org.pulls(owner, repo)
            assert pr["state"] == "open" and pr["labels"] == ["fleetmod", "security"]
    redone = {path.split("/")[3] for _, path in writes(org)}
    assert not redone & {name.split("/")[1] for name in finished}


# -- 404: a repository is deleted (or renamed) mid-run -----------------------------------------


@pytest.mark.parametrize("step", ["ls-remote", "find PR", "push", "open PR"])
def test_a_repository_deleted_mid_run_is_an_error_and_the_others_go_on(
    org: GitHubServer,  # noqa: F811
    tmp_path: Path,
    step: str,
) -> None:
    """beta disappears as it reaches ``step``; after a rename, the next run's scope holds it
    under its new name and opens its pull request there."""
    delete = when("acme/beta", step, lambda: org.faults.delete_repo("acme", "beta", 0))

    first = campaign(tmp_path, delete)

    assert outcomes(first) == {**FIRST_RUN, "acme/beta": Outcome.ERROR}
    reason = reasons(first)["acme/beta"]
    assert "acme/beta" in reason and "\n" not in reason and first.stopped == ""
    assert "not found" in reason.lower() or "404" in reason
    for name in ("acme/alpha", "acme/gamma"):
        assert_whole_pr(org, name)
    with pytest.raises(KeyError):
        org.repo("acme", "beta")

    org.create_repo("acme", "beta-renamed", {"src/load.py": NEEDS_FIX})
    org.clear_requests()
    second = run(tmp_path)

    assert outcomes(second) == {
        **{name: outcome for name, outcome in FIRST_RUN.items() if name != "acme/beta"},
        **dict.fromkeys(["acme/alpha", "acme/gamma"], Outcome.PR_UNCHANGED),
        "acme/beta-renamed": Outcome.PR_OPENED,
    }
    (pr,) = org.pulls("acme", "beta-renamed")
    assert pr["labels"] == ["fleetmod", "security"] and pr["head"] == BRANCH
    assert touched(r for r in org.requests if r.is_write) == {"acme/beta-renamed"}


# -- answers slower than the client's timeout, and connections reset ---------------------------


def creates(server: GitHubServer, name: str) -> list[int]:
    """The statuses of the pull-request creations for ``name`` the server carried out."""
    path = f"/api/v3/repos/{name}/pulls"
    return sorted(r.status for r in server.requests if r.method == "POST" and r.path == path)


def test_reads_slower_than_the_timeout_are_given_up_and_sent_again(
    org: GitHubServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLEETMOD_GITHUB_TIMEOUT", "1")
    found = select(tmp_path)
    org.clear_requests()
    org.faults.slow(1.5, 2, "/repos/acme/beta/pulls", methods=["GET"])

    result = campaign(tmp_path, found=found)

    assert_finished(org, result)
    lookup = ("GET", "/api/v3/repos/acme/beta/pulls")
    assert eventually(lambda: [(r.method, r.path) for r in org.requests].count(lookup) == 3)


def test_a_pr_create_slower_than_the_timeout_opens_one_pr(
    org: GitHubServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client gives up on the create after 1 s and sends it again; GitHub carries out
    both: one opens the pull request, the other is refused as a duplicate (422)."""
    monkeypatch.setenv("FLEETMOD_GITHUB_TIMEOUT", "1")
    org.faults.slow(2, 1, "/repos/acme/beta/pulls", methods=["POST"])

    result = run(tmp_path)

    assert_finished(org, result)
    assert eventually(lambda: creates(org, "acme/beta") == [201, 422])
    org.clear_requests()
    assert outcomes(run(tmp_path))["acme/beta"] is Outcome.PR_UNCHANGED
    assert writes(org) == []


def test_connection_resets_are_survived_and_each_pr_opened_once(
    org: GitHubServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    found = select(tmp_path)
    org.clear_requests()
    org.faults.reset_connections(3, methods=["GET"])
    # alpha's create never reaches GitHub; beta's is carried out and only the answer is lost
    org.faults.reset_connections(1, "/repos/acme/alpha/pulls", methods=["POST"])
    org.faults.reset_connections(1, "/repos/acme/beta/pulls", methods=["POST"], handled=True)
    org.faults.reset_connections(1, "/repos/acme/gamma/issues", methods=["POST"], handled=True)

    result = campaign(tmp_path, found=found)

    assert_finished(org, result)
    assert len([r for r in org.requests if r.dropped]) == 6
    assert creates(org, "acme/alpha") == [0, 201]  # 0: reset before it was carried out
    assert creates(org, "acme/beta") == [201, 422]  # the lost 201, then the duplicate
    assert creates(org, "acme/gamma") == [201]
    org.clear_requests()
    assert outcomes(run(tmp_path)) == {**FIRST_RUN, **dict.fromkeys(OPENED, Outcome.PR_UNCHANGED)}
    assert writes(org) == []


@pytest.mark.parametrize(
    ("fault", "landed"),
    [("slow", True), ("reset after it was carried out", True), ("reset before", False)],
)
def test_a_close_comment_whose_answer_was_lost_is_not_left_twice(
    org: GitHubServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    landed: bool,
) -> None:
    """A comment is the one write GitHub would carry out twice: its lost answer is not sent
    again; the repository is an error, and the next run closes the pull request, commenting
    only if the first comment never arrived."""
    run(tmp_path)
    org.push_commit("acme", "alpha", "main", {"app/config.py": FIXED})
    monkeypatch.setenv("FLEETMOD_GITHUB_TIMEOUT", "1")
    comments = "/repos/acme/alpha/issues/1/comments"
    if fault == "slow":
        org.faults.slow(2, 1, comments, methods=["POST"])
    else:
        org.faults.reset_connections(1, comments, methods=["POST"], handled=landed)

    lost = run(tmp_path)

    assert outcomes(lost) == {
        **FIRST_RUN,
        "acme/alpha": Outcome.ERROR,
        "acme/beta": Outcome.PR_UNCHANGED,
        "acme/gamma": Outcome.PR_UNCHANGED,
    }
    reason = reasons(lost)["acme/alpha"]
    assert (
        reason.startswith("acme/alpha: close pull request #1: POST ") and "not sent again" in reason
    )
    assert only_pr(org, "acme/alpha")["state"] == "open"
    assert eventually(lambda: len(org.comments("acme", "alpha", 1)) == int(landed))

    closing = run(tmp_path)

    assert outcomes(closing)["acme/alpha"] is Outcome.COMPLIANT
    pr = only_pr(org, "acme/alpha")
    assert pr["state"] == "closed" and pr["closed_by"] == org.login
    (comment,) = org.comments("acme", "alpha", 1)
    assert CLOSE_MARKER in comment["body"]


# -- rate limits and 5xx beyond what tests/test_github_campaign.py covers ------------------------


def test_a_secondary_limit_without_retry_after_is_backed_off_and_each_pr_opened_once(
    org: GitHubServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    """No hint how long to wait: at least FLEETMOD_GITHUB_MIN_BACKOFF (0.5 s here), doubling."""
    found = select(tmp_path)
    org.clear_requests()
    org.faults.secondary_rate_limit(2, retry_after=None, methods=["POST"])
    started = time.monotonic()

    result = campaign(tmp_path, found=found)

    assert time.monotonic() - started >= 0.5
    assert_finished(org, result)
    assert [r.status for r in org.requests if r.status >= 400] == [403, 403]
    assert all(creates(org, name).count(201) == 1 for name in OPENED)


def test_an_exhausted_primary_limit_mid_run_holds_every_worker_until_the_reset(
    org: GitHubServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The budget runs out as beta opens its pull request: the first 403 tells every worker
    to wait for the reset, so only requests already on their way are refused."""
    found = select(tmp_path)
    org.clear_requests()
    exhaust = when("acme/beta", "open PR", lambda: org.faults.exhaust_primary(2))

    result = campaign(tmp_path, exhaust, found=found)

    assert_finished(org, result)
    refused = [r for r in org.requests if r.status == 403]
    assert 1 <= len(refused) <= WORKERS
    assert all(creates(org, name).count(201) == 1 for name in OPENED)


def test_a_5xx_burst_longer_than_the_retries_fails_that_repository_and_the_rerun_finishes_it(
    org: GitHubServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    org.faults.server_errors(6, status=502, path_prefix="/repos/acme/beta/pulls", methods=["POST"])

    first = run(tmp_path)

    assert outcomes(first) == {**FIRST_RUN, "acme/beta": Outcome.ERROR}
    assert (
        reasons(first)["acme/beta"]
        == "acme/beta: open a pull request: GitHub answered 502: Server Error"
    )
    assert org.pulls("acme", "beta") == [] and creates(org, "acme/beta") == [502] * 6
    assert_branch_whole(org, "acme/beta")
    org.clear_requests()

    second = run(tmp_path)

    unchanged = dict.fromkeys(["acme/alpha", "acme/gamma"], Outcome.PR_UNCHANGED)
    assert outcomes(second) == {**FIRST_RUN, **unchanged}
    assert_whole_pr(org, "acme/beta")
    assert touched(r for r in org.requests if r.is_write) == {"acme/beta"}


# -- the pieces: the reset fault itself, and the timeout setting ---------------------------------


def test_a_reset_connection_gets_no_answer_and_the_next_request_does(
    github_server: GitHubServer,
) -> None:
    github_server.add_org("acme")
    github_server.create_repo("acme", "app", {"a.py": "x = 1\n"})
    url = f"{github_server.base_url}/repos/acme/app"
    headers = {"Authorization": f"token {github_server.token}"}
    github_server.faults.reset_connections(1)

    with requests.Session() as session:
        with pytest.raises(requests.ConnectionError) as caught:
            session.get(url, headers=headers, timeout=5)
        assert isinstance(caught.value.args[0].args[1], ConnectionResetError)
        assert session.get(url, headers=headers, timeout=5).status_code == 200
    assert [(r.status, r.dropped) for r in github_server.requests] == [(0, True), (200, False)]


def test_the_client_timeout_comes_from_the_environment() -> None:
    assert ratelimit.Settings().timeout == 30
    assert ratelimit.Settings.from_env({"FLEETMOD_GITHUB_TIMEOUT": "7"}).timeout == 7
    for wrong in ("0", "0.5", "soon"):
        with pytest.raises(ForgeError, match="FLEETMOD_GITHUB_TIMEOUT"):
            ratelimit.Settings.from_env({"FLEETMOD_GITHUB_TIMEOUT": wrong})


def test_a_comment_that_never_left_is_sent_again_and_one_without_an_answer_is_not(
    github_server: GitHubServer,
) -> None:
    """A refused connection proves the comment never reached GitHub: it is tried again. A
    reset proves nothing either way (the client cannot tell whether GitHub carried the
    comment out before the connection died): it is not."""
    governor = ratelimit.Governor(
        ratelimit.Settings(error_backoff=0.01, attempts=3, write_interval=0)
    )
    path = "/repos/acme/app/issues/1/comments"
    sent: list[str] = []

    def post(url: str) -> Callable[[], RequestsResponse]:
        def attempt() -> RequestsResponse:
            sent.append(url)
            return RequestsResponse(requests.post(url, json={"body": "x"}, timeout=5))

        return attempt

    with pytest.raises(requests.ConnectionError):
        governor.send("POST", path, post(f"http://127.0.0.1:9{path}"))
    assert len(sent) == 3
    github_server.faults.reset_connections(1)
    with pytest.raises(ratelimit.AnswerLost, match="no answer"):
        governor.send("POST", path, post(f"{github_server.base_url}{path}"))
    assert len(sent) == 4 and [r.dropped for r in github_server.requests] == [True]
