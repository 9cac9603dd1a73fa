"""A content-hash cache of per-file results, so that a rerun over unchanged files parses nothing.

The key covers everything the result depends on: the file's bytes and path, the target
Python version, and each configured codemod's name, version and options. A result is
stored without the file's old text (that is the file itself) and without the path in its
findings (that is part of the key).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from dataclasses import asdict
from pathlib import Path

from codemods.base import Finding
from codemods.results import FileResult, Status

ENGINE_VERSION = "2"


def default_cache_dir() -> Path:
    if env := os.environ.get("FLEETMOD_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fleetmod"


def cache_key(path: str, data: bytes, fingerprint: str) -> str:
    digest = hashlib.sha256()
    for part in (ENGINE_VERSION.encode(), path.encode(), fingerprint.encode(), data):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class ResultCache:
    """SQLite, because several fleetmod processes may share one cache safely.

    One connection, guarded by a lock, so that the campaign's worker threads can share it.
    """

    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or default_cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        path = directory / "results.sqlite3"
        try:
            self._db = _open(path)
        except sqlite3.DatabaseError:  # a damaged cache is only lost speed: start a new one
            path.replace(path.with_name(path.name + ".damaged"))
            self._db = _open(path)
        self._unsaved = 0

    def get(self, key: str, path: str) -> FileResult | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        return FileResult(
            path=path,
            status=Status(data["status"]),
            reason=data["reason"],
            counts=data["counts"],
            findings=[Finding(path=path, **f) for f in data["findings"]],
            new_text=data["new_text"],
            cached=True,
        )

    def put(self, key: str, result: FileResult) -> None:
        findings = [{k: v for k, v in asdict(f).items() if k != "path"} for f in result.findings]
        value = {
            "status": result.status.value,
            "reason": result.reason,
            "counts": result.counts,
            "findings": findings,
            "new_text": result.new_text,
        }
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?)", (key, json.dumps(value))
            )
            self._unsaved += 1
            if self._unsaved >= 200:
                self.flush()

    def flush(self) -> None:
        with self._lock:
            self._db.commit()
            self._unsaved = 0

    def close(self) -> None:
        with self._lock:
            self.flush()
            self._db.close()


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT)")
        db.commit()
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db
