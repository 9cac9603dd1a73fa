"""The local forge: git repositories on disk play the server, SQLite records the pull requests.

It behaves like a small GitHub so that a whole campaign can run (and be tested) without
network or account: a pull request is a branch pushed to the origin repository plus a row in
``state_dir / "forge.sqlite3"``, and merging really merges inside the origin repository.
An open pull request's head is read live from its branch, as on GitHub, so a push to the
branch shows at once; closing or merging freezes it.

Several threads and processes may share one database: every call opens its own connection,
writes run in ``BEGIN IMMEDIATE`` transactions, and the journal is WAL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot import local_refs
from bot.forges.base import ForgeError, PrRequest, PrState, PrStatus, PullRequest, Repo
from bot.workspace import git_error_line

DATABASE = "forge.sqlite3"
BOT = "fleetmod"
HUMAN = "human"
PASSING = frozenset({"passed", "success"})
SQLITE_TIMEOUT = 30.0
MERGER = {
    "GIT_AUTHOR_NAME": "fleetmod local forge",
    "GIT_AUTHOR_EMAIL": "local-forge@fleetmod.invalid",
    "GIT_COMMITTER_NAME": "fleetmod local forge",
    "GIT_COMMITTER_EMAIL": "local-forge@fleetmod.invalid",
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS repositories (
    origin TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    default_branch TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pull_requests (
    origin TEXT NOT NULL REFERENCES repositories (origin),
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    draft INTEGER NOT NULL,
    labels TEXT NOT NULL,
    reviewers TEXT NOT NULL,
    head_branch TEXT NOT NULL,
    head_sha TEXT NOT NULL,
    base_branch TEXT NOT NULL,
    base_sha TEXT NOT NULL,
    merge_sha TEXT,
    automerge INTEGER NOT NULL DEFAULT 0,
    checks TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    merged_at TEXT,
    closed_by TEXT,
    PRIMARY KEY (origin, number)
);
CREATE INDEX IF NOT EXISTS pull_requests_by_head ON pull_requests (origin, head_branch);
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    number INTEGER NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Comment:
    author: str
    body: str
    created_at: str


def local_repo(path: Path) -> Repo:
    """The Repo for a repository folder (bare or not); its default branch is the origin's HEAD."""
    origin = path.resolve()
    name = origin.name.removesuffix(".git")
    gitdir = local_refs.git_dir(str(origin))
    if gitdir is not None and (branch := local_refs.default_branch(gitdir)) is not None:
        return Repo(full_name=name, clone_url=str(origin), default_branch=branch)
    # The ceiling keeps git from finding an enclosing repository when `path` is not one.
    env = {"GIT_CEILING_DIRECTORIES": str(origin.parent)}
    proc = _git(origin, "symbolic-ref", "--quiet", "--short", "HEAD", env=env, ok=(0, 1, 128))
    if proc.returncode == 128:
        raise ForgeError(f"{path}: not a git repository")
    if proc.returncode == 1:
        raise ForgeError(f"{name}: HEAD is detached, so its default branch is unknown")
    return Repo(full_name=name, clone_url=str(origin), default_branch=proc.stdout.strip())


