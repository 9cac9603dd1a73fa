"""Working copies of the fleet's repositories: a clone cache, a clean branch per run, commit
and a push that never overwrites anyone else's work.

Each repository is cloned once under ``state_dir / "workspaces"`` and fetched on later runs;
`prepare` then resets it to the remote default branch, so whatever an interrupted run left
behind never leaks into the next change. Authentication comes only from the environment the
forge supplies: no token is ever written into a URL or into .git/config, and nothing here
touches the user's global git configuration.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import git

from bot import local_refs
from bot.forges.base import Repo
from bot.policy import branch_problem

WORK_BRANCH = "fleetmod-workspace"
LOCK_TIMEOUT = 600.0
_CREDENTIALS = re.compile(r"([a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)
_QUIET_PREFIXES = ("hint:", "Cloning into", "remote: Enumerating", "remote: Counting")


class WorkspaceError(RuntimeError):
    """A git operation failed; the message is one line, safe to show (no credentials)."""


class CommitInfo(NamedTuple):
    sha: str
    author_email: str
    message: str


def git_error_line(stderr: str) -> str:
    """The line of git's stderr that says what went wrong, credentials in URLs masked."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(_QUIET_PREFIXES)]
    errors = [line for line in useful if line.startswith(("fatal:", "error:"))]
    line = (errors or useful or ["git failed without a message"])[0]
    return mask_credentials(line.removeprefix("fatal: ").removeprefix("error: "))


def mask_credentials(text: str) -> str:
    """``https://user:token@host`` -> ``https://***@host``: a line that quotes a URL is safe."""
    return _CREDENTIALS.sub(r"\1***@", text)


