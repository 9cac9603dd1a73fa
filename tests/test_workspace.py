"""The clone cache and the git work of one repository, on real bare origins."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.forges.base import Repo
from bot.forges.local import local_repo
from bot.workspace import (
    WORK_BRANCH,
    WorkspaceCache,
    WorkspaceError,
    git_error_line,
    remote_head,
)
from tests.helpers import git, make_origin, push_branch

FILES = {"app.py": "print('app')\n", "lib/util.py": "X = 1\n", ".gitignore": "*.log\n"}
BOT = ("fleetmod", "fleetmod@users.noreply.github.com")


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    return make_origin(tmp_path / "app.git", FILES)


@pytest.fixture
def cache(tmp_path: Path) -> WorkspaceCache:
    return WorkspaceCache(tmp_path / "state", lock_timeout=0.3)


@pytest.fixture
def hostile_git_config(tmp_path: Path, origin: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine whose git identity and signing settings must not leak into commits (set up
    after the origin, whose helpers would trip over it)."""
    config = tmp_path / "home" / ".gitconfig"
    config.parent.mkdir()
    config.write_text(
        "[user]\n\tname = Machine\n\temail = machine@example.com\n"
        "[commit]\n\tgpgsign = true\n\tcleanup = strip\n[gpg]\n\tprogram = false\n"
    )
    monkeypatch.setenv("HOME", str(config.parent))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    return config


def test_first_prepare_clones_and_checks_out_the_default_branch(
    cache: WorkspaceCache, origin: Path
) -> None:
    with cache.prepare(local_repo(origin), {}) as ws:
        assert ws.path.parent == cache.root
        assert (ws.path / "lib" / "util.py").read_text() == "X = 1\n"
        assert git(ws.path, "branch", "--show-current") == WORK_BRANCH
        assert (
            ws.default_head()
            == git(origin, "rev-parse", "main")
            == git(ws.path, "rev-parse", "HEAD")
        )
        assert ws.changed_files() == []


def test_rerun_fetches_and_wipes_what_an_interrupted_run_left(
    cache: WorkspaceCache, origin: Path
) -> None:
    repo = local_repo(origin)
    push_branch(origin, "gone", {"x.py": "x\n"})
    with cache.prepare(repo, {}) as ws:
        (ws.path / "app.py").write_text("half-done edit\n")
        (ws.path / "new.py").write_text("leftover\n")
        (ws.path / "debug.log").write_text("ignored leftover\n")
        git(ws.path, "add", "new.py")
        (ws.path / ".git" / "index.lock").write_text("")
    git(origin, "branch", "-D", "gone")
    upstream = push_branch(origin, "main", {"lib/util.py": "X = 2\n"})
    with cache.prepare(repo, {}) as ws:
        assert ws.default_head() == upstream == git(ws.path, "rev-parse", "HEAD")
        assert (ws.path / "app.py").read_text() == "print('app')\n"
        assert (ws.path / "lib" / "util.py").read_text() == "X = 2\n"
        assert not (ws.path / "new.py").exists() and not (ws.path / "debug.log").exists()
        assert ws.changed_files() == []
        assert "origin/gone" not in git(ws.path, "branch", "-r")


def test_broken_cache_entries_are_recloned(cache: WorkspaceCache, origin: Path) -> None:
    repo = local_repo(origin)
    path = cache.path_for(repo)
    path.mkdir(parents=True)
    (path / "half-written.py").write_text("")
    stale_clone = path.with_name(f"{path.name}.cloning-4242")
    stale_clone.mkdir()
    with cache.prepare(repo, {}) as ws:
        assert (ws.path / "app.py").exists() and not (ws.path / "half-written.py").exists()
    assert not stale_clone.exists()


def test_one_run_at_a_time_per_workspace(cache: WorkspaceCache, origin: Path) -> None:
    repo = local_repo(origin)
    with cache.prepare(repo, {}), pytest.raises(WorkspaceError, match="in use by another run"):
        cache.prepare(repo, {})
    with cache.prepare(repo, {}) as ws:
        assert ws.default_head()


