"""Reads and writes on the bare repositories, through git itself.

The bare repository is the only copy of branches, refs and files: the REST API reads them
here, and pushes over smart HTTP change them directly.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ZERO = "0" * 40
ISOLATED = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"}


class GitError(RuntimeError):
    pass


def run(
    repo: Path, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """git on ``repo`` with no user or system configuration in the way."""
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, **ISOLATED, **(env or {})},
    )


def git(repo: Path, *args: str, stdin: bytes | None = None, ok: tuple[int, ...] = (0,)) -> str:
    done = run(repo, *args, stdin=stdin)
    if done.returncode not in ok:
        raise GitError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode(errors="surrogateescape")


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_date: str
    committer_name: str
    committer_email: str
    committer_date: str
    message: str


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str  # "added", "removed" or "modified"
    sha: str | None  # the blob after the change; None when removed
    additions: int
    deletions: int


@dataclass(frozen=True)
class Entry:
    path: str
    kind: str  # "file" or "dir"
    sha: str
    size: int

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def init_bare(path: Path, default_branch: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["git", "init", "-q", "--bare", "-b", default_branch, str(path)],
        capture_output=True,
        env={**os.environ, **ISOLATED},
    )
    if done.returncode != 0:
        raise GitError(done.stderr.decode(errors="replace").strip())


def refs(repo: Path, prefix: str = "refs/") -> dict[str, str]:
    """Every ref under ``prefix`` with the sha it points at."""
    out = git(repo, "for-each-ref", "--format=%(objectname) %(refname)", prefix)
    pairs = (line.split(" ", 1) for line in out.splitlines())
    return {name: sha for sha, name in pairs}


def branch_sha(repo: Path, branch: str) -> str | None:
    return refs(repo, f"refs/heads/{branch}").get(f"refs/heads/{branch}")


def resolve(repo: Path, rev: str) -> str | None:
    """The commit ``rev`` names (a sha, a branch, a tag), or None."""
    if rev.startswith("-"):
        return None
    out = git(
        repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", ok=(0, 1)
    )
    return out.strip() or None


def object_type(repo: Path, sha: str) -> str | None:
    out = git(repo, "cat-file", "-t", "--end-of-options", sha, ok=(0, 1, 128))
    return out.strip() or None


_FORMAT = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"


def commit_info(repo: Path, sha: str) -> CommitInfo:
    fields = git(repo, "show", "-s", f"--format={_FORMAT}", sha).split("\x00")
    full, tree, parents, an, ae, ad, cn, ce, cd = fields[:9]
    return CommitInfo(
        full, tree, tuple(parents.split()), an, ae, ad, cn, ce, cd, fields[9].rstrip("\n")
    )


def commit_files(
    repo: Path,
    branch: str,
    files: Mapping[str, str | None],
    *,
    parent: str | None,
    message: str,
    author: tuple[str, str],
) -> str:
    """Commit ``files`` (None deletes) on top of ``parent`` and point ``branch`` at it."""
    name, email = author
    stamp = f"{int(time.time())} +0000"
    lines = [f"commit refs/heads/{branch}".encode()]
    lines += [
        f"author {name} <{email}> {stamp}".encode(),
        f"committer {name} <{email}> {stamp}".encode(),
    ]
    lines += _data(message.encode())
    if parent:
        lines.append(f"from {parent}".encode())
    for path, text in files.items():
        if text is None:
            lines.append(f"D {path}".encode())
        else:
            lines.append(f"M 100644 inline {path}".encode())
            lines += _data(text.encode())
    git(repo, "fast-import", "--quiet", "--force", stdin=b"\n".join(lines) + b"\n")
    sha = branch_sha(repo, branch)
    assert sha is not None
    return sha


def _data(payload: bytes) -> list[bytes]:
    return [f"data {len(payload)}".encode() + b"\n" + payload]


def update_ref(repo: Path, ref: str, new: str, old: str | None = None) -> None:
    git(repo, "update-ref", ref, new, *([old] if old else []))


def delete_ref(repo: Path, ref: str) -> None:
    git(repo, "update-ref", "-d", ref)


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    return run(repo, "merge-base", "--is-ancestor", ancestor, descendant).returncode == 0


def merge_base(repo: Path, a: str, b: str) -> str | None:
    return git(repo, "merge-base", a, b, ok=(0, 1)).strip() or None


def rev_list(repo: Path, include: str, exclude: str | None = None, limit: int = 250) -> list[str]:
    """Commits reachable from ``include`` but not ``exclude``, oldest first."""
    args = ["rev-list", "--reverse", f"--max-count={limit}", include]
    if exclude:
        args.append(f"^{exclude}")
    return git(repo, *args).split()


def count(repo: Path, include: str, exclude: str) -> int:
    return int(git(repo, "rev-list", "--count", include, f"^{exclude}").strip())


def diff(repo: Path, base: str, head: str, *, since_fork: bool = False) -> list[FileChange]:
    """What changed from ``base`` to ``head`` file by file (no rename detection);
    ``since_fork`` compares with their merge base instead, as a pull request does."""
    revs = [f"{base}...{head}"] if since_fork else [base, head]
    out = git(repo, "diff", "-z", "--raw", "--numstat", "--no-renames", "--no-abbrev", *revs)
    tokens = iter(out.split("\x00"))
    metas, counts = [], {}
    for token in tokens:
        if token.startswith(":"):
            metas.append((token, next(tokens)))
        elif token.count("\t") == 2:
            added, deleted, path = token.split("\t")
            counts[path] = (_int(added), _int(deleted))
    changes = []
    for meta, path in metas:
        new_sha, letter = meta.split(" ")[3:5]
        status = {"A": "added", "D": "removed"}.get(letter, "modified")
        added, deleted = counts.get(path, (0, 0))
        changes.append(FileChange(path, status, None if letter == "D" else new_sha, added, deleted))
    return changes


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0  # "-" for binary files


def lookup(repo: Path, rev: str, path: str) -> Entry | None:
    """The file or directory at ``path`` in ``rev`` ("" is the root directory)."""
    if not path:
        tree = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{tree}}", ok=(0, 1)).strip()
        return Entry("", "dir", tree, 0) if tree else None
    found = _ls_tree(repo, rev, [path])
    return found[0] if found else None


def entries(repo: Path, rev: str, directory: str) -> list[Entry]:
    """The entries directly inside ``directory`` of ``rev``."""
    return _ls_tree(repo, rev, [directory.rstrip("/") + "/"] if directory else [])


def _ls_tree(repo: Path, rev: str, paths: list[str]) -> list[Entry]:
    out = git(repo, "ls-tree", "-l", "-z", rev, "--", *paths, ok=(0, 128))
    found = []
    for record in filter(None, out.split("\x00")):
        meta, path = record.split("\t", 1)
        _mode, kind, sha, size = meta.split()
        if kind in ("blob", "tree"):
            found.append(Entry(path, "file" if kind == "blob" else "dir", sha, _int(size)))
    return found


def blob(repo: Path, sha: str) -> bytes:
    done = run(repo, "cat-file", "blob", sha)
    if done.returncode != 0:
        raise GitError(f"no blob {sha}")
    return done.stdout


def merge_tree(repo: Path, base: str, head: str) -> str | None:
    """The tree of merging ``head`` into ``base``, or None when they conflict."""
    done = run(repo, "merge-tree", "--write-tree", "--no-messages", base, head)
    if done.returncode != 0:
        return None
    return done.stdout.decode().split()[0]


def commit_tree(
    repo: Path, tree: str, parents: list[str], message: str, who: tuple[str, str]
) -> str:
    name, email = who
    identity = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email}
    identity |= {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    args = ["commit-tree", tree, "-m", message]
    for parent in parents:
        args += ["-p", parent]
    done = run(repo, *args, env=identity)
    if done.returncode != 0:
        raise GitError(done.stderr.decode(errors="replace").strip())
    return done.stdout.decode().strip()
