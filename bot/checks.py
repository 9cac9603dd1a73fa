"""Run a shell command inside a repository (a policy's check or command step): bounded in
time and in memory, and with an environment that carries no secrets.

The command gets its own session, so a timeout kills the whole process group, grandchildren
included; and it runs under ``bot/reaper.py``, a child subreaper, so that what it leaves
behind when it exits or times out is killed too, even a daemon that left the session:
nothing a check starts may outlive it. Output (stdout and stderr merged) is read as it comes
and only its tail is kept, so a check printing megabytes costs a bounded amount of memory.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

OUTPUT_CAP = 64 * 1024
KILL_GRACE = 5.0
DRAIN_TIMEOUT = 1.0
POLL = 0.05
READ_SIZE = 64 * 1024
REAPER = str(Path(__file__).with_name("reaper.py"))

ALLOWED = frozenset(
    {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "USER", "LOGNAME", "VIRTUAL_ENV"}
)
# Interactive-only variables: PYTHONINSPECT would leave a check waiting at a prompt.
INTERACTIVE_PYTHON = frozenset({"PYTHONSTARTUP", "PYTHONINSPECT"})
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "AUTH", "CREDENTIAL")
SECRET_PREFIXES = ("GITHUB_", "FLEETMOD_GITHUB")


@dataclass(frozen=True)
class CommandResult:
    name: str
    command: str
    exit_code: int
    passed: bool
    timed_out: bool
    seconds: float
    output_tail: str


def is_secret(variable: str) -> bool:
    upper = variable.upper()
    return any(word in upper for word in SECRET_WORDS) or upper.startswith(SECRET_PREFIXES)


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An allowlist of the parent's environment plus ``extra``; secret-looking names are
    dropped from both, so not even a policy can hand a token to a check."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name in ALLOWED or (name.startswith("PYTHON") and name not in INTERACTIVE_PYTHON)
    }
    merged = {**inherited, **(extra or {})}
    return {name: value for name, value in merged.items() if not is_secret(name)}


def run_command(
    name: str,
    command: str,
    cwd: Path,
    timeout: float,
    env_extra: Mapping[str, str] | None = None,
    grace: float = KILL_GRACE,
) -> CommandResult:
    """Run ``command`` with bash in ``cwd``; after ``timeout`` seconds its process group gets
    SIGTERM, then SIGKILL ``grace`` seconds later."""
    start = time.monotonic()
    contained = [sys.executable, "-I", "-S", REAPER, str(grace / 2), "bash", "-c", command]
    with subprocess.Popen(
        contained,
        cwd=cwd,
        env=clean_env(env_extra),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    ) as process:
        assert process.stdout is not None
        output = _Output(process.stdout.fileno())
        timed_out = not output.pump(process.pid, start + timeout)
        if timed_out:
            _signal_group(process.pid, signal.SIGTERM)
            output.pump(process.pid, time.monotonic() + grace)
        # The leader is not reaped yet, so its pid still names our group, nobody else's.
        _signal_group(process.pid, signal.SIGKILL)
        output.drain(time.monotonic() + DRAIN_TIMEOUT)
        output.close()
        exit_code = process.wait()
    return CommandResult(
        name=name,
        command=command,
        exit_code=exit_code,
        passed=exit_code == 0 and not timed_out,
        timed_out=timed_out,
        seconds=round(time.monotonic() - start, 3),
        output_tail=output.tail(),
    )


class _Output:
    """The command's merged output, read incrementally, keeping the last OUTPUT_CAP bytes."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self.selector = selectors.DefaultSelector()
        self.selector.register(descriptor, selectors.EVENT_READ)
        self.kept = bytearray()
        self.total = 0
        self.ended = False

    def pump(self, pid: int, deadline: float) -> bool:
        """Read until the process ``pid`` exits (True) or ``deadline`` passes (False)."""
        while not _exited(pid):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._read_once(min(POLL, remaining))
        return True

    def drain(self, deadline: float) -> None:
        """Read what is left; stop at ``deadline`` if something outside the group holds the
        pipe open."""
        while not self.ended and time.monotonic() < deadline:
            self._read_once(POLL)

    def close(self) -> None:
        self.selector.close()

    def tail(self) -> str:
        text = self.kept.decode("utf-8", errors="replace")
        omitted = self.total - len(self.kept)
        return f"[{omitted} earlier bytes of output omitted]\n{text}" if omitted else text

    def _read_once(self, wait: float) -> None:
        if self.ended:
            time.sleep(wait)
            return
        if not self.selector.select(wait):
            return
        chunk = os.read(self.descriptor, READ_SIZE)
        if not chunk:
            self.ended = True
            return
        self.total += len(chunk)
        self.kept += chunk
        if len(self.kept) > OUTPUT_CAP:
            del self.kept[: len(self.kept) - OUTPUT_CAP]


def _exited(pid: int) -> bool:
    """Whether ``pid`` has exited, leaving it unreaped (WNOWAIT) for Popen.wait."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped by someone else's SIGCHLD handler: gone all the same
        return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
