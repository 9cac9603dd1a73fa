"""Build the sample fleet as bare git repositories: the origins the local forge serves.

Every commit is made with a fixed identity and fixed dates, and without the user's or the
system's git configuration, so the same fleet has the same commit ids on every machine.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from bot.demo_fleet.repos import REPOSITORIES
from bot.demo_fleet.sample import SampleRepo

AUTHOR = ("Dana Reyes", "dana.reyes@example.com")
COMMITTED_AT = "2024-05-06T09:30:00+00:00"
COMMIT_MESSAGE = "Initial import"


def build_fleet(root: Path) -> list[Path]:
    """Create `root/<name>.git` for every sample repository that is not there yet.

    A repository that exists is returned untouched, whatever happened to it since (a
    campaign pushes branches to it), so a second demo run reuses the fleet.
    """
    root.mkdir(parents=True, exist_ok=True)
    return [_ensure(root, repo) for repo in REPOSITORIES]


def _ensure(root: Path, repo: SampleRepo) -> Path:
    origin = root / f"{repo.name}.git"
    if origin.exists():
        if not _is_bare_repository(origin):
            raise FileExistsError(f"{origin} exists and is not a bare git repository")
        return origin
    # Built aside, then renamed into place: a half-built repository is never mistaken for one.
    with tempfile.TemporaryDirectory(prefix=f".{repo.name}-", dir=root) as scratch:
        work, staged = Path(scratch, "work"), Path(scratch, "origin.git")
        _commit(work, repo)
        _git(Path(scratch), "init", "-q", "--bare", "-b", repo.branch, str(staged))
        _git(work, "push", "-q", str(staged), f"HEAD:refs/heads/{repo.branch}")
        staged.rename(origin)
    return origin


def _commit(work: Path, repo: SampleRepo) -> None:
    work.mkdir()
    _git(work, "init", "-q", "-b", repo.branch)
    for relpath, text in repo.texts().items():
        path = work / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        if relpath in repo.executable:
            path.chmod(0o755)
    _git(work, "add", "--all")
    _git(work, "commit", "-q", "-m", COMMIT_MESSAGE)


def _is_bare_repository(path: Path) -> bool:
    done = subprocess.run(
        ["git", "rev-parse", "--is-bare-repository"],
        cwd=path,
        env=_git_env(),
        capture_output=True,
        text=True,
    )
    return done.returncode == 0 and done.stdout.strip() == "true"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=_git_env(), check=True, capture_output=True)


def _git_env() -> dict[str, str]:
    """The caller's environment without its git settings, plus the fleet's fixed identity."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    name, email = AUTHOR
    return {
        **env,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": COMMITTED_AT,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_COMMITTER_DATE": COMMITTED_AT,
    }