def safe_name(repo: Repo) -> str:
    """A folder name per clone URL: readable, and distinct for two repos of the same name."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", repo.full_name).strip("._") or "repo"
    digest = hashlib.sha256(repo.clone_url.encode()).hexdigest()[:10]
    return f"{readable}-{digest}"


class WorkspaceCache:
    """The clone cache; one `Workspace` per repository at a time, across threads and processes."""

    def __init__(self, state_dir: Path, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.root = state_dir / "workspaces"
        self.lock_timeout = lock_timeout

    def path_for(self, repo: Repo) -> Path:
        return self.root / safe_name(repo)

    def prepare(self, repo: Repo, env: Mapping[str, str]) -> Workspace:
        """A clean checkout of the remote default branch on the local branch WORK_BRANCH.

        The workspace is locked until closed: use it as a context manager.
        """
        path = self.path_for(repo)
        self.root.mkdir(parents=True, exist_ok=True)
        lock = _acquire(path.parent / f"{path.name}.lock", self.lock_timeout, repo)
        try:
            git_env = {**env, "GIT_TERMINAL_PROMPT": "0"}
            workspace = Workspace(repo, path, _open_or_clone(repo, path, git_env), lock)
            workspace.reset()
        except BaseException:
            os.close(lock)
            raise
        return workspace


@dataclass
class Workspace:
    repo: Repo
    path: Path
    git_repo: git.Repo
    lock: int | None = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the lock (the clone stays, for the next run)."""
        self.git_repo.close()
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None

    def reset(self) -> None:
        """Back to the remote default branch: tracked edits, untracked and ignored files go."""
        start = f"refs/remotes/origin/{self.repo.default_branch}"
        if not self._has(start):
            raise WorkspaceError(
                f"prepare {self.repo.full_name}: origin has no branch {self.repo.default_branch}"
            )
        self._git(
            "prepare", "checkout", "--quiet", "--force", "--no-track", "-B", WORK_BRANCH, start
        )
        self._git("prepare", "reset", "--quiet", "--hard", start)
        self._git("prepare", "clean", "-ffdxq")
        self._remove_other_worktrees()

    def _remove_other_worktrees(self) -> None:
        """A run killed while a check ran on the base left that temporary checkout behind."""
        self._git("prepare", "worktree", "prune")
        listing = self._git("prepare", "worktree", "list", "--porcelain").splitlines()
        paths = [line.removeprefix("worktree ") for line in listing if line.startswith("worktree ")]
        for path in paths[1:]:  # the first is this clone's own work tree
            self._git("prepare", "worktree", "remove", "--force", path)

    def default_head(self) -> str:
        """The remote default branch's commit as of the last fetch (the start of this run)."""
        return self._rev_parse(f"refs/remotes/origin/{self.repo.default_branch}")

    def remote_branch_head(self, branch: str) -> str | None:
        """The branch's commit on the remote right now (not the cached tracking ref); its
        commits are fetched when missing, so `commits_on` and `tree_of` can read them."""
        ref = f"refs/heads/{branch}"
        sha = _listed_sha(self._git("ls-remote", "ls-remote", "origin", ref), ref)
        if sha is None or self._has(sha):
            return sha
        tracking = f"refs/remotes/origin/{branch}"
        self._git("fetch", "fetch", "--quiet", "--no-tags", "origin", f"+{ref}:{tracking}")
        return self._rev_parse(tracking)

    def changed_files(self) -> list[str]:
        """Paths that differ from HEAD in the work tree: modified, deleted, new (not ignored)."""
        status = self._git(
            "status", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"
        )
        return sorted(entry[3:] for entry in status.split("\0") if entry)

    def commit(
        self,
        message: str,
        author_name: str,
        author_email: str,
        paths: Sequence[str] | None = None,
    ) -> str:
        """Commit every change, or only ``paths`` (so check artifacts stay out), as the policy's
        author and committer, whatever the machine's git configuration says."""
        literal = {"GIT_LITERAL_PATHSPECS": "1"}
        if paths is None:
            self._git("commit", "add", "--all")
        else:
            self._git("commit", "reset", "--quiet")
            self._git("commit", "add", "--all", "--", *paths, env=literal)
        if self._staged_nothing():
            raise WorkspaceError(f"commit {self.repo.full_name}: nothing to commit")
        identity = {
            "GIT_AUTHOR_NAME": author_name,
            "GIT_AUTHOR_EMAIL": author_email,
            "GIT_COMMITTER_NAME": author_name,
            "GIT_COMMITTER_EMAIL": author_email,
        }
        self._git(
            "commit",
            "commit",
            "--quiet",
            "--no-verify",
            "--no-gpg-sign",
            "--cleanup=whitespace",
            "-m",
            message,
            env=identity,
        )
        return self._rev_parse("HEAD")

    def push(self, branch: str, expected_remote: str | None) -> None:
        """Push HEAD to ``branch`` only if the remote branch is still ``expected_remote``
        (None: it must not exist), so a branch someone else moved is never overwritten."""
        name = self.repo.full_name
        problem = branch_problem(branch)
        if branch == self.repo.default_branch:
            problem = f"{branch!r} is the default branch; the bot never pushes there"
        if problem:
            raise WorkspaceError(f"push {name}: {problem}")
        ref = f"refs/heads/{branch}"
        code, out, err = self.git_repo.git.push(
            "--porcelain",
            f"--force-with-lease={ref}:{expected_remote or ''}",
            "origin",
            f"HEAD:{ref}",
            with_extended_output=True,
            with_exceptions=False,
        )
        if code == 0:
            return
        rejected = [line.split("\t") for line in out.splitlines() if line.startswith("!\t")]
        if rejected and "stale info" in rejected[0][-1]:
            was = expected_remote[:12] if expected_remote else "absent"
            raise WorkspaceError(
                f"push {name}: {branch} changed on the remote (expected {was}); not overwritten"
            )
        reason = mask_credentials(rejected[0][-1]) if rejected else git_error_line(err)
        raise WorkspaceError(f"push {name}: {branch}: {reason}")

    def commits_on(self, branch_ref: str, base_ref: str) -> list[CommitInfo]:
        """The commits reachable from ``branch_ref`` but not ``base_ref``, newest first."""
        log = self._git(
            "log",
            "log",
            "--no-show-signature",
            "--format=%H%x00%ae%x00%B%x1e",
            f"{base_ref}..{branch_ref}",
            "--",
        )
        records = (record.strip("\n") for record in log.split("\x1e"))
        return [CommitInfo(*record.split("\0", 2)) for record in records if record]

    def diff_against(self, ref: str, paths: Sequence[str] | None = None) -> str:
        """The unified diff from ``ref`` to the work tree, new files included; the real index
        is left alone (a scratch copy is staged)."""
        with tempfile.TemporaryDirectory(prefix="fleetmod-index-") as scratch:
            index = Path(scratch) / "index"
            real_index = self.path / ".git" / "index"
            if real_index.exists():
                shutil.copyfile(real_index, index)
            env = {"GIT_INDEX_FILE": str(index), "GIT_LITERAL_PATHSPECS": "1"}
            self._git("diff", "add", "--all", "--", *(paths or ()), env=env)
            return self._git(
                "diff",
                "diff",
                "--cached",
                "--no-color",
                "--no-ext-diff",
                "--src-prefix=a/",
                "--dst-prefix=b/",
                ref,
                "--",
                env=env,
                strip_newline_in_stdout=False,
            )

    def tree_of(self, ref: str) -> str:
        return self._rev_parse(f"{ref}^{{tree}}")

    def _rev_parse(self, ref: str) -> str:
        return self._git("rev-parse", "rev-parse", "--verify", "--end-of-options", ref)

    def _has(self, ref: str) -> bool:
        code, _, _ = self.git_repo.git.rev_parse(
            "--verify",
            "--quiet",
            f"{ref}^{{commit}}",
            with_extended_output=True,
            with_exceptions=False,
        )
        return code == 0

    def _staged_nothing(self) -> bool:
        code, _, _ = self.git_repo.git.diff(
            "--cached", "--quiet", with_extended_output=True, with_exceptions=False
        )
        return code == 0

    def _git(self, operation: str, command: str, *args: str, **kwargs: Any) -> str:
        with _errors(operation, self.repo.full_name):
            return getattr(self.git_repo.git, command.replace("-", "_"))(*args, **kwargs)


