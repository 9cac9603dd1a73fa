"""The local forge against real repositories: bare origins made like a server's, branches
pushed by a person's clone, merges done by git inside the origin."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from bot.forges.base import ForgeError, PrRequest, PrState, Repo
from bot.forges.local import HUMAN, LocalForge, local_repo
from tests.helpers import git, make_origin, make_repo, push_branch

FILES = {"app.py": "import os\n\nprint(os.sep)\n", "README.md": "# app\n"}


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    return make_origin(tmp_path / "app.git", FILES)


@pytest.fixture
def forge(tmp_path: Path) -> LocalForge:
    return LocalForge(tmp_path / "state")


def request(head: str = "fleetmod/fix", **changes: object) -> PrRequest:
    fields: dict[str, object] = {
        "head_branch": head,
        "base_branch": "main",
        "title": "Fix things",
        "body": "Because.",
        "labels": ("fleetmod", "compliance"),
        "reviewers": ("alice",),
    }
    return PrRequest(**{**fields, **changes})  # type: ignore[arg-type]


def open_pr(forge: LocalForge, origin: Path, head: str = "fleetmod/fix", **changes: object):
    push_branch(origin, head, {"app.py": f"print({head!r})\n"})
    return forge.create_pr(local_repo(origin), request(head, **changes))


def test_local_repo_names_the_folder_and_reads_the_default_branch(tmp_path: Path) -> None:
    origin = make_origin(tmp_path / "svc.git", FILES, branch="trunk")
    repo = local_repo(origin)
    assert (repo.full_name, repo.clone_url, repo.default_branch) == ("svc", str(origin), "trunk")
    work = make_repo(tmp_path / "work", FILES)
    assert local_repo(work).full_name == "work"
    (work / "sub").mkdir()
    with pytest.raises(ForgeError, match="not a git repository"):
        local_repo(work / "sub")


def test_create_records_everything_and_numbers_per_repository(
    tmp_path: Path, forge: LocalForge, origin: Path
) -> None:
    head_sha = push_branch(origin, "fleetmod/fix", {"app.py": "print(1)\n"})
    repo = local_repo(origin)
    pr = forge.create_pr(repo, request(draft=True))
    assert (pr.number, pr.state, pr.title, pr.body) == (1, PrState.OPEN, "Fix things", "Because.")
    assert (pr.head_branch, pr.head_sha, pr.base_branch) == ("fleetmod/fix", head_sha, "main")
    assert (pr.draft, pr.labels, pr.reviewers) == (True, ("fleetmod", "compliance"), ("alice",))
    assert pr.created_at == pr.updated_at and pr.closed_at is None
    assert forge.get_pr(repo, 1) == pr == forge.find_pr(repo, "fleetmod/fix")
    assert open_pr(forge, origin, "other").number == 2
    second = make_origin(tmp_path / "lib.git", FILES)
    assert open_pr(forge, second).number == 1
    assert [(name, p.number) for name, p in forge.list_prs()] == [
        ("app", 1),
        ("app", 2),
        ("lib", 1),
    ]
    assert [name for name, _ in forge.list_prs(head_branch="other")] == ["app"]
    assert [r.full_name for r in forge.repos()] == ["app", "lib"]


def test_create_refuses_a_second_open_pr_and_a_missing_branch(
    forge: LocalForge, origin: Path
) -> None:
    repo = local_repo(origin)
    first = open_pr(forge, origin)
    with pytest.raises(ForgeError, match=r"#1 is already open from fleetmod/fix"):
        forge.create_pr(repo, request())
    with pytest.raises(ForgeError, match="branch nowhere does not exist"):
        forge.create_pr(repo, request("nowhere"))
    forge.close_pr(repo, first.number, "superseded")
    again = forge.create_pr(repo, request())
    assert again.number == 2
    assert forge.find_pr(repo, "fleetmod/fix") == again
    assert forge.find_pr(repo, "unknown") is None


def test_update_changes_only_what_is_given_and_only_bumps_on_change(
    forge: LocalForge, origin: Path
) -> None:
    repo = local_repo(origin)
    pr = open_pr(forge, origin)
    same = forge.update_pr(repo, pr.number, title=pr.title, body=pr.body, draft=False)
    assert same == pr
    changed = forge.update_pr(repo, pr.number, body="New body.", draft=True)
    assert (changed.title, changed.body, changed.draft) == (pr.title, "New body.", True)
    assert changed.updated_at > pr.updated_at
    assert changed.created_at == pr.created_at


def test_an_open_pr_follows_its_branch_and_closing_freezes_it(
    forge: LocalForge, origin: Path
) -> None:
    repo = local_repo(origin)
    pr = open_pr(forge, origin)
    moved = push_branch(origin, pr.head_branch, {"more.py": "x = 1\n"}, base=pr.head_branch)
    assert forge.find_pr(repo, pr.head_branch).head_sha == moved != pr.head_sha
    closed = forge.close_pr(repo, pr.number, "Not needed any more.")
    push_branch(origin, pr.head_branch, {"later.py": "y = 2\n"}, base=pr.head_branch)
    assert (closed.state, closed.closed_by, closed.head_sha) == (PrState.CLOSED, "fleetmod", moved)
    assert forge.get_pr(repo, pr.number).head_sha == moved
    assert [(c.author, c.body) for c in forge.comments(repo, pr.number)] == [
        ("fleetmod", "Not needed any more.")
    ]
    assert forge.close_pr(repo, pr.number, "again") == closed
    assert len(forge.comments(repo, pr.number)) == 1


def test_comment_is_recorded_and_bumps_updated_at(forge: LocalForge, origin: Path) -> None:
    repo = local_repo(origin)
    pr = open_pr(forge, origin)
    forge.comment(repo, pr.number, "Rebased on main.")
    assert [c.body for c in forge.comments(repo, pr.number)] == ["Rebased on main."]
    assert forge.get_pr(repo, pr.number).updated_at > pr.updated_at
    with pytest.raises(ForgeError, match="no pull request #9"):
        forge.comment(repo, 9, "?")


def test_merge_writes_a_merge_commit_into_the_base(forge: LocalForge, origin: Path) -> None:
    repo = local_repo(origin)
    pr = open_pr(forge, origin)
    main_moved = push_branch(origin, "main", {"README.md": "# app, moved on\n"})
    assert forge.status(repo, pr.number).mergeable is True
    merged = forge.merge(repo, pr.number, merged_by=HUMAN)
    assert (merged.state, merged.closed_by) == (PrState.MERGED, HUMAN)
    assert merged.merged_at and merged.closed_at
    tip = git(origin, "rev-parse", "main")
    assert git(origin, "rev-parse", "main^1", "main^2").split() == [main_moved, pr.head_sha]
    assert git(origin, "show", "main:app.py") == "print('fleetmod/fix')"
    assert git(origin, "show", "main:README.md") == "# app, moved on"
    assert "Merge pull request #1 from fleetmod/fix" in git(origin, "log", "-1", "--format=%B")
    assert forge.merge(repo, pr.number) == merged
    assert git(origin, "rev-parse", "main") == tip
    assert forge.status(repo, pr.number).mergeable is None
    with pytest.raises(ForgeError, match="is merged"):
        forge.close_pr(repo, pr.number, "too late")


def test_a_conflict_is_reported_and_nothing_moves(forge: LocalForge, origin: Path) -> None:
    repo = local_repo(origin)
    pr = open_pr(forge, origin)
    main_tip = push_branch(origin, "main", {"app.py": "print('main')\n"})
    assert forge.status(repo, pr.number).mergeable is False
    with pytest.raises(ForgeError, match=r"#1 does not merge cleanly: app\.py"):
        forge.merge(repo, pr.number)
    assert git(origin, "rev-parse", "main") == main_tip
    assert forge.get_pr(repo, pr.number).state is PrState.OPEN


def test_merge_refuses_drafts_and_closed_prs(forge: LocalForge, origin: Path) -> None:
    repo = local_repo(origin)
    draft = open_pr(forge, origin, draft=True)
    with pytest.raises(ForgeError, match="is a draft"):
        forge.merge(repo, draft.number)
    forge.close_pr(repo, draft.number, "")
    assert forge.comments(repo, draft.number) == []
    with pytest.raises(ForgeError, match="is closed"):
        forge.merge(repo, draft.number)


def test_non_bare_origin_takes_pushes_but_refuses_to_move_its_checkout(
    tmp_path: Path, forge: LocalForge
) -> None:
    origin = make_repo(tmp_path / "checkout", FILES)
    open_pr(forge, origin)
    repo = local_repo(origin)
    with pytest.raises(ForgeError, match=r"main is checked out in .*checkout"):
        forge.merge(repo, 1)
    git(origin, "checkout", "-q", "-b", "elsewhere")
    assert forge.merge(repo, 1).state is PrState.MERGED
    assert git(origin, "show", "main:app.py") == "print('fleetmod/fix')"


def test_checks_and_automerge(forge: LocalForge, origin: Path) -> None:
    repo = local_repo(origin)
    pr = open_pr(forge, origin)
    forge.record_checks(repo, pr.number, {"tests": "failed", "lint": "passed"})
    forge.enable_automerge(repo, pr.number)
    status = forge.status(repo, pr.number)
    assert (status.pr.state, dict(status.checks)) == (
        PrState.OPEN,
        {"tests": "failed", "lint": "passed"},
    )
    forge.record_checks(repo, pr.number, {"tests": "passed", "lint": "passed"})
    assert forge.get_pr(repo, pr.number).state is PrState.MERGED
    draft = open_pr(forge, origin, "fleetmod/draft", draft=True)
    forge.enable_automerge(repo, draft.number)
    assert forge.get_pr(repo, draft.number).state is PrState.OPEN


def test_diff_shows_the_change_before_and_after_merge(forge: LocalForge, origin: Path) -> None:
    repo = local_repo(origin)
    pr = open_pr(forge, origin)
    push_branch(origin, "main", {"README.md": "# unrelated change on main\n"})
    before = forge.diff(repo, pr.number)
    assert "-print(os.sep)" in before and "+print('fleetmod/fix')" in before
    assert "unrelated" not in before
    forge.merge(repo, pr.number)
    assert forge.diff(repo, pr.number) == before


def test_threads_get_distinct_numbers_and_one_pr_per_head(forge: LocalForge, origin: Path) -> None:
    repo = local_repo(origin)
    for n in range(8):
        push_branch(origin, f"b{n}", {"app.py": f"print({n})\n"})
    errors: list[Exception] = []

    def create(head: str) -> None:
        try:
            forge.create_pr(repo, request(head))
        except ForgeError as exc:
            errors.append(exc)

    heads = [f"b{n}" for n in range(8)] + ["b0"] * 4
    threads = [threading.Thread(target=create, args=(head,)) for head in heads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = sorted(pr.number for _, pr in forge.list_prs())
    assert numbers == list(range(1, 9))
    assert len(errors) == 4 and all("already open" in str(e) for e in errors)


def test_two_processes_share_the_database(tmp_path: Path, origin: Path) -> None:
    for n in range(10):
        push_branch(origin, f"p{n}", {"app.py": f"print({n})\n"})
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from bot.forges.base import PrRequest
        from bot.forges.local import LocalForge, local_repo
        forge = LocalForge(Path(sys.argv[1]))
        repo = local_repo(Path(sys.argv[2]))
        for head in sys.argv[3:]:
            forge.create_pr(repo, PrRequest(head, "main", head, ""))
            forge.comment(repo, forge.find_pr(repo, head).number, "hello")
        """
    )
    state = tmp_path / "shared-state"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(state), str(origin), *(f"p{n}" for n in part)]
        )
        for part in (range(0, 10, 2), range(1, 10, 2))
    ]
    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    prs = LocalForge(state).list_prs()
    assert sorted(pr.number for _, pr in prs) == list(range(1, 11))
    assert sorted(pr.head_branch for _, pr in prs) == sorted(f"p{n}" for n in range(10))


def test_git_env_is_empty_and_urls_are_refused(forge: LocalForge) -> None:
    remote = Repo("x", "https://example.com/x.git", "main")
    assert forge.git_env(remote) == {}
    with pytest.raises(ForgeError, match="needs a path"):
        forge.find_pr(remote, "b")
