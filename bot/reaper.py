"""Run one command so that nothing it starts outlives it, not even what leaves its session.

A process group is not enough: a test suite that starts a server with ``setsid`` (or any
daemon that double-forks) leaves the group, and the group kill at a check's end or timeout
misses it. This script becomes a child subreaper (Linux ``prctl``), so every orphan of the
command is re-parented to it instead of to init; when the command ends, or when the bot
asks it to stop, it kills and reaps all its descendants before it exits.

It runs as ``python -I -S reaper.py GRACE COMMAND...`` and imports only the standard
library, so that it starts in milliseconds. Where ``prctl`` is missing it only runs the
command, and the process group is what contains it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
ROUNDS = 50


def become_subreaper() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def descendants(root: int) -> list[int]:
    """Every live process under ``root``, parents before children, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # the command name is in parentheses and may hold spaces: split after it
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    pending = [root]
    while pending:
        kids = children.get(pending.pop(), [])
        found.extend(kids)
        pending.extend(kids)
    return found


def signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def reap() -> None:
    """Collect every child that has exited, without waiting for the others."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def kill_everything() -> None:
    """SIGKILL and reap every descendant, again while killing one re-parents its children."""
    for _ in range(ROUNDS):
        remaining = descendants(os.getpid())
        if not remaining:
            return
        signal_all(remaining, signal.SIGKILL)
        time.sleep(0.01)
        reap()


def stop(grace: float) -> None:
    """Asked to stop (the check timed out): SIGTERM everything, then SIGKILL what is left."""
    signal_all(descendants(os.getpid()), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while descendants(os.getpid()) and time.monotonic() < deadline:
        reap()
        time.sleep(0.05)
    kill_everything()
    os._exit(128 + signal.SIGTERM)


def exit_status(status: int) -> int:
    return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def main(argv: list[str]) -> int:
    grace, command = float(argv[0]), argv[1:]
    become_subreaper()
    signal.signal(signal.SIGTERM, lambda *_: stop(grace))
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == child:
            break
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    kill_everything()
    return exit_status(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