class LocalForge:
    """Pull requests between branches of repositories on disk; see the module docstring."""

    name = "local"

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / DATABASE
        db = self._connect()
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        finally:
            db.close()

    # The Forge protocol

    def git_env(self, repo: Repo) -> dict[str, str]:
        return {}

    def find_pr(self, repo: Repo, head_branch: str) -> PullRequest | None:
        origin = _origin(repo)
        with self._transaction() as db:
            row = db.execute(
                "SELECT * FROM pull_requests WHERE origin = ? AND head_branch = ?"
                " ORDER BY number DESC LIMIT 1",
                (origin, head_branch),
            ).fetchone()
        return None if row is None else _pull_request(row, _live_heads([row]).get(origin, {}))

    def create_pr(self, repo: Repo, request: PrRequest) -> PullRequest:
        origin = _origin(repo)
        if request.head_branch == request.base_branch:
            raise ForgeError(f"{repo.full_name}: head and base are both {request.head_branch}")
        head_sha = _branch_sha(repo, request.head_branch)
        base_sha = _branch_sha(repo, request.base_branch)
        now = _now()
        with self._transaction(write=True) as db:
            taken = db.execute(
                "SELECT number FROM pull_requests"
                " WHERE origin = ? AND head_branch = ? AND state = 'open'",
                (origin, request.head_branch),
            ).fetchone()
            if taken is not None:
                raise ForgeError(
                    f"{repo.full_name}: pull request #{taken[0]} is already open"
                    f" from {request.head_branch}"
                )
            db.execute(
                "INSERT INTO repositories (origin, name, default_branch) VALUES (?, ?, ?)"
                " ON CONFLICT (origin) DO UPDATE"
                " SET name = excluded.name, default_branch = excluded.default_branch",
                (origin, repo.full_name, repo.default_branch),
            )
            number = db.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM pull_requests WHERE origin = ?",
                (origin,),
            ).fetchone()[0]
            db.execute(
                "INSERT INTO pull_requests (origin, number, title, body, state, draft, labels,"
                " reviewers, head_branch, head_sha, base_branch, base_sha, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    origin,
                    number,
                    request.title,
                    request.body,
                    int(request.draft),
                    json.dumps(list(request.labels)),
                    json.dumps(list(request.reviewers)),
                    request.head_branch,
                    head_sha,
                    request.base_branch,
                    base_sha,
                    now,
                    now,
                ),
            )
        return self.get_pr(repo, number)

    def update_pr(
        self,
        repo: Repo,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
    ) -> PullRequest:
        given = {"title": title, "body": body, "draft": None if draft is None else int(draft)}
        with self._transaction(write=True) as db:
            row = _row(db, repo, number)
            changed = {k: v for k, v in given.items() if v is not None and row[k] != v}
            if changed:
                assignments = ", ".join(f"{column} = ?" for column in changed)
                db.execute(
                    f"UPDATE pull_requests SET {assignments}, updated_at = ?"
                    " WHERE origin = ? AND number = ?",
                    (*changed.values(), _now(), row["origin"], number),
                )
        return self.get_pr(repo, number)

    def comment(self, repo: Repo, number: int, body: str, *, author: str = BOT) -> None:
        with self._transaction(write=True) as db:
            _row(db, repo, number)
            _add_comment(db, _origin(repo), number, author, body, _now())

    def close_pr(
        self, repo: Repo, number: int, comment: str, *, closed_by: str = BOT
    ) -> PullRequest:
        """Close with ``comment`` (skipped when empty); closing a closed one changes nothing."""
        heads = _branch_heads(_origin(repo))
        with self._transaction(write=True) as db:
            row = _row(db, repo, number)
            if row["state"] == PrState.MERGED.value:
                raise ForgeError(f"{repo.full_name} #{number} is merged; it cannot be closed")
            if row["state"] == PrState.OPEN.value:
                now = _now()
                head_sha = heads.get(row["head_branch"], row["head_sha"])
                if comment:
                    _add_comment(db, row["origin"], number, closed_by, comment, now)
                db.execute(
                    "UPDATE pull_requests SET state = 'closed', head_sha = ?, closed_at = ?,"
                    " closed_by = ?, updated_at = ? WHERE origin = ? AND number = ?",
                    (head_sha, now, closed_by, now, row["origin"], number),
                )
        return self.get_pr(repo, number)

    def enable_automerge(self, repo: Repo, number: int) -> None:
        """Merge as soon as the pull request is ready: not a draft, mergeable, checks passing.

        As on GitHub, a pull request that cannot be merged yet just stays open.
        """
        with self._transaction(write=True) as db:
            row = _row(db, repo, number)
            db.execute(
                "UPDATE pull_requests SET automerge = 1 WHERE origin = ? AND number = ?",
                (row["origin"], number),
            )
        self._try_automerge(repo, number)

    def status(self, repo: Repo, number: int) -> PrStatus:
        with self._transaction() as db:
            checks = json.loads(_row(db, repo, number)["checks"])
        pr = self.get_pr(repo, number)
        mergeable = None
        if pr.state is PrState.OPEN:
            mergeable = _mergeable(_origin(repo), pr.base_branch, pr.head_branch)
        return PrStatus(pr=pr, mergeable=mergeable, checks=checks)

    # Beyond the protocol: what the CLI and the campaign need of a local forge

    def get_pr(self, repo: Repo, number: int) -> PullRequest:
        with self._transaction() as db:
            row = _row(db, repo, number)
        return _pull_request(row, _live_heads([row]).get(row["origin"], {}))

    def list_prs(self, head_branch: str | None = None) -> list[tuple[str, PullRequest]]:
        """Every pull request as (repository name, pull request), by name then number."""
        query = "SELECT r.name, p.* FROM pull_requests p JOIN repositories r USING (origin)"
        if head_branch is not None:
            query += " WHERE p.head_branch = ?"
        with self._transaction() as db:
            rows = db.execute(
                query + " ORDER BY r.name, p.origin, p.number",
                () if head_branch is None else (head_branch,),
            ).fetchall()
        heads = _live_heads(rows)
        return [(row["name"], _pull_request(row, heads.get(row["origin"], {}))) for row in rows]

    def repos(self) -> list[Repo]:
        """The repositories that have pull requests, as recorded (their folders may be gone)."""
        with self._transaction() as db:
            rows = db.execute("SELECT * FROM repositories ORDER BY name, origin").fetchall()
        return [Repo(row["name"], row["origin"], row["default_branch"]) for row in rows]

    def comments(self, repo: Repo, number: int) -> list[Comment]:
        with self._transaction() as db:
            rows = db.execute(
                "SELECT author, body, created_at FROM comments"
                " WHERE origin = ? AND number = ? ORDER BY id",
                (_origin(repo), number),
            ).fetchall()
        return [Comment(*row) for row in rows]

    def record_checks(self, repo: Repo, number: int, checks: Mapping[str, str]) -> None:
        """Store the latest check results ("passed" or "success" count as passing)."""
        with self._transaction(write=True) as db:
            row = _row(db, repo, number)
            db.execute(
                "UPDATE pull_requests SET checks = ? WHERE origin = ? AND number = ?",
                (json.dumps(dict(checks)), row["origin"], number),
            )
        self._try_automerge(repo, number)

    def merge(self, repo: Repo, number: int, *, merged_by: str = BOT) -> PullRequest:
        """Merge the head into the base inside the origin with a merge commit, like GitHub's
        default; merging a merged pull request changes nothing."""
        pr = self.get_pr(repo, number)
        if pr.state is PrState.MERGED:
            return pr
        if pr.state is PrState.CLOSED:
            raise ForgeError(f"{repo.full_name} #{number} is closed")
        if pr.draft:
            raise ForgeError(f"{repo.full_name} #{number} is a draft; it cannot be merged")
        origin = _origin(repo)
        _refuse_checked_out(repo, pr.base_branch)
        base_sha = _branch_sha(repo, pr.base_branch)
        head_sha = _branch_sha(repo, pr.head_branch)
        merge_sha = _merge_commit(repo, pr, base_sha, head_sha)
        moved = _git(
            origin,
            "update-ref",
            "-m",
            f"fleetmod: merge pull request #{number}",
            f"refs/heads/{pr.base_branch}",
            merge_sha,
            base_sha,
            ok=(0, 1, 128),
        )
        if moved.returncode != 0:
            raise ForgeError(f"{repo.full_name} #{number}: {pr.base_branch} moved; merge again")
        now = _now()
        with self._transaction(write=True) as db:
            db.execute(
                "UPDATE pull_requests SET state = 'merged', head_sha = ?, merge_sha = ?,"
                " merged_at = ?, closed_at = ?, closed_by = ?, updated_at = ?"
                " WHERE origin = ? AND number = ?",
                (head_sha, merge_sha, now, now, merged_by, now, origin, number),
            )
        return self.get_pr(repo, number)

    def diff(self, repo: Repo, number: int) -> str:
        """The change a reviewer reads: the head against its merge base with the base."""
        pr = self.get_pr(repo, number)
        with self._transaction() as db:
            row = _row(db, repo, number)
        if row["merge_sha"]:
            base = f"{row['merge_sha']}^1"
        elif _branch_heads(row["origin"]).get(pr.base_branch):
            base = f"refs/heads/{pr.base_branch}"
        else:
            base = row["base_sha"]
        return _git(
            row["origin"],
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            f"{base}...{pr.head_sha}",
        ).stdout

    # Plumbing

    def _try_automerge(self, repo: Repo, number: int) -> None:
        with self._transaction() as db:
            row = _row(db, repo, number)
        checks = json.loads(row["checks"])
        ready = (
            row["automerge"]
            and row["state"] == PrState.OPEN.value
            and not row["draft"]
            and all(value in PASSING for value in checks.values())
        )
        if ready and _mergeable(row["origin"], row["base_branch"], row["head_branch"]):
            try:
                self.merge(repo, number)
            except ForgeError:
                return  # e.g. the base moved meanwhile: it stays open, as on GitHub

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=SQLITE_TIMEOUT, isolation_level=None)
        db.row_factory = sqlite3.Row
        return db

    @contextmanager
    def _transaction(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()


def _origin(repo: Repo) -> str:
    url = repo.clone_url.removeprefix("file://")
    if "://" in url:
        raise ForgeError(f"{repo.full_name}: the local forge needs a path, not {url}")
    return str(Path(url).resolve())


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _row(db: sqlite3.Connection, repo: Repo, number: int) -> sqlite3.Row:
    row = db.execute(
        "SELECT * FROM pull_requests WHERE origin = ? AND number = ?", (_origin(repo), number)
    ).fetchone()
    if row is None:
        raise ForgeError(f"{repo.full_name}: no pull request #{number}")
    return row


def _add_comment(
    db: sqlite3.Connection, origin: str, number: int, author: str, body: str, now: str
) -> None:
    db.execute(
        "INSERT INTO comments (origin, number, author, body, created_at) VALUES (?, ?, ?, ?, ?)",
        (origin, number, author, body, now),
    )
    db.execute(
        "UPDATE pull_requests SET updated_at = ? WHERE origin = ? AND number = ?",
        (now, origin, number),
    )


def _pull_request(row: sqlite3.Row, heads: Mapping[str, str]) -> PullRequest:
    state = PrState(row["state"])
    head_sha = row["head_sha"]
    if state is PrState.OPEN:
        head_sha = heads.get(row["head_branch"], head_sha)
    return PullRequest(
        number=row["number"],
        title=row["title"],
        body=row["body"],
        state=state,
        head_branch=row["head_branch"],
        base_branch=row["base_branch"],
        head_sha=head_sha,
        url=f"{Path(row['origin']).as_uri()}#pull/{row['number']}",
        draft=bool(row["draft"]),
        labels=tuple(json.loads(row["labels"])),
        reviewers=tuple(json.loads(row["reviewers"])),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        closed_at=row["closed_at"],
        merged_at=row["merged_at"],
        closed_by=row["closed_by"],
    )


def _git(
    origin: str | Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    ok: tuple[int, ...] = (0,),
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["git", "-C", str(origin), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})},
        check=False,
    )
    if proc.returncode not in ok:
        raise ForgeError(f"git {args[0]} in {origin}: {git_error_line(proc.stderr)}")
    return proc