@contextmanager
def _errors(operation: str, name: str) -> Iterator[None]:
    """git's failures as one safe line: `<operation> <repo>: <what git said>`."""
    try:
        yield
    except git.GitCommandError as exc:
        stderr = str(exc.stderr).strip().removeprefix("stderr: '").removesuffix("'")
        raise WorkspaceError(f"{operation} {name}: {git_error_line(stderr)}") from exc


def _remove_stale_locks(git_dir: Path) -> None:
    """A git process killed mid-run (a cancelled job, the OOM killer) leaves its lock files
    behind, and every later git command on the clone would fail on them. The workspace lock
    is ours, so no other run is working in this clone."""
    for lock in [*git_dir.glob("*.lock"), *(git_dir / "refs").rglob("*.lock")]:
        lock.unlink(missing_ok=True)


def _open_or_clone(repo: Repo, path: Path, env: dict[str, str]) -> git.Repo:
    if (path / ".git").is_dir():
        _remove_stale_locks(path / ".git")
        try:
            existing = git.Repo(path)
        except git.InvalidGitRepositoryError:
            shutil.rmtree(path)
        else:
            existing.git.update_environment(**env)
            with _errors("fetch", repo.full_name):
                existing.git.fetch(
                    "--quiet", "--prune", "origin", "+refs/heads/*:refs/remotes/origin/*"
                )
            return existing
    elif path.exists():
        shutil.rmtree(path)
    return _clone(repo, path, env)


def _clone(repo: Repo, path: Path, env: dict[str, str]) -> git.Repo:
    """Clone next to ``path`` and rename, so an interrupted clone never looks like a clone."""
    for stale in path.parent.glob(f"{path.name}.cloning-*"):
        shutil.rmtree(stale, ignore_errors=True)
    scratch = path.parent / f"{path.name}.cloning-{os.getpid()}"
    options = ["--no-checkout"]
    if _is_url(repo.clone_url):
        options.append("--filter=blob:none")
    with _errors("clone", repo.full_name):
        git.Repo.clone_from(repo.clone_url, scratch, env=env, multi_options=options).close()
    scratch.rename(path)
    cloned = git.Repo(path)
    cloned.git.update_environment(**env)
    return cloned


def _is_url(clone_url: str) -> bool:
    """A network remote (https://, ssh://, git@host:path), where a partial clone pays off."""
    if clone_url.startswith("file://"):
        return False
    return "://" in clone_url or re.match(r"^[\w.-]+@[\w.-]+:", clone_url) is not None


def _acquire(lock_path: Path, timeout: float, repo: Repo) -> int:
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return descriptor
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(descriptor)
                raise WorkspaceError(
                    f"prepare {repo.full_name}: the workspace is in use by another run"
                ) from None
            time.sleep(0.1)


def remote_head(repo: Repo, branch: str, env: Mapping[str, str]) -> str | None:
    """The commit ``branch`` points at in the origin now, without a clone: one ls-remote.

    This is what lets a rerun skip a repository whose default branch has not moved.
    """
    ref = f"refs/heads/{branch}"
    gitdir = local_refs.git_dir(repo.clone_url)
    if gitdir is not None and (sha := local_refs.resolve(gitdir, ref)) is not None:
        return sha
    with _errors("ls-remote", repo.full_name):
        listing = git.cmd.Git().execute(
            ["git", "ls-remote", "--", repo.clone_url, ref],
            env={**os.environ, **env, "GIT_TERMINAL_PROMPT": "0"},
        )
    return _listed_sha(str(listing), ref)


def _listed_sha(listing: str, ref: str) -> str | None:
    """The commit of exactly ``ref`` in ls-remote's output (its patterns match ref tails)."""
    for line in listing.splitlines():
        sha, _, name = line.partition("\t")
        if name == ref:
            return sha
    return None
