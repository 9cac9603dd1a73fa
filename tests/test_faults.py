"""The fault matrix on the local forge: each test injects one fault for real (a deleted
origin, a server that wants credentials, a push that loses a race, a hook that protects the
branch, a full disk, a hanging check ...) and asserts the documented outcome, that the other
repositories go on, and that nothing is lost or half-written.

The README's "what happens when" table lists every case with the test that proves it.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.campaign import CampaignOptions, CampaignResult, run_campaign
from bot.forges.base import Repo
from bot.forges.local import LocalForge, local_repo
from bot.ledger import Ledger
from bot.outcomes import Outcome, RepoOutcome
from bot.policy import load_policy
from bot.sources import local_repos, select
from bot.workspace import WorkspaceCache
from tests.helpers import git, make_repo, push_branch
from tests.test_campaign import CLEAN, FIXED, NEEDS_FIX, bare, prs, refs, write_policy

BRANCH = "fleetmod/safe-yaml"
OnStep = Callable[[str, str], None]


def campaign(
    tmp: Path, on_step: OnStep | None = None, extra: list[Repo] | None = None
) -> CampaignResult:
    """One real `run` of tmp/policy.yaml over tmp/fleet (plus ``extra`` repositories)."""
    policy = load_policy(tmp / "policy.yaml")
    repos = [*select(policy, local_repos(policy, tmp)), *(extra or [])]
    state = tmp / "state"
    step = on_step or (lambda _repo, _step: None)
    return run_campaign(policy, LocalForge(state), repos, state, CampaignOptions("run"), step)


def by_repo(result: CampaignResult) -> dict[str, RepoOutcome]:
    return {o.repo: o for o in result.outcomes}


def at_step(repo: str, step: str, action: Callable[[], object]) -> OnStep:
    """An on_step callback that does ``action`` once, when ``repo`` announces ``step``."""
    fired: list[bool] = []

    def on_step(name: str, announced: str) -> None:
        if (name, announced) == (repo, step) and not fired:
            fired.append(True)
            action()

    return on_step


def fleet_refs(tmp: Path) -> dict[str, str]:
    return {p.name: refs(p) for p in sorted((tmp / "fleet").iterdir())}


def assert_one_line(reason: str) -> None:
    assert reason and "\n" not in reason and len(reason) < 300, reason


def assert_no_leftovers(tmp: Path) -> None:
    """No half-made clone and no git lock file in the clone cache."""
    workspaces = tmp / "state" / "workspaces"
    assert not list(workspaces.glob("*.cloning-*"))
    assert not [p for p in workspaces.glob("*/.git/**/*.lock")]


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    bare(tmp_path, "alpha", {"app/config.py": NEEDS_FIX, "app/util.py": CLEAN})
    bare(tmp_path, "gamma", {"src/load.py": NEEDS_FIX})
    write_policy(tmp_path)
    return tmp_path


# git


@pytest.mark.parametrize("step", ["ls-remote", "clone"])
def test_a_repository_deleted_before_its_clone_is_an_error_and_the_others_go_on(
    fleet: Path, step: str
) -> None:
    origin = fleet / "fleet" / "alpha.git"
    result = by_repo(campaign(fleet, at_step("alpha", step, lambda: shutil.rmtree(origin))))
    assert result["alpha"].outcome is Outcome.ERROR
    assert_one_line(result["alpha"].reason)
    assert result["alpha"].reason.startswith(f"{step} alpha:")
    assert result["gamma"].outcome is Outcome.PR_OPENED
    assert not [p for p in (fleet / "state" / "workspaces").glob("alpha-*") if p.is_dir()]
    assert_no_leftovers(fleet)
    assert Ledger.of(fleet / "state").latest("safe-yaml")["alpha"].outcome is Outcome.ERROR


class _AuthRequired(http.server.BaseHTTPRequestHandler):
    """An HTTP git server that accepts no credentials at all."""

    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="git"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def auth_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AuthRequired)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("credentials", ["", "bot:canary-password-5d1e@"])
def test_an_authentication_failure_is_one_line_and_never_waits_at_a_prompt(
    fleet: Path, auth_server: str, credentials: str
) -> None:
    private = Repo("private", f"http://{credentials}{auth_server}/private.git", "main")
    started = time.monotonic()
    result = by_repo(campaign(fleet, extra=[private]))
    assert time.monotonic() - started < 60
    reason = result["private"].reason
    assert result["private"].outcome is Outcome.ERROR
    assert_one_line(reason)
    assert reason.startswith("ls-remote private:")
    assert "Authentication failed" in reason or "could not read Username" in reason
    assert "canary-password" not in reason
    assert "canary-password" not in Ledger.of(fleet / "state").path.read_text(errors="replace")
    assert result["alpha"].outcome is Outcome.PR_OPENED


def test_a_push_that_loses_the_race_overwrites_nothing(fleet: Path) -> None:
    origin = fleet / "fleet" / "alpha.git"
    human: list[str] = []

    def push_first() -> None:
        human.append(push_branch(origin, BRANCH, {"app/util.py": CLEAN + "# x\n"}, email="h@x.y"))

    result = by_repo(campaign(fleet, at_step("alpha", "push", push_first)))
    alpha = result["alpha"]
    assert alpha.outcome is Outcome.ERROR
    assert_one_line(alpha.reason)
    assert "changed on the remote" in alpha.reason and "not overwritten" in alpha.reason
    assert git(origin, "rev-parse", BRANCH) == human[0]
    assert "alpha" not in prs(fleet)
    assert result["gamma"].outcome is Outcome.PR_OPENED
    again = by_repo(campaign(fleet))["alpha"]
    assert again.outcome is Outcome.BLOCKED and "h@x.y" in again.reason
    assert git(origin, "rev-parse", BRANCH) == human[0]


def test_a_rejected_push_does_not_use_up_the_pr_budget(fleet: Path) -> None:
    write_policy(fleet, "limits:\n  prs_per_run: 1\n  concurrency: 1\n")
    origin = fleet / "fleet" / "alpha.git"
    result = by_repo(
        campaign(fleet, at_step("alpha", "push", lambda: git(origin, "branch", BRANCH, "main")))
    )
    assert result["alpha"].outcome is Outcome.ERROR
    assert result["gamma"].outcome is Outcome.PR_OPENED


PROTECT = """#!/bin/sh
while read old new ref; do
  case "$ref" in
    refs/heads/fleetmod/*) echo "GH006: Protected branch update failed for $ref."; exit 1;;
  esac
done
"""


def test_a_protected_branch_is_one_line_and_changes_nothing(fleet: Path) -> None:
    hook = fleet / "fleet" / "alpha.git" / "hooks" / "pre-receive"
    hook.write_text(PROTECT)
    hook.chmod(0o755)
    before = fleet_refs(fleet)
    result = by_repo(campaign(fleet))
    alpha = result["alpha"]
    assert alpha.outcome is Outcome.ERROR
    assert_one_line(alpha.reason)
    assert alpha.reason == f"push alpha: {BRANCH}: [remote rejected] (pre-receive hook declined)"
    assert fleet_refs(fleet)["alpha.git"] == before["alpha.git"]
    assert "alpha" not in prs(fleet) and result["gamma"].outcome is Outcome.PR_OPENED


def test_a_repository_without_commits_is_an_error_and_stays_empty(fleet: Path) -> None:
    empty = fleet / "fleet" / "empty.git"
    git(fleet, "init", "-q", "--bare", "-b", "main", str(empty))
    result = by_repo(campaign(fleet))
    assert result["empty"].outcome is Outcome.ERROR
    assert result["empty"].reason == "prepare empty: origin has no branch main"
    assert refs(empty) == ""
    assert result["alpha"].outcome is Outcome.PR_OPENED
    assert_no_leftovers(fleet)


def test_the_default_branch_is_read_from_the_origin_not_assumed(fleet: Path) -> None:
    work = make_repo(fleet / "work" / "delta", {"old.py": CLEAN})
    git(work, "checkout", "-q", "-b", "develop")
    (work / "load.py").write_text(NEEDS_FIX)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "develop moves on")
    origin = fleet / "fleet" / "delta.git"
    git(fleet, "clone", "-q", "--bare", str(work), str(origin))
    git(origin, "symbolic-ref", "HEAD", "refs/heads/develop")
    main = git(origin, "rev-parse", "main")
    result = by_repo(campaign(fleet))
    assert result["delta"].outcome is Outcome.PR_OPENED
    pr = LocalForge(fleet / "state").find_pr(local_repo(origin), BRANCH)
    assert pr is not None and pr.base_branch == "develop"
    assert git(origin, "rev-parse", f"{BRANCH}^") == git(origin, "rev-parse", "develop")
    assert git(origin, "rev-parse", "main") == main
    assert git(origin, "show", f"{BRANCH}:load.py") + "\n" == FIXED


LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 73400320\n"
)


def test_submodules_are_not_recursed_and_lfs_pointers_are_not_touched(fleet: Path) -> None:
    library = bare(fleet, "library", {"lib.py": NEEDS_FIX})
    shutil.move(library, fleet / "library.git")  # not in the fleet: only a submodule
    files = {
        "app.py": NEEDS_FIX,
        ".gitattributes": "fixtures/*.py filter=lfs diff=lfs merge=lfs -text\n",
        "fixtures/huge_yaml_fixture.py": LFS_POINTER,
    }
    work = make_repo(fleet / "work" / "epsilon", files)
    allow = ("-c", "protocol.file.allow=always")
    git(work, *allow, "submodule", "add", "-q", str(fleet / "library.git"), "vendor/library")
    git(work, "commit", "-qm", "vendor the library")
    origin = fleet / "fleet" / "epsilon.git"
    git(fleet, "clone", "-q", "--bare", str(work), str(origin))
    gitlink = git(origin, "rev-parse", "main:vendor/library")
    result = by_repo(campaign(fleet))["epsilon"]
    assert result.outcome is Outcome.PR_OPENED
    assert [f.path for f in result.files] == ["app.py"] and result.failed_files == []
    changed = git(origin, "diff", "--name-only", "main", BRANCH).splitlines()
    assert changed == ["app.py"]
    assert git(origin, "rev-parse", f"{BRANCH}:vendor/library") == gitlink
    pointer = git(origin, "show", f"{BRANCH}:fixtures/huge_yaml_fixture.py")
    assert pointer + "\n" == LFS_POINTER
    workspace = WorkspaceCache(fleet / "state").path_for(local_repo(origin))
    assert list((workspace / "vendor" / "library").iterdir()) == []
    assert not (workspace / ".git" / "modules").exists()


def _inodes(objects: Path) -> set[int]:
    return {p.stat().st_ino for p in objects.rglob("*") if p.is_file()}


def test_a_local_clone_shares_the_origins_objects_instead_of_copying_them(fleet: Path) -> None:
    big = bare(fleet, "big", {"app.py": NEEDS_FIX, "blob.bin": os.urandom(1024).hex() * 2048})
    git(big, "gc", "-q")
    campaign(fleet)
    workspace = WorkspaceCache(fleet / "state").path_for(local_repo(big))
    packs = list((workspace / ".git" / "objects" / "pack").glob("*.pack"))
    assert packs and {p.stat().st_ino for p in packs} <= _inodes(big / "objects")
    assert all(p.stat().st_nlink > 1 for p in packs)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A git:// server over tmp_path/served, with partial clone allowed."""
    served = tmp_path / "served"
    served.mkdir()
    port = _free_port()
    command = ["git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1"]
    command += [f"--port={port}", f"--base-path={served}", str(served)]
    daemon = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield served, f"git://127.0.0.1:{port}"
    finally:
        daemon.terminate()
        daemon.wait()


def test_a_clone_over_the_network_downloads_only_the_blobs_it_checks_out(
    tmp_path: Path, git_daemon: tuple[Path, str]
) -> None:
    served, url = git_daemon
    work = make_repo(tmp_path / "history", {"app.py": NEEDS_FIX})
    for version in range(8):
        (work / "data.bin").write_text(os.urandom(64 * 1024).hex())
        git(work, "add", "-A")
        git(work, "commit", "-qm", f"data v{version}")
    origin = served / "history.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(origin))
    git(origin, "config", "uploadpack.allowFilter", "true")
    probe = ["git", "ls-remote", f"{url}/history.git"]
    deadline = time.monotonic() + 10
    while subprocess.run(probe, capture_output=True).returncode:
        assert time.monotonic() < deadline, "git daemon did not start"
        time.sleep(0.1)
    repo = Repo("history", f"{url}/history.git", "main")
    with WorkspaceCache(tmp_path / "state").prepare(repo, {}) as workspace:
        assert workspace.git_repo.git.config("remote.origin.partialclonefilter") == "blob:none"
        local = git(workspace.path, "cat-file", "--batch-all-objects", "--batch-check")
        assert (workspace.path / "app.py").read_text() == NEEDS_FIX
    blobs = [line for line in local.splitlines() if " blob " in line]
    assert len(blobs) == 2  # app.py and the newest data.bin, not the 7 older versions


# local: writes refused, disk full, checks


def _no_file_half_written(workspace: Path, expected: dict[str, tuple[str, ...]]) -> None:
    """Every file is whole: one of the texts it may have, and no temporary file is left."""
    for rel, allowed in expected.items():
        assert (workspace / rel).read_text() in allowed, rel
    assert not list(workspace.rglob("*.fleetmod"))


TWO_FILES = {"app/config.py": NEEDS_FIX, "lib/loader.py": NEEDS_FIX}


def test_a_write_refused_mid_rewrite_drops_the_whole_change(tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    probe.mkdir()
    if subprocess.run(["chattr", "+i", probe], capture_output=True).returncode:
        pytest.skip("chattr +i is refused here (not root, or the filesystem has no flags)")
    subprocess.run(["chattr", "-i", probe], check=True)
    origin = bare(tmp_path, "alpha", TWO_FILES)
    write_policy(tmp_path)
    before = refs(origin)
    workspace = WorkspaceCache(tmp_path / "state").path_for(local_repo(origin))
    frozen = workspace / "lib"
    try:
        freeze = at_step("alpha", "rewrite", lambda: subprocess.run(["chattr", "+i", frozen]))
        alpha = by_repo(campaign(tmp_path, freeze))["alpha"]
        _no_file_half_written(workspace, {rel: (NEEDS_FIX, FIXED) for rel in TWO_FILES})
    finally:
        subprocess.run(["chattr", "-i", frozen], check=False)
    assert alpha.outcome is Outcome.ERROR
    assert_one_line(alpha.reason)
    assert "lib/loader.py: not written" in alpha.reason
    assert refs(origin) == before and prs(tmp_path) == {}
    again = by_repo(campaign(tmp_path))["alpha"]
    assert again.outcome is Outcome.PR_OPENED
    assert git(origin, "diff", "--name-only", "main", BRANCH).splitlines() == sorted(TWO_FILES)


FILL_THE_DISK = """
import os, shutil, subprocess, sys
from pathlib import Path
from bot.campaign import CampaignOptions, run_campaign
from bot.forges.local import LocalForge
from bot.policy import load_policy
from bot.sources import local_repos, select

root = Path(sys.argv[1])
state = root / "state"
workspaces = state / "workspaces"
workspaces.mkdir(parents=True)
mount = ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(workspaces)]
subprocess.run(mount, check=True)

def fill(repo, step):
    # Something else fills the disk while the bot rewrites: 64 KiB stay free, room
    # enough for git's own writes but not for the padded module.
    if step == "rewrite":
        vfs = os.statvfs(workspaces)
        (workspaces / "filler").write_bytes(bytes(vfs.f_bavail * vfs.f_frsize - 65536))

policy = load_policy(root / "policy.yaml")
repos = select(policy, local_repos(policy, root))
run_campaign(policy, LocalForge(state), repos, state, CampaignOptions("run"), fill)
shutil.copytree(workspaces, root / "after", symlinks=True, ignore=shutil.ignore_patterns("filler"))
"""
PRIVATE_MOUNTS = ["unshare", "--map-root-user", "--mount", "--propagation", "private"]


def test_a_disk_that_fills_mid_rewrite_drops_the_whole_change(tmp_path: Path) -> None:
    if subprocess.run([*PRIVATE_MOUNTS, "true"], capture_output=True).returncode:
        pytest.skip("no private mount namespace here (unshare refused)")
    padded = NEEDS_FIX + "".join(f"# padding line {i:05} {'x' * 80}\n" for i in range(1500))
    files = {"app/config.py": NEEDS_FIX, "lib/loader.py": padded}
    origin = bare(tmp_path, "alpha", files)
    write_policy(tmp_path)
    before = refs(origin)
    driver = [*PRIVATE_MOUNTS, sys.executable, "-c", FILL_THE_DISK, str(tmp_path)]
    done = subprocess.run(driver, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    alpha = Ledger.of(tmp_path / "state").latest("safe-yaml")["alpha"]
    assert alpha.outcome is Outcome.ERROR
    assert_one_line(alpha.reason)
    assert alpha.reason.startswith("lib/loader.py: not written: No space left on device")
    workspace = next(p for p in (tmp_path / "after").iterdir() if p.is_dir())
    fixed = padded.replace("yaml.load(f)", "yaml.safe_load(f)")
    _no_file_half_written(
        workspace, {"app/config.py": (NEEDS_FIX, FIXED), "lib/loader.py": (padded, fixed)}
    )
    assert refs(origin) == before and prs(tmp_path) == {}
    again = by_repo(campaign(tmp_path))["alpha"]  # the disk has room again
    assert again.outcome is Outcome.PR_OPENED
    assert git(origin, "show", f"{BRANCH}:lib/loader.py") + "\n" == fixed


def _processes_running(marker: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:  # exited meanwhile
            continue
    return found


def test_a_hanging_check_is_killed_with_its_whole_process_group(fleet: Path) -> None:
    marker = "4711.0815"  # a sleep no other test starts
    hang = f"grep -rq safe_load . || exit 0; sleep {marker} & sleep {marker}"
    check = f"checks:\n  - name: hangs\n    run: '{hang}'\n    timeout: 1\n    on_failure: skip\n"
    write_policy(fleet, checks=check)
    before = fleet_refs(fleet)
    started = time.monotonic()
    result = by_repo(campaign(fleet))
    assert time.monotonic() - started < 30
    alpha = result["alpha"]
    assert alpha.outcome is Outcome.CHECKS_FAILED and alpha.reason == "checks failed: hangs"
    assert alpha.checks[0]["timed_out"] is True
    assert _processes_running(f"sleep {marker}") == []
    assert fleet_refs(fleet) == before and prs(fleet) == {}


def test_a_check_printing_megabytes_is_capped_in_the_outcome_and_ledger(fleet: Path) -> None:
    flood = "head -c 20000000 /dev/zero | tr '\\\\0' x; echo; echo END-OF-OUTPUT; exit 1"
    check = f"grep -rq safe_load . || exit 0; {flood}"
    checks = f'checks:\n  - name: floods\n    run: "{check}"\n    on_failure: open\n'
    write_policy(fleet, checks=checks)
    alpha = by_repo(campaign(fleet))["alpha"]
    assert alpha.outcome is Outcome.PR_OPENED
    tail = alpha.checks[0]["output_tail"]
    assert tail.endswith("END-OF-OUTPUT\n") and len(tail) < 70_000
    assert "earlier bytes of output omitted" in tail
    ledger = Ledger.of(fleet / "state").path
    assert sum(f.stat().st_size for f in ledger.parent.glob("ledger.sqlite3*")) < 1_000_000
    pr = LocalForge(fleet / "state").find_pr(local_repo(fleet / "fleet" / "alpha.git"), BRANCH)
    assert pr is not None and "END-OF-OUTPUT" in pr.body
    assert len(pr.body) < 65_536  # GitHub refuses a longer body