def test_changed_files_and_commit_as_the_policy_author(
    cache: WorkspaceCache, origin: Path, hostile_git_config: Path
) -> None:
    before = hostile_git_config.read_text()
    with cache.prepare(local_repo(origin), {}) as ws:
        (ws.path / "app.py").write_text("print('fixed')\n")
        (ws.path / "lib" / "util.py").unlink()
        (ws.path / "lib" / "new.py").write_text("Y = 1\n")
        (ws.path / "run.log").write_text("ignored\n")
        assert ws.changed_files() == ["app.py", "lib/new.py", "lib/util.py"]
        message = "Fix app\n\n#123 stays: no comment stripping\n"
        sha = ws.commit(message, *BOT)
        identity = git(ws.path, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%B")
        assert identity == f"{BOT[0]} <{BOT[1]}>|{BOT[0]} <{BOT[1]}>|{message.strip()}"
        assert sha == git(ws.path, "rev-parse", "HEAD")
        assert ws.changed_files() == []
        with pytest.raises(WorkspaceError, match="nothing to commit"):
            ws.commit("again", *BOT)
    assert hostile_git_config.read_text() == before


def test_commit_of_named_paths_leaves_check_artifacts_out(
    cache: WorkspaceCache, origin: Path
) -> None:
    with cache.prepare(local_repo(origin), {}) as ws:
        (ws.path / "app.py").write_text("print('fixed')\n")
        (ws.path / "coverage.xml").write_text("<coverage/>\n")
        (ws.path / "[weird].py").write_text("z = 0\n")
        ws.commit("Fix", *BOT, paths=["app.py", "[weird].py"])
        committed = git(ws.path, "show", "--name-only", "--format=", "HEAD").split()
        assert committed == ["[weird].py", "app.py"]
        assert ws.changed_files() == ["coverage.xml"]


def test_push_creates_then_updates_only_what_it_expects(
    cache: WorkspaceCache, origin: Path
) -> None:
    repo = local_repo(origin)
    branch = "fleetmod/fix"
    with cache.prepare(repo, {}) as ws:
        assert ws.remote_branch_head(branch) is None
        (ws.path / "app.py").write_text("print('v1')\n")
        first = ws.commit("v1", *BOT)
        ws.push(branch, None)
        assert ws.remote_branch_head(branch) == first == git(origin, "rev-parse", branch)
    with cache.prepare(repo, {}) as ws:
        (ws.path / "app.py").write_text("print('v2')\n")
        second = ws.commit("v2", *BOT)
        with pytest.raises(WorkspaceError, match="changed on the remote"):
            ws.push(branch, None)
        ws.push(branch, first)
        assert git(origin, "rev-parse", branch) == second


def test_push_never_overwrites_a_branch_someone_else_moved(
    cache: WorkspaceCache, origin: Path
) -> None:
    repo = local_repo(origin)
    branch = "fleetmod/fix"
    with cache.prepare(repo, {}) as ws:
        (ws.path / "app.py").write_text("print('bot')\n")
        ours = ws.commit("bot change", *BOT)
        ws.push(branch, None)
        human = push_branch(origin, branch, {"NOTES.md": "mine\n"}, base=branch, email="h@x.org")
        (ws.path / "app.py").write_text("print('bot again')\n")
        ws.commit("bot change again", *BOT)
        with pytest.raises(WorkspaceError) as refused:
            ws.push(branch, ours)
        assert "\n" not in str(refused.value)
        assert f"expected {ours[:12]}" in str(refused.value)
        assert git(origin, "rev-parse", branch) == human
        remote = ws.remote_branch_head(branch)
        assert remote == human
        commits = ws.commits_on(remote, ws.default_head())
        assert [(c.sha, c.author_email) for c in commits] == [(human, "h@x.org"), (ours, BOT[1])]
        assert commits[1].message == "bot change"


@pytest.mark.parametrize("branch", ["main", "master", "release/1.0"])
def test_push_refuses_default_and_protected_branches(
    cache: WorkspaceCache, origin: Path, branch: str
) -> None:
    with cache.prepare(local_repo(origin), {}) as ws:
        (ws.path / "app.py").write_text("print('x')\n")
        ws.commit("x", *BOT)
        with pytest.raises(WorkspaceError, match="never pushes there"):
            ws.push(branch, None)
    assert git(origin, "branch", "--list", branch) in ("", "* main")
    assert git(origin, "log", "-1", "--format=%s", "main") == "initial"


def test_diff_against_includes_new_files_and_leaves_the_index_alone(
    cache: WorkspaceCache, origin: Path
) -> None:
    with cache.prepare(local_repo(origin), {}) as ws:
        (ws.path / "app.py").write_text("print('fixed')\n")
        (ws.path / "added.py").write_text("NEW = True\n")
        diff = ws.diff_against(ws.default_head())
        assert "--- a/app.py" in diff and "+print('fixed')" in diff
        assert "+++ b/added.py" in diff and "+NEW = True" in diff
        assert git(ws.path, "diff", "--cached", "--name-only") == ""
        assert diff.endswith("\n")
        check = subprocess.run(
            ["git", "apply", "--check", "-R"],
            input=diff,
            text=True,
            cwd=ws.path,
            capture_output=True,
            check=False,
        )
        assert check.returncode == 0, check.stderr
        assert "added.py" not in ws.diff_against(ws.default_head(), paths=["app.py"])
        sha = ws.commit("fix", *BOT)
        assert ws.diff_against(ws.default_head()) == diff
        assert ws.tree_of(sha) == git(ws.path, "rev-parse", "HEAD^{tree}") != ws.tree_of("HEAD~1")


def test_clone_errors_are_one_safe_line(tmp_path: Path, cache: WorkspaceCache) -> None:
    missing = Repo("ghost", str(tmp_path / "ghost.git"), "main")
    with pytest.raises(WorkspaceError, match=r"^clone ghost: .*ghost\.git.* does not exist"):
        cache.prepare(missing, {})
    secret = Repo("svc", "https://user:s3cret-token@127.0.0.1:9/svc.git", "main")
    with pytest.raises(WorkspaceError) as refused:
        cache.prepare(secret, {})
    message = str(refused.value)
    assert message.startswith("clone svc: ") and "\n" not in message
    assert "s3cret" not in message


def test_git_error_line_picks_the_error_and_masks_credentials() -> None:
    stderr = "Cloning into 'x'...\nhint: try this\nfatal: unable to access 'https://u:tok@h/r/'\n"
    assert git_error_line(stderr) == "unable to access 'https://***@h/r/'"


def test_authentication_comes_from_the_env_and_is_never_stored(
    cache: WorkspaceCache, origin: Path
) -> None:
    """The forge's env reaches every git command (clone, fetch, push) and stays out of
    .git/config: here it rewrites a fake URL, as a credential helper env would authenticate."""
    env = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{origin}.insteadOf",
        "GIT_CONFIG_VALUE_0": "https://forge.invalid/app.git",
    }
    repo = Repo("app", "https://forge.invalid/app.git", "main")
    with cache.prepare(repo, env) as ws:
        (ws.path / "app.py").write_text("print('via env')\n")
        sha = ws.commit("via env", *BOT)
        ws.push("fleetmod/env", None)
        config = (ws.path / ".git" / "config").read_text()
    assert git(origin, "rev-parse", "fleetmod/env") == sha
    assert str(origin) not in config and "https://forge.invalid/app.git" in config
    with cache.prepare(repo, env) as ws:
        assert ws.remote_branch_head("fleetmod/env") == sha
    with pytest.raises(WorkspaceError, match=r"^fetch app: "):
        cache.prepare(repo, {})


def test_remote_heads_match_the_branch_exactly(cache: WorkspaceCache, origin: Path) -> None:
    """ls-remote matches ref tails: a/refs/heads/fix, listed first, must not pass for fix."""
    decoy = push_branch(origin, "a/refs/heads/fix", {"app.py": "print('decoy')\n"})
    real = push_branch(origin, "fix", {"app.py": "print('real')\n"})
    repo = local_repo(origin)
    assert remote_head(repo, "fix", {}) == real != decoy
    assert remote_head(repo, "missing", {}) is None
    with cache.prepare(repo, {}) as ws:
        assert ws.remote_branch_head("fix") == real