def _live_heads(rows: Iterable[sqlite3.Row]) -> dict[str, dict[str, str]]:
    """The branch heads of every origin with an open pull request among ``rows``."""
    origins = {row["origin"] for row in rows if row["state"] == PrState.OPEN.value}
    return {origin: _branch_heads(origin) for origin in origins}


def _branch_heads(origin: str) -> dict[str, str]:
    """Branch name -> commit in ``origin``; empty when the folder is gone."""
    if not Path(origin).is_dir():
        return {}
    listing = _git(origin, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads")
    pairs = (line.split(" ", 1) for line in listing.stdout.splitlines())
    return {ref.removeprefix("refs/heads/"): sha for sha, ref in pairs}


def _branch_sha(repo: Repo, branch: str) -> str:
    origin = _origin(repo)
    proc = _git(
        origin,
        "rev-parse",
        "--verify",
        "--quiet",
        f"refs/heads/{branch}^{{commit}}",
        ok=(0, 1, 128),
    )
    if proc.returncode != 0:
        raise ForgeError(f"{repo.full_name}: branch {branch} does not exist in {origin}")
    return proc.stdout.strip()


def _merge_tree(origin: str, base: str, head: str) -> tuple[int, list[str]]:
    """merge-tree's exit code (0 clean, 1 conflicts) and its output: the tree, then the
    conflicted paths."""
    proc = _git(
        origin,
        "merge-tree",
        "--write-tree",
        "--name-only",
        "--no-messages",
        base,
        head,
        ok=(0, 1),
    )
    return proc.returncode, proc.stdout.splitlines()


def _mergeable(origin: str, base_branch: str, head_branch: str) -> bool | None:
    heads = _branch_heads(origin)
    if base_branch not in heads or head_branch not in heads:
        return None
    code, _ = _merge_tree(origin, heads[base_branch], heads[head_branch])
    return code == 0


def _merge_commit(repo: Repo, pr: PullRequest, base_sha: str, head_sha: str) -> str:
    origin = _origin(repo)
    code, lines = _merge_tree(origin, base_sha, head_sha)
    if code != 0:
        conflicts = ", ".join(lines[1:]) or "unknown paths"
        raise ForgeError(f"{repo.full_name} #{pr.number} does not merge cleanly: {conflicts}")
    message = f"Merge pull request #{pr.number} from {pr.head_branch}\n\n{pr.title}\n"
    return _git(
        origin,
        "commit-tree",
        "--no-gpg-sign",
        lines[0],
        "-p",
        base_sha,
        "-p",
        head_sha,
        "-m",
        message,
        env=MERGER,
    ).stdout.strip()


def _refuse_checked_out(repo: Repo, branch: str) -> None:
    """Moving a branch that a work tree has checked out would leave that tree stale."""
    listing = _git(_origin(repo), "worktree", "list", "--porcelain").stdout
    worktree = ""
    for line in listing.splitlines():
        if line.startswith("worktree "):
            worktree = line.removeprefix("worktree ")
        elif line == f"branch refs/heads/{branch}":
            raise ForgeError(
                f"{repo.full_name}: {branch} is checked out in {worktree}; merge there instead"
            )
