"""The GitHub forge's parts: redaction, pacing and retries, authentication, and the forge
itself against the GitHub API test server (PyGithub and real git, nothing mocked).

The pacing and retry tests use a tiny scripted HTTP server of their own, so that each can
say exactly which answers come in which order, and measure the waits in real time.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import requests
from github.Requester import RequestsResponse

from bot import github_auth, ratelimit, redact
from bot.codeowners import owners_for
from bot.forges.base import Forge, ForgeError, PrRequest, PrState, Repo
from bot.forges.github import CLOSE_MARKER, GitHubForge
from bot.forges.local import LocalForge, local_repo
from bot.policy import GitHubScope
from tests.github_server import GitHubServer
from tests.helpers import git, make_origin, push_branch

# -- a scripted HTTP server -------------------------------------------------------------------


@dataclass
class Scripted:
    """Answers each request with the next scripted (status, headers, body), then 200 {}."""

    script: list[tuple[int, dict[str, str], dict[str, object]]] = field(default_factory=list)
    seen: list[tuple[float, str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
        with self.lock:
            self.seen.append((time.monotonic(), method, path, headers))
            status, extra, body = self.script.pop(0) if self.script else (200, {}, {})
        return status, extra, json.dumps(body).encode()


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    state = Scripted()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, extra, body = state.answer(self.command, self.path, dict(self.headers))
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **extra}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def fast(**overrides: object) -> ratelimit.Settings:
    base = ratelimit.Settings(min_backoff=0.2, error_backoff=0.05, max_wait=5.0, write_interval=0)
    return ratelimit.Settings(**{**base.__dict__, **overrides})  # type: ignore[arg-type]


def call(governor: ratelimit.Governor, server: Scripted, verb: str, path: str) -> int:
    """One request through ``governor``, as PyGithub's connection class makes it."""
    session = requests.Session()
    url = f"{server.url}{path}"
    response = governor.send(
        verb, path, lambda: RequestsResponse(session.request(verb, url, timeout=10))
    )
    return response.status


# -- redaction --------------------------------------------------------------------------------


def test_redact_masks_registered_secrets_and_token_shapes() -> None:
    redact.register("s3cret-value-123")
    unregistered = "ghp_" + "A1b2C3d4" * 5
    text = f"url https://x:s3cret-value-123@h/ and {unregistered}, short 'abc' stays"
    assert redact.redact(text) == "url https://x:***@h/ and ***, short 'abc' stays"


def test_redact_hides_each_line_of_a_private_key() -> None:
    body = "QUJDREVGR0hJSktMTU5PUA==\nUVJTVFVWV1hZWjAxMjM0NQ=="
    key = f"-----BEGIN KEY-----\n{body}\n-----END KEY-----\n"
    redact.register(key)
    assert redact.redact("line: UVJTVFVWV1hZWjAxMjM0NQ==") == "line: ***"
    assert "BEGIN KEY" in redact.redact(key)  # the armour is not a secret
    assert "QUJD" not in redact.redact(key)


def test_redacting_stream_follows_the_current_target() -> None:
    redact.register("stream-secret-42")
    first, second = io.StringIO(), io.StringIO()
    targets = [first]
    stream = redact.RedactingStream(lambda: targets[-1])
    stream.write("a stream-secret-42 b\n")
    targets.append(second)
    stream.write("c stream-secret-42\n")
    assert (first.getvalue(), second.getvalue()) == ("a *** b\n", "c ***\n")


def test_log_records_are_redacted_once_installed(caplog: pytest.LogCaptureFixture) -> None:
    redact.install()
    redact.register("log-secret-9876")
    with caplog.at_level(logging.INFO):
        logging.getLogger("fleetmod.test").info("header %s sent", "Bearer log-secret-9876")
    assert caplog.messages == ["header Bearer *** sent"]


def test_a_crash_and_a_malformed_log_call_are_redacted_too() -> None:
    program = (
        "import logging, bot.cli.console\n"
        "from bot import redact\n"
        "redact.register('crash-secret-77')\n"
        "logging.getLogger('x').warning('bad %s %s', 'crash-secret-77')\n"
        "raise RuntimeError('failed with crash-secret-77')\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 1
    assert "crash-secret-77" not in done.stderr + done.stdout
    assert "bad %s %s ('***',)" in done.stderr and "RuntimeError: failed with ***" in done.stderr


def test_environment_secrets_are_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "env-token-abcdef")
    redact.register_environment()
    assert redact.redact("x env-token-abcdef y") == "x *** y"


