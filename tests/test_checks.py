"""Checks run as real processes: exit codes, timeouts that kill whole process groups, capped
output, and an environment without secrets."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bot.checks import OUTPUT_CAP, clean_env, is_secret, run_command


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for an init that may never reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


@pytest.mark.parametrize("code", [0, 1, 3, 127])
def test_exit_codes_propagate(tmp_path: Path, code: int) -> None:
    result = run_command("exit", f"echo out; echo err >&2; exit {code}", tmp_path, 10)
    assert (result.exit_code, result.passed, result.timed_out) == (code, code == 0, False)
    assert result.output_tail == "out\nerr\n"
    assert (result.name, result.command) == ("exit", f"echo out; echo err >&2; exit {code}")


def test_runs_in_the_repository(tmp_path: Path) -> None:
    (tmp_path / "marker.txt").write_text("here\n")
    result = run_command("cwd", "cat marker.txt && pwd", tmp_path, 10)
    assert result.output_tail == f"here\n{tmp_path}\n"


def test_a_hanging_check_is_killed_at_its_timeout_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    command = f"sleep 100 & echo $! > {pid_file}; echo started; sleep 100"
    started = time.monotonic()
    result = run_command("hang", command, tmp_path, timeout=1.0)
    assert time.monotonic() - started < 10
    assert result.timed_out and not result.passed
    assert 1.0 <= result.seconds < 10
    assert result.output_tail == "started\n"
    assert wait_gone(int(pid_file.read_text()))


def test_a_check_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    pid_file = tmp_path / "stubborn.pid"
    command = f"trap '' TERM; echo $$ > {pid_file}; sleep 100"
    result = run_command("stubborn", command, tmp_path, timeout=0.5, grace=0.5)
    assert result.timed_out and not result.passed
    assert 0.5 <= result.seconds < 5
    assert wait_gone(int(pid_file.read_text()), seconds=0.5)


# A daemon as a test suite starts one: its own session (setsid), then a double fork, so that
# neither the check's process group nor its parent holds it.
DAEMON = (
    "import os, sys, time\n"
    "if os.fork(): sys.exit(0)\n"
    "os.setsid()\n"
    "if os.fork(): sys.exit(0)\n"
    "open(sys.argv[1], 'w').write(str(os.getpid()))\n"
    "time.sleep(100)\n"
)


def daemon_command(tmp_path: Path, then: str) -> tuple[str, Path]:
    (tmp_path / "daemon.py").write_text(DAEMON)
    pid_file = tmp_path / "escaped.pid"
    wait = f"while [ ! -s {pid_file} ]; do sleep 0.01; done"
    return f"python3 daemon.py {pid_file}; {wait}; {then}", pid_file


def test_a_daemon_that_left_the_session_dies_with_a_finished_check(tmp_path: Path) -> None:
    command, pid_file = daemon_command(tmp_path, "echo done")
    result = run_command("daemon", command, tmp_path, timeout=30)
    assert result.passed and result.output_tail == "done\n"
    assert wait_gone(int(pid_file.read_text()), seconds=1)


def test_a_daemon_that_left_the_session_dies_with_a_timed_out_check(tmp_path: Path) -> None:
    command, pid_file = daemon_command(tmp_path, "sleep 100")
    result = run_command("daemon", command, tmp_path, timeout=2, grace=1)
    assert result.timed_out and not result.passed
    assert wait_gone(int(pid_file.read_text()), seconds=1)


def test_processes_left_behind_by_a_finished_check_are_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "daemon.pid"
    result = run_command("daemon", f"sleep 100 & echo $! > {pid_file}", tmp_path, timeout=10)
    assert result.passed and result.seconds < 5
    assert wait_gone(int(pid_file.read_text()))


def test_twenty_megabytes_of_output_are_capped_to_the_tail(tmp_path: Path) -> None:
    command = "head -c 20000000 /dev/zero | tr '\\0' x; echo; echo THE END"
    result = run_command("loud", command, tmp_path, timeout=60)
    assert result.passed
    assert result.output_tail.endswith("x\nTHE END\n")
    omitted = 20_000_000 + len("\nTHE END\n") - OUTPUT_CAP
    assert result.output_tail.startswith(f"[{omitted} earlier bytes of output omitted]\n")
    assert len(result.output_tail.encode()) < OUTPUT_CAP + 100


def test_the_environment_carries_no_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = "canary-7c1d5e"
    for name in ("GITHUB_TOKEN", "FLEETMOD_GITHUB_APP", "AWS_SECRET_ACCESS_KEY", "MY_PASSWORD"):
        monkeypatch.setenv(name, canary)
    monkeypatch.setenv("UNRELATED_SETTING", canary)
    monkeypatch.setenv("PYTHONINSPECT", "1")
    monkeypatch.setenv("PYTHONHASHSEED", "7")
    extra = {"NPM_AUTH": canary, "CHECK_MODE": "strict"}
    result = run_command("env", "env", tmp_path, 10, env_extra=extra)
    assert canary not in result.output_tail
    variables = dict(line.split("=", 1) for line in result.output_tail.splitlines() if "=" in line)
    assert variables["PATH"] == os.environ["PATH"]
    assert (variables["PYTHONHASHSEED"], variables["CHECK_MODE"]) == ("7", "strict")
    assert "PYTHONINSPECT" not in variables


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("GH_TOKEN", True),
        ("github_app_id", True),
        ("SSH_AUTH_SOCK", True),
        ("GOOGLE_APPLICATION_CREDENTIALS", True),
        ("FLEETMOD_GITHUB_PRIVATE_KEY", True),
        ("PATH", False),
        ("PYTHONPATH", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret(name) is secret


def test_clean_env_is_an_allowlist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("EDITOR", "vim")
    env = clean_env({"EXTRA": "1"})
    assert env["LANG"] == "C.UTF-8" and env["EXTRA"] == "1"
    assert "EDITOR" not in env
