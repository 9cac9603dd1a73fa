"""`fleetmod run`, `audit` and `status` as a person runs them: real processes, real signals."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bot.forges.local import LocalForge
from bot.lock import campaign_lock
from tests.test_campaign import CLEAN, NEEDS_FIX, bare, write_policy

FLEETMOD = [sys.executable, "-c", "from bot.cli import main; main()"]
SLOW_CHECK = "checks:\n  - name: slow\n    run: sleep 1\n    timeout: 30\n"


def fleetmod(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FLEETMOD, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def make_fleet(tmp: Path, count: int) -> None:
    for index in range(count):
        bare(tmp, f"svc{index}", {"app.py": NEEDS_FIX, "util.py": CLEAN})


def recorded(state: Path) -> int:
    ledger = state / "ledger.sqlite3"
    if not ledger.exists():
        return 0
    try:
        with sqlite3.connect(ledger, timeout=30) as db:
            return int(db.execute("SELECT count(*) FROM outcomes").fetchone()[0])
    except sqlite3.OperationalError:  # created, schema not written yet
        return 0


def test_run_prints_a_table_and_json_and_status_lists_the_prs(tmp_path: Path) -> None:
    make_fleet(tmp_path, 2)
    write_policy(tmp_path)
    shown = fleetmod("run", "policy.yaml", "--state-dir", "state", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "pr-opened" in shown.stdout and "svc0" in shown.stdout
    again = fleetmod("run", "policy.yaml", "--state-dir", "state", "--json", cwd=tmp_path)
    outcomes = {o["repo"]: o["outcome"] for o in json.loads(again.stdout)["outcomes"]}
    assert outcomes == {"svc0": "pr-unchanged", "svc1": "pr-unchanged"}
    status = fleetmod("status", "policy.yaml", "--state-dir", "state", "--json", cwd=tmp_path)
    rows = json.loads(status.stdout)
    assert sorted((r["repo"], r["number"], r["state"]) for r in rows) == [
        ("svc0", 1, "open"),
        ("svc1", 1, "open"),
    ]


def test_a_bad_policy_is_one_line_and_touches_nothing(tmp_path: Path) -> None:
    make_fleet(tmp_path, 1)
    (tmp_path / "policy.yaml").write_text("id: x\ntitle: t\ncodemods:\n  - codemod: nope\n")
    result = fleetmod("run", "policy.yaml", "--state-dir", "state", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "policy.yaml:4" in result.stderr
    assert not (tmp_path / "state").exists()


def test_a_killed_run_resumes_without_duplicates(tmp_path: Path) -> None:
    make_fleet(tmp_path, 4)
    write_policy(tmp_path, "limits:\n  concurrency: 1\n", checks=SLOW_CHECK)
    state = tmp_path / "state"
    process = subprocess.Popen(
        [*FLEETMOD, "run", "policy.yaml", "--state-dir", str(state)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while recorded(state) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert 2 <= recorded(state) < 4, "the run must be killed part-way"
    resumed = fleetmod("run", "policy.yaml", "--state-dir", str(state), "--json", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    document = json.loads(resumed.stdout)
    assert document["resumed"] is True
    assert sorted(o["repo"] for o in document["outcomes"]) == [f"svc{i}" for i in range(4)]
    prs = LocalForge(state).list_prs()
    assert sorted((name, pr.number) for name, pr in prs) == [(f"svc{i}", 1) for i in range(4)]


def test_a_second_run_of_a_policy_in_progress_refuses(tmp_path: Path) -> None:
    make_fleet(tmp_path, 1)
    write_policy(tmp_path)
    with campaign_lock(tmp_path / "state", "safe-yaml"):  # a first run holds the lock
        second = fleetmod("run", "policy.yaml", "--state-dir", "state", cwd=tmp_path)
    assert second.returncode == 2
    assert "in progress" in second.stderr and str(os.getpid()) in second.stderr
    assert LocalForge(tmp_path / "state").list_prs() == []
    after = fleetmod("run", "policy.yaml", "--state-dir", "state", cwd=tmp_path)
    assert after.returncode == 0, after.stderr


def test_run_names_expired_and_expiring_waivers_on_stderr(tmp_path: Path) -> None:
    make_fleet(tmp_path, 1)
    soon = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    waivers = (
        "waivers:\n"
        "  - repository: svc0\n    reason: old\n    owner: alice\n    expires: 2020-01-01\n"
        f"  - repository: other\n    reason: soon\n    owner: bob\n    expires: {soon}\n"
    )
    write_policy(tmp_path, waivers)
    result = fleetmod("audit", "policy.yaml", "--state-dir", "state", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2
    assert "policy.yaml:" in warnings[0] and "expired on 2020-01-01" in warnings[0]
    assert f"expires on {soon}, in 3 days" in warnings[1]
    assert "needs-change" in result.stdout  # the expired waiver no longer applies
