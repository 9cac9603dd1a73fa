"""The campaign's memory: every run and every repository outcome, in SQLite.

The forge is the source of truth for pull requests; the ledger is history (for the
burndown and `status`) and speed (an interrupted run resumes where it stopped). An
outcome is written in one transaction after the repository's work is done, so a run
killed at any moment leaves either the whole outcome or none of it.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.outcomes import Outcome, RepoOutcome
from bot.redact import redact

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    policy_id TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    command TEXT NOT NULL,
    scope_key TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS outcomes (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    repo TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    pr_number INTEGER,
    data TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (run_id, repo)
);
CREATE TABLE IF NOT EXISTS attempts (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    repo TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (run_id, repo)
);
"""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class RunRecord:
    id: int
    policy_id: str
    policy_version: str
    command: str
    started_at: str
    finished_at: str | None
    counts: dict[str, int] = field(default_factory=dict)
    violations: int = 0


LEDGER_FILE = "ledger.sqlite3"


class Ledger:
    @classmethod
    def of(cls, state_dir: Path) -> Ledger:
        """The ledger of a state folder, where every command looks for it."""
        return cls(state_dir / LEDGER_FILE)

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One short-lived connection per call: safe from worker threads and other processes."""
        db = sqlite3.connect(self.path, timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # WAL keeps the file consistent through any crash; NORMAL only lets a power cut
            # lose the last outcomes, which a resumed run redoes (the forge is the truth).
            db.execute("PRAGMA synchronous=NORMAL")
            with db:
                yield db
        finally:
            db.close()

    def start(self, policy_id: str, version: str, command: str, scope_key: str) -> tuple[int, bool]:
        """The unfinished run of the same command to resume, or a new run; True if resumed."""
        with self._connect() as db:
            row = db.execute(
                "SELECT id, finished_at FROM runs WHERE policy_id = ? AND command = ?"
                " AND scope_key = ? ORDER BY id DESC LIMIT 1",
                (policy_id, command, scope_key),
            ).fetchone()
            if row is not None and row[1] is None:
                return row[0], True
            cursor = db.execute(
                "INSERT INTO runs (policy_id, policy_version, command, scope_key, started_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (policy_id, version, command, scope_key, _now()),
            )
            return int(cursor.lastrowid or 0), False

    def done(self, run_id: int) -> dict[str, RepoOutcome]:
        """Outcomes already recorded in ``run_id``: what a resumed run does not redo."""
        with self._connect() as db:
            rows = db.execute("SELECT data FROM outcomes WHERE run_id = ?", (run_id,)).fetchall()
        outcomes = [RepoOutcome.from_json(json.loads(r[0])) for r in rows]
        return {o.repo: o for o in outcomes}

    def attempt(self, run_id: int, repo: str) -> int:
        """Count one more start of ``repo``'s work in ``run_id``; how many starts came before.

        Written before the work, so a process that dies during it (killed, out of memory,
        a native crash) leaves the count behind: what tells a resumed run which repository
        the process was in, and a repository that keeps killing it from one killed once.
        """
        with self._connect() as db:
            db.execute(
                "INSERT INTO attempts VALUES (?, ?, 1)"
                " ON CONFLICT (run_id, repo) DO UPDATE SET count = count + 1",
                (run_id, repo),
            )
            row = db.execute(
                "SELECT count FROM attempts WHERE run_id = ? AND repo = ?", (run_id, repo)
            ).fetchone()
        return int(row[0]) - 1

    def interrupted(self, run_id: int) -> set[str]:
        """Repositories whose work started in ``run_id`` and never reached an outcome."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT repo FROM attempts WHERE run_id = ? AND repo NOT IN"
                " (SELECT repo FROM outcomes WHERE run_id = ?)",
                (run_id, run_id),
            ).fetchall()
        return {row[0] for row in rows}

    def record(self, run_id: int, outcome: RepoOutcome) -> None:
        """Store ``outcome``; no secret reaches the file (check output may quote one)."""
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO outcomes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    outcome.repo,
                    outcome.outcome.value,
                    redact(outcome.reason),
                    outcome.pr_number,
                    redact(json.dumps(outcome.to_json())),
                    _now(),
                ),
            )

    def finish(self, run_id: int) -> None:
        with self._connect() as db:
            db.execute("UPDATE runs SET finished_at = ? WHERE id = ?", (_now(), run_id))

    def latest(self, policy_id: str, command: str | None = None) -> dict[str, RepoOutcome]:
        """The newest outcome of every repository the policy ever covered."""
        query = (
            "SELECT o.data FROM outcomes o JOIN runs r ON r.id = o.run_id WHERE r.policy_id = ?"
            + (" AND r.command = ?" if command else "")
            + " ORDER BY o.recorded_at, o.run_id"
        )
        params = (policy_id, command) if command else (policy_id,)
        with self._connect() as db:
            rows = db.execute(query, params).fetchall()
        latest: dict[str, RepoOutcome] = {}
        for (data,) in rows:
            outcome = RepoOutcome.from_json(json.loads(data))
            latest[outcome.repo] = outcome
        return dict(sorted(latest.items()))

    def failed_repos(self, policy_id: str) -> list[str]:
        """Repositories whose newest outcome is an error: what `--retry-failed` retries."""
        return [r for r, o in self.latest(policy_id).items() if o.outcome is Outcome.ERROR]

    def runs(self, policy_id: str) -> list[RunRecord]:
        """Every run with its outcome counts and remaining violations: the burndown's data."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, policy_id, policy_version, command, started_at, finished_at"
                " FROM runs WHERE policy_id = ? ORDER BY id",
                (policy_id,),
            ).fetchall()
            records = [RunRecord(*row) for row in rows]
            for record in records:
                for (data,) in db.execute(
                    "SELECT data FROM outcomes WHERE run_id = ?", (record.id,)
                ):
                    outcome = RepoOutcome.from_json(json.loads(data))
                    key = outcome.outcome.value
                    record.counts[key] = record.counts.get(key, 0) + 1
                    record.violations += outcome.violations
        return records