# -- pacing and retries -----------------------------------------------------------------------


def test_content_creating_requests_are_paced_across_threads(scripted: Scripted) -> None:
    governor = ratelimit.Governor(fast(write_limits=((3, 0.6),)))
    threads = [
        threading.Thread(target=call, args=(governor, scripted, "POST", "/repos/a/b/issues"))
        for _ in range(5)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times = sorted(t for t, *_ in scripted.seen)
    assert len(times) == 5
    # at most 3 writes in any 0.6 s window: the 4th waits for the 1st to leave it
    assert times[3] - started >= 0.6
    assert times[2] - started < 0.5  # the first three were not held back


def test_content_creating_requests_are_spaced(scripted: Scripted) -> None:
    governor = ratelimit.Governor(fast(write_interval=0.3))
    for _ in range(3):
        call(governor, scripted, "PATCH", "/repos/a/b/pulls/1")
    call(governor, scripted, "GET", "/repos/a/b/pulls/1")
    (first, *_), (second, *_), (third, *_), (read, *_) = scripted.seen
    assert second - first >= 0.25 and third - second >= 0.25
    assert read - third < 0.25  # a read does not wait for the spacing


def test_reads_are_not_held_by_the_write_pacing(scripted: Scripted) -> None:
    governor = ratelimit.Governor(fast(write_limits=((1, 5.0),)))
    assert call(governor, scripted, "POST", "/repos/a/b/pulls") == 200
    started = time.monotonic()
    assert call(governor, scripted, "GET", "/repos/a/b/pulls") == 200
    assert time.monotonic() - started < 1.0


def test_server_errors_are_retried_with_backoff(scripted: Scripted) -> None:
    scripted.script = [(502, {}, {"message": "Bad Gateway"})] * 2
    governor = ratelimit.Governor(fast())
    assert call(governor, scripted, "PATCH", "/repos/a/b/pulls/1") == 200
    assert [m for _, m, *_ in scripted.seen] == ["PATCH"] * 3
    assert governor.stats.retries == 2


def test_a_lasting_server_error_is_returned_after_the_attempts(scripted: Scripted) -> None:
    scripted.script = [(503, {}, {"message": "down"})] * 10
    governor = ratelimit.Governor(fast(attempts=3))
    assert call(governor, scripted, "GET", "/repos/a/b") == 503
    assert len(scripted.seen) == 3


def test_a_client_error_is_not_retried(scripted: Scripted) -> None:
    scripted.script = [(403, {}, {"message": "Resource not accessible by integration"})]
    governor = ratelimit.Governor(fast())
    assert call(governor, scripted, "POST", "/repos/a/b/pulls") == 403
    assert len(scripted.seen) == 1


def test_secondary_limit_with_retry_after_holds_every_thread(scripted: Scripted) -> None:
    message = {"message": "You have exceeded a secondary rate limit. Please wait."}
    scripted.script = [(403, {"Retry-After": "1"}, message)]
    governor = ratelimit.Governor(fast())
    first = threading.Thread(target=call, args=(governor, scripted, "POST", "/r/a/b/pulls"))
    first.start()
    time.sleep(0.3)  # the 403 has arrived: the pause is on
    other_started = time.monotonic()
    assert call(governor, scripted, "GET", "/repos/a/b") == 200
    first.join()
    limited_at = scripted.seen[0][0]
    assert all(t >= limited_at + 0.99 for t, *_ in scripted.seen[1:])
    assert time.monotonic() - other_started >= 0.6


def test_secondary_limit_without_a_hint_waits_the_minimum_backoff(scripted: Scripted) -> None:
    message = {"message": "You have exceeded a secondary rate limit."}
    scripted.script = [(403, {}, message), (429, {}, message)]
    governor = ratelimit.Governor(fast(min_backoff=0.3))
    assert call(governor, scripted, "POST", "/repos/a/b/issues/1/labels") == 200
    (first, *_), (second, *_), (third, *_) = scripted.seen
    assert second - first >= 0.29  # min_backoff
    assert third - second >= 0.59  # doubled


def test_an_exhausted_budget_waits_for_the_reset(scripted: Scripted) -> None:
    reset = str(int(time.time()) + 1)
    empty = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    scripted.script = [(403, empty, {"message": "API rate limit exceeded for user."})]
    governor = ratelimit.Governor(fast())
    assert call(governor, scripted, "GET", "/repos/a/b") == 200
    (first, *_), (second, *_) = scripted.seen
    assert second - first >= 0.5 and time.time() >= int(reset)


def test_a_wait_beyond_max_wait_gives_up_without_sending(scripted: Scripted) -> None:
    reset = str(int(time.time()) + 3600)
    empty = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    scripted.script = [(200, empty, {})]
    governor = ratelimit.Governor(fast(max_wait=2.0))
    assert call(governor, scripted, "GET", "/repos/a/b") == 200
    with pytest.raises(ratelimit.RateLimited, match="next run resumes"):
        call(governor, scripted, "GET", "/repos/a/b")
    assert len(scripted.seen) == 1
    # another resource has its own budget
    assert call(governor, scripted, "GET", "/search/repositories?q=x") == 200


def test_a_low_budget_spreads_requests_until_the_reset(scripted: Scripted) -> None:
    reset = str(int(time.time()) + 2)
    low = {"x-ratelimit-limit": "100", "x-ratelimit-remaining": "4", "x-ratelimit-reset": reset}
    scripted.script = [(200, low, {})] * 3
    governor = ratelimit.Governor(fast())
    for _ in range(3):
        call(governor, scripted, "GET", "/repos/a/b")
    (first, *_), (second, *_), (third, *_) = scripted.seen
    # 4 left for about 2 s: roughly half a second apart, not all at once
    assert second - first >= 0.2 and third - second >= 0.2


def test_connection_errors_are_retried_then_raised() -> None:
    governor = ratelimit.Governor(fast(attempts=3))
    attempts = []

    def refused() -> RequestsResponse:
        attempts.append(time.monotonic())
        return RequestsResponse(requests.get("http://127.0.0.1:9/", timeout=2))

    with pytest.raises(requests.ConnectionError):
        governor.send("GET", "/repos/a/b", refused)
    assert len(attempts) == 3 and attempts[2] - attempts[1] >= 0.09


def test_settings_come_from_the_environment() -> None:
    settings = ratelimit.Settings.from_env({"FLEETMOD_GITHUB_MIN_BACKOFF": "2.5"})
    assert settings.min_backoff == 2.5 and settings.max_wait == ratelimit.Settings().max_wait
    with pytest.raises(ForgeError, match="FLEETMOD_GITHUB_MAX_WAIT"):
        ratelimit.Settings.from_env({"FLEETMOD_GITHUB_MAX_WAIT": "soon"})


# -- authentication ---------------------------------------------------------------------------


def test_git_env_scopes_a_basic_header_to_the_origin_and_appends_to_existing_config() -> None:
    env = github_auth.git_env(
        "https://ghe.example.com:8443/acme/app.git", "tok-123456789", {"GIT_CONFIG_COUNT": "2"}
    )
    assert env["GIT_CONFIG_COUNT"] == "3"
    assert env["GIT_CONFIG_KEY_2"] == "http.https://ghe.example.com:8443/.extraHeader"
    header = env["GIT_CONFIG_VALUE_2"].removeprefix("Authorization: Basic ")
    assert base64.b64decode(header).decode() == "x-access-token:tok-123456789"
    assert redact.redact(env["GIT_CONFIG_VALUE_2"]) == "Authorization: Basic ***"
    assert "tok-123456789" not in redact.redact(json.dumps(env))


def test_git_env_refuses_urls_that_are_not_https_or_carry_credentials() -> None:
    with pytest.raises(ForgeError, match="HTTPS"):
        github_auth.git_env("git@github.com:acme/app.git", "tok-123456789", {})
    with pytest.raises(ForgeError, match="credentials"):
        github_auth.git_env("https://me:pw@github.com/acme/app.git", "tok-123456789", {})


def test_credentials_from_the_environment(tmp_path: Path) -> None:
    env = {"GITHUB_TOKEN": "tok-from-env-1", "FLEETMOD_GITHUB_TOKEN": ""}
    auth = github_auth.auth_from_env(env)
    assert auth.token == "tok-from-env-1"
    assert redact.redact("tok-from-env-1") == "***"
    with pytest.raises(ForgeError, match="no GitHub credentials"):
        github_auth.auth_from_env({})
    with pytest.raises(ForgeError, match="INSTALLATION_ID"):
        github_auth.auth_from_env({"FLEETMOD_GITHUB_APP_ID": "12"})
    missing = {"FLEETMOD_GITHUB_APP_ID": "12", "FLEETMOD_GITHUB_INSTALLATION_ID": "7"}
    with pytest.raises(ForgeError, match="FLEETMOD_GITHUB_APP_KEY"):
        github_auth.auth_from_env(missing)
    unreadable = {**missing, "FLEETMOD_GITHUB_APP_KEY_FILE": str(tmp_path / "nope.pem")}
    with pytest.raises(ForgeError, match="cannot read"):
        github_auth.auth_from_env(unreadable)


def test_github_app_auth_signs_a_jwt_with_the_key_and_hides_the_key(tmp_path: Path) -> None:
    key_file = tmp_path / "app.pem"
    subprocess.run(
        ["openssl", "genrsa", "-out", str(key_file), "2048"], check=True, capture_output=True
    )
    env = {
        "FLEETMOD_GITHUB_APP_ID": "4242",
        "FLEETMOD_GITHUB_APP_KEY_FILE": str(key_file),
        "FLEETMOD_GITHUB_INSTALLATION_ID": "77",
    }
    auth = github_auth.auth_from_env(env)
    assert auth.installation_id == 77 and auth.app_id == "4242"
    jwt_token = auth._app_auth.create_jwt()
    public = subprocess.run(
        ["openssl", "rsa", "-in", str(key_file), "-pubout"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    import jwt

    claims = jwt.decode(jwt_token, public, algorithms=["RS256"])
    assert claims["iss"] == "4242"
    body_line = key_file.read_text().splitlines()[1]
    assert redact.redact(f"oops {body_line}") == "oops ***"
    assert github_auth.base_url_from_env({"GITHUB_API_URL": "https://ghe.example.com/api/v3"}) == (
        "https://ghe.example.com/api/v3"
    )


# -- reviewers from CODEOWNERS ----------------------------------------------------------------


def test_codeowners_last_matching_line_wins(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "CODEOWNERS").write_text("* @ignored\n")  # .github/ comes first
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "CODEOWNERS").write_text(
        "# owners\n"
        "*              @acme/core\n"
        "*.py           @alice @bob  # python\n"
        "/docs/         docs@example.com\n"
        "app/legacy/\n"
        "src/**/util.py @carol\n"
    )
    owners = {
        path: owners_for(tmp_path, [path])
        for path in ("README.md", "app/x.py", "docs/a.md", "app/legacy/y.py", "src/a/util.py")
    }
    assert owners == {
        "README.md": ["acme/core"],
        "app/x.py": ["alice", "bob"],
        "docs/a.md": [],  # an email is no account to request a review from
        "app/legacy/y.py": [],  # a line without owners leaves files unowned
        "src/a/util.py": ["carol"],
    }
    assert owners_for(tmp_path, ["app/x.py", "README.md", "b.py"]) == ["alice", "bob", "acme/core"]
    assert owners_for(tmp_path / "docs" / "nothing", ["a.py"]) == []


# -- the forge on the GitHub API test server --------------------------------------------------

BRANCH = "fleetmod/demo"


def forge_for(server: GitHubServer, token: str | None = None) -> GitHubForge:
    return GitHubForge(token or server.token, base_url=server.base_url, settings=fast())


def api_writes(server: GitHubServer) -> list[tuple[str, str]]:
    return [(r.method, r.path.removeprefix("/api/v3")) for r in server.write_requests()]


@pytest.fixture
def hub(github_server: GitHubServer) -> GitHubServer:
    github_server.add_org("acme")
    github_server.add_user("alice")
    github_server.add_user("carol")
    github_server.add_team("acme", "reviewers")
    github_server.create_repo("acme", "app", {"a.py": "x = 1\n"})
    return github_server


def app_repo(forge: GitHubForge) -> Repo:
    (repo,) = forge.repositories(GitHubScope(repositories=["acme/app"]))
    return repo


@dataclass
class Case:
    """One forge and one repository, with what people do there by hand."""

    forge: Forge
    repo: Repo
    push: Callable[[str, dict[str, str | None]], str]
    close_as_person: Callable[[int], None]
    merge_as_person: Callable[[int], None]


@pytest.fixture(params=["local", "github"])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Case:
    if request.param == "local":
        origin = make_origin(tmp_path / "app.git", {"a.py": "x = 1\n"})
        local = LocalForge(tmp_path / "state")
        repo = local_repo(origin)
        return Case(
            local,
            repo,
            lambda branch, files: push_branch(origin, branch, files),
            lambda number: local.close_pr(repo, number, "", closed_by="carol") and None,
            lambda number: local.merge(repo, number, merged_by="carol") and None,
        )
    server: GitHubServer = request.getfixturevalue("hub")
    forge = forge_for(server)
    return Case(
        forge,
        app_repo(forge),
        lambda branch, files: server.push_commit("acme", "app", branch, files),
        lambda number: server.close_pr("acme", "app", number, by="carol"),
        lambda number: server.merge_pr("acme", "app", number, by="carol") and None,
    )


def test_both_forges_answer_the_protocol_alike(case: Case) -> None:
    forge, repo = case.forge, case.repo
    assert forge.find_pr(repo, BRANCH) is None
    head = case.push(BRANCH, {"a.py": "x = 2\n"})
    request = PrRequest(BRANCH, "main", "Title", "Body", labels=["fleetmod"], reviewers=["alice"])

    pr = forge.create_pr(repo, request)

    facts = (pr.number, pr.state, pr.head_branch, pr.base_branch, pr.head_sha, pr.draft)
    assert facts == (1, PrState.OPEN, BRANCH, "main", head, False)
    assert (pr.labels, pr.reviewers, pr.closed_by) == (("fleetmod",), ("alice",), None)
    found = forge.find_pr(repo, BRANCH)
    assert found is not None and (found.number, found.title, found.body) == (1, "Title", "Body")
    assert (found.labels, found.reviewers) == (("fleetmod",), ("alice",))
    with pytest.raises(ForgeError, match="already open"):
        forge.create_pr(repo, replace(request, title="Another"))
    moved = case.push(BRANCH, {"b.py": "y = 1\n"})
    assert forge.find_pr(repo, BRANCH).head_sha == moved  # type: ignore[union-attr]

    updated = forge.update_pr(repo, 1, title="New title", draft=True)
    assert (updated.title, updated.body, updated.draft) == ("New title", "Body", True)
    status = forge.status(repo, 1)
    assert (status.pr.number, status.mergeable, dict(status.checks)) == (1, True, {})

    closed = forge.close_pr(repo, 1, "No longer needed.")
    assert (closed.state, closed.closed_by) == (PrState.CLOSED, "fleetmod")
    assert forge.find_pr(repo, BRANCH).closed_by == "fleetmod"  # type: ignore[union-attr]
    assert forge.close_pr(repo, 1, "again").state is PrState.CLOSED

    assert forge.create_pr(repo, request).number == 2
    case.close_as_person(2)
    by_person = forge.find_pr(repo, BRANCH)
    assert by_person is not None and by_person.number == 2
    assert by_person.state is PrState.CLOSED and by_person.closed_by != "fleetmod"

    assert forge.create_pr(repo, request).number == 3
    case.merge_as_person(3)
    merged = forge.find_pr(repo, BRANCH)
    assert merged is not None and merged.state is PrState.MERGED and merged.merged_at
    with pytest.raises(ForgeError, match="merged"):
        forge.close_pr(repo, 3, "too late")


def test_a_new_pr_costs_three_writes_and_an_update_only_what_changed(hub: GitHubServer) -> None:
    forge = forge_for(hub)
    repo = app_repo(forge)
    hub.push_commit("acme", "app", BRANCH, {"a.py": "x = 2\n"})
    hub.clear_requests()
    reviewers = ["@acme/reviewers", "alice", "dev@example.com", hub.login]

    pr = forge.create_pr(repo, PrRequest(BRANCH, "main", "T", "B", True, ["fleetmod"], reviewers))

    assert api_writes(hub) == [
        ("POST", "/repos/acme/app/pulls"),
        ("POST", "/repos/acme/app/issues/1/labels"),
        ("POST", "/repos/acme/app/pulls/1/requested_reviewers"),
    ]
    assert pr.draft and pr.reviewers == ("alice", "acme/reviewers")
    (facts,) = hub.pulls("acme", "app")
    assert (facts["requested_reviewers"], facts["requested_teams"]) == (["alice"], ["reviewers"])
    hub.clear_requests()
    forge.update_pr(repo, 1, body="B2")
    assert api_writes(hub) == [("PATCH", "/repos/acme/app/pulls/1")]
    hub.clear_requests()
    assert forge.update_pr(repo, 1).body == "B2"
    assert api_writes(hub) == []
    forge.update_pr(repo, 1, draft=False)
    assert hub.pulls("acme", "app")[0]["draft"] is False


def test_a_create_whose_answer_was_lost_is_not_opened_twice(hub: GitHubServer) -> None:
    forge = forge_for(hub)
    repo = app_repo(forge)
    hub.push_commit("acme", "app", BRANCH, {"a.py": "x = 2\n"})
    forge.create_pr(repo, PrRequest(BRANCH, "main", "T", "B"))  # the answer we "lost"

    again = forge.create_pr(repo, PrRequest(BRANCH, "main", "T", "B", labels=["fleetmod"]))

    assert again.number == 1 and again.labels == ("fleetmod",)
    (facts,) = hub.pulls("acme", "app")
    assert facts["labels"] == ["fleetmod"]


def test_closing_says_why_and_marks_the_comment(hub: GitHubServer) -> None:
    forge = forge_for(hub)
    repo = app_repo(forge)
    hub.push_commit("acme", "app", BRANCH, {"a.py": "x = 2\n"})
    forge.create_pr(repo, PrRequest(BRANCH, "main", "T", "B"))
    forge.comment(repo, 1, "A note.")
    forge.close_pr(repo, 1, "")

    comments = [c["body"] for c in hub.comments("acme", "app", 1)]
    assert comments[0] == "A note."
    assert (
        comments[1].startswith("fleetmod closed this pull request.") and CLOSE_MARKER in comments[1]
    )
    hub.clear_requests()
    forge.close_pr(repo, 1, "Again.")
    assert api_writes(hub) == []


def test_automerge_is_asked_of_github(hub: GitHubServer) -> None:
    hub.create_repo("acme", "strict", {"a.py": "x = 1\n"}, allow_auto_merge=False)
    forge = forge_for(hub)
    repo = app_repo(forge)
    hub.push_commit("acme", "app", BRANCH, {"a.py": "x = 2\n"})
    forge.create_pr(repo, PrRequest(BRANCH, "main", "T", "B"))
    forge.enable_automerge(repo, 1)
    assert hub.pulls("acme", "app")[0]["auto_merge"]
    (strict,) = forge.repositories(GitHubScope(repositories=["acme/strict"]))
    hub.push_commit("acme", "strict", BRANCH, {"a.py": "x = 2\n"})
    forge.create_pr(strict, PrRequest(BRANCH, "main", "T", "B"))
    with pytest.raises(ForgeError, match="acme/strict: enable auto-merge on #1"):
        forge.enable_automerge(strict, 1)


def test_repository_selection(hub: GitHubServer) -> None:
    hub.create_repo("acme", "lib", {"a.py": ""}, topics=["python", "library"])
    hub.create_repo("acme", "web", {"a.py": ""}, topics=["python"])
    hub.create_repo("acme", "old", {"a.py": ""}, topics=["python"], archived=True)
    hub.create_repo("acme", "copy", {"a.py": ""}, topics=["python"], fork=True)
    hub.create_repo("acme", "off", {"a.py": ""}, topics=["python"], disabled=True)
    hub.create_repo("carol", "dots", {"a.py": ""}, topics=["python"])
    forge = forge_for(hub)

    def names(**scope: object) -> list[str]:
        return [r.full_name for r in forge.repositories(GitHubScope(**scope))]  # type: ignore[arg-type]

    assert names(org="acme") == ["acme/app", "acme/lib", "acme/web"]
    assert names(org="acme", topics=["python"]) == ["acme/lib", "acme/web"]
    assert names(org="acme", topics=["python", "library"]) == ["acme/lib"]
    assert names(org="acme", include_archived=True, include_forks=True) == [
        "acme/app",
        "acme/copy",
        "acme/lib",
        "acme/old",
        "acme/web",
    ]
    assert names(user="carol") == ["carol/dots"]
    assert names(query="topic:python org:acme") == ["acme/lib", "acme/web"]
    assert names(org="acme", repositories=["carol/dots", "acme/off"]) == [
        "acme/app",
        "acme/lib",
        "acme/web",
        "carol/dots",
    ]
    (lib,) = forge.repositories(GitHubScope(repositories=["acme/lib"]))
    assert (lib.clone_url, lib.default_branch) == (hub.git_url("acme", "lib"), "main")
    with pytest.raises(ForgeError, match="acme/nope: read the repository: GitHub answered 404"):
        forge.repositories(GitHubScope(repositories=["acme/nope"]))


def test_read_file_through_the_contents_api(hub: GitHubServer) -> None:
    hub.push_commit("acme", "app", "main", {".github/fleetmod.yml": "opt_out: true\n"})
    forge = forge_for(hub)
    repo = app_repo(forge)
    assert forge.read_file(repo, ".github/fleetmod.yml") == "opt_out: true\n"
    assert forge.read_file(repo, "missing.yml") is None


def test_git_gets_the_token_from_its_environment_only(hub: GitHubServer, tmp_path: Path) -> None:
    forge = forge_for(hub)
    repo = app_repo(forge)
    env = {**os.environ, **forge.git_env(repo)}
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", repo.clone_url, str(clone)], env=env, check=True)
    git(clone, "checkout", "-q", "-b", BRANCH)
    (clone / "b.py").write_text("y = 1\n")
    git(clone, "add", "b.py")
    git(clone, "-c", "user.name=Bot", "-c", "user.email=bot@example.com", "commit", "-qm", "b")
    subprocess.run(["git", "-C", str(clone), "push", "-q", "origin", BRANCH], env=env, check=True)
    assert hub.branch_sha("acme", "app", BRANCH) == git(clone, "rev-parse", "HEAD")
    config = (clone / ".git" / "config").read_text()
    assert hub.token not in config and "extraHeader" not in config
    bad = {**os.environ, **github_auth.git_env(repo.clone_url, "not-a-valid-token")}
    refused = subprocess.run(
        ["git", "ls-remote", repo.clone_url], env=bad, capture_output=True, text=True
    )
    assert refused.returncode != 0


def test_failures_are_one_safe_line(hub: GitHubServer) -> None:
    forge = forge_for(hub)
    repo = app_repo(forge)
    hub.faults.revoke_token(after_requests=0)
    with pytest.raises(ForgeError) as caught:
        forge.find_pr(repo, BRANCH)
    message = str(caught.value)
    assert message.startswith(
        "acme/app: find the pull request from fleetmod/demo: GitHub answered 401"
    )
    assert "\n" not in message and hub.token not in message


def test_every_request_goes_through_the_process_governor(hub: GitHubServer) -> None:
    forge = forge_for(hub)
    before = ratelimit.governor().stats.requests
    hub.clear_requests()
    repo = app_repo(forge)
    forge.find_pr(repo, BRANCH)
    forge.read_file(repo, "a.py")
    api = [r for r in hub.requests if r.kind != "git"]
    assert ratelimit.governor().stats.requests - before == len(api) == 3


def test_a_github_app_installation_opens_prs_and_clones(hub: GitHubServer, tmp_path: Path) -> None:
    key = hub.add_app(4242, 77, slug="fleetmod-app")
    forge = GitHubForge(
        base_url=hub.base_url, app_id=4242, private_key=key, installation_id=77, settings=fast()
    )
    repo = app_repo(forge)
    env = {**os.environ, **forge.git_env(repo)}
    subprocess.run(["git", "clone", "-q", repo.clone_url, str(tmp_path / "c")], env=env, check=True)
    hub.push_commit("acme", "app", BRANCH, {"a.py": "x = 2\n"})
    forge.create_pr(repo, PrRequest(BRANCH, "main", "T", "B"))
    assert hub.pulls("acme", "app")[0]["user"] == "fleetmod-app[bot]"
    forge.close_pr(repo, 1, "Done.")
    assert forge.find_pr(repo, BRANCH).closed_by == "fleetmod"  # type: ignore[union-attr]
    body_line = key.strip().splitlines()[1]
    assert redact.redact(body_line) == "***"
    installation_token = env["GIT_CONFIG_VALUE_0"]
    assert redact.redact(installation_token) == "Authorization: Basic ***"
