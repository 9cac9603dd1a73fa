"""Refs read from files agree with git, and anything unusual is left to git."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import local_refs
from bot.forges.base import Repo
from bot.forges.local import local_repo
from bot.workspace import WorkspaceError, remote_head
from tests.helpers import git, make_origin, make_repo


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    return make_origin(tmp_path / "origin.git", {"a.py": "x = 1\n"}, branch="trunk")


def test_a_bare_origin_is_read_from_its_files_like_git_reads_it(origin: Path) -> None:
    gitdir = local_refs.git_dir(str(origin))
    assert gitdir == origin
    assert local_refs.default_branch(origin) == "trunk"
    assert local_refs.resolve(origin, "refs/heads/trunk") == git(origin, "rev-parse", "trunk")


def test_packed_refs_are_read_and_a_loose_ref_wins_over_its_packed_line(
    origin: Path, tmp_path: Path
) -> None:
    git(origin, "pack-refs", "--all")
    packed = git(origin, "rev-parse", "trunk")
    assert not (origin / "refs/heads/trunk").exists()
    assert local_refs.resolve(origin, "refs/heads/trunk") == packed
    work = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "-b", "trunk", str(origin), str(work))
    identity = ("-c", "user.email=p@x", "-c", "user.name=P")
    git(work, *identity, "commit", "-q", "--allow-empty", "-m", "2")
    git(work, "push", "-q", "origin", "trunk")
    pushed = git(work, "rev-parse", "HEAD")
    assert local_refs.resolve(origin, "refs/heads/trunk") == pushed != packed


def test_a_work_tree_repository_is_read_from_its_dot_git(tmp_path: Path) -> None:
    work = make_repo(tmp_path / "work", {"a.py": "x = 1\n"})
    assert local_refs.git_dir(str(work)) == work / ".git"
    assert local_refs.default_branch(work / ".git") == "main"


@pytest.mark.parametrize(
    "case", ["detached HEAD", "reftable placeholder", "reftable config", "symbolic branch"]
)
def test_anything_unusual_is_left_to_git(origin: Path, case: str) -> None:
    if case == "detached HEAD":
        (origin / "HEAD").write_text(git(origin, "rev-parse", "trunk") + "\n")
        assert local_refs.default_branch(origin) is None
    elif case == "reftable placeholder":
        (origin / "HEAD").write_text("ref: refs/heads/.invalid\n")
        assert local_refs.default_branch(origin) is None
    elif case == "reftable config":
        git(origin, "config", "extensions.refStorage", "reftable")
        assert local_refs.git_dir(str(origin)) is None
    else:
        git(origin, "symbolic-ref", "refs/heads/alias", "refs/heads/trunk")
        assert local_refs.resolve(origin, "refs/heads/alias") is None


def test_what_is_not_a_local_repository_gets_no_answer(tmp_path: Path) -> None:
    assert local_refs.git_dir(str(tmp_path)) is None
    assert local_refs.git_dir("https://github.com/acme/alpha.git") is None
    assert local_refs.resolve(tmp_path, "refs/heads/main") is None


def test_callers_agree_with_git_whichever_way_they_read(origin: Path) -> None:
    repo = local_repo(origin)
    assert repo.default_branch == "trunk"
    assert remote_head(repo, "trunk", {}) == git(origin, "rev-parse", "trunk")
    assert remote_head(repo, "missing", {}) is None
    git(origin, "symbolic-ref", "refs/heads/alias", "refs/heads/trunk")
    assert remote_head(repo, "alias", {}) == git(origin, "rev-parse", "trunk")  # git answered
    gone = Repo(full_name="gone", clone_url=str(origin.parent / "gone.git"), default_branch="main")
    with pytest.raises(WorkspaceError, match=r"^ls-remote gone: .*not a.* git repository"):
        remote_head(gone, "main", {})
