"""The demo's sample fleet: real bare repositories, reproducible, reused as they are, whose
tests pass before the security baseline's change and, except the one built to, after it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.demo_fleet import FLEET_DESCRIPTION, REPOSITORIES, build_fleet
from codemods import engine
from codemods.files import discover
from codemods.registry import all_codemods, configure
from codemods.results import Status
from codemods.target import target_for
from tests.helpers import git

# The codemods of policies/security-baseline.yaml, the policy the demo runs.
BASELINE = ("yaml-safe-load", "requests-timeout", "subprocess-shell-true", "insecure-hash")
AVAILABLE = [name for name in BASELINE if name in all_codemods()]
COMPLIANT = "docs-site"
UNPARSEABLE = "legacy-scripts"
FAILS_AFTER_CHANGE = "shipping-rates"
NAMES = list(FLEET_DESCRIPTION)


@pytest.fixture(scope="module")
def forge(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("forge")
    return root, build_fleet(root)


def refs(origin: Path) -> str:
    return git(origin, "for-each-ref", "--format=%(refname) %(objectname)")


def clone(forge: tuple[Path, list[Path]], name: str, into: Path) -> Path:
    root, _ = forge
    subprocess.run(
        ["git", "clone", "-q", str(root / f"{name}.git"), str(into / name)],
        check=True,
        capture_output=True,
    )
    return into / name


def run_tests(repo: Path) -> subprocess.CompletedProcess[str]:
    """The repository's tests as a check would run them, without this session's pytest setup."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_one_bare_repository_per_description(forge: tuple[Path, list[Path]]) -> None:
    root, paths = forge
    assert 10 <= len(paths) <= 12
    assert paths == [root / f"{name}.git" for name in NAMES]
    assert sorted(p.name for p in root.iterdir()) == sorted(p.name for p in paths)
    for path in paths:
        assert git(path, "rev-parse", "--is-bare-repository") == "true"
    assert all(FLEET_DESCRIPTION.values())


def test_default_branches_are_not_all_main(forge: tuple[Path, list[Path]]) -> None:
    root, _ = forge
    for repo in REPOSITORIES:
        origin = root / f"{repo.name}.git"
        assert git(origin, "symbolic-ref", "--short", "HEAD") == repo.branch
        assert git(origin, "for-each-ref", "--format=%(refname)") == f"refs/heads/{repo.branch}"
    assert {repo.branch for repo in REPOSITORIES} - {"main"}


def test_every_file_is_committed_with_its_mode(forge: tuple[Path, list[Path]]) -> None:
    root, _ = forge
    for repo in REPOSITORIES:
        listing = git(root / f"{repo.name}.git", "ls-tree", "-r", "HEAD").splitlines()
        modes = {line.split("\t")[1]: line.split()[0] for line in listing}
        assert set(modes) == set(repo.files)
        assert {p for p, mode in modes.items() if mode == "100755"} == repo.executable
        readme = git(root / f"{repo.name}.git", "show", "HEAD:README.md")
        assert readme.startswith(f"# {repo.name}\n")


def test_a_second_build_changes_nothing(tmp_path: Path) -> None:
    paths = build_fleet(tmp_path)
    # What a campaign leaves behind: a pull request branch on one of the origins.
    head = git(paths[0], "rev-parse", "HEAD")
    git(paths[0], "update-ref", "refs/heads/fleetmod/security-baseline", head)
    before = {path: refs(path) for path in paths}
    assert build_fleet(tmp_path) == paths
    assert {path: refs(path) for path in paths} == before
    assert "refs/heads/fleetmod/security-baseline" in before[paths[0]]


def test_the_fleet_is_the_same_everywhere(
    forge: tuple[Path, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another user, another identity, another day: the commits must not change.
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Someone Else")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2001-01-01T00:00:00+00:00")
    _, paths = forge
    others = build_fleet(tmp_path)
    heads = [git(p, "rev-parse", "HEAD") for p in paths]
    assert [git(p, "rev-parse", "HEAD") for p in others] == heads
    # A repository that went missing is rebuilt identically, next to the untouched others.
    shutil.rmtree(others[3])
    assert [git(p, "rev-parse", "HEAD") for p in build_fleet(tmp_path)] == heads


def test_a_folder_that_is_not_a_repository_is_refused(tmp_path: Path) -> None:
    squatter = tmp_path / f"{NAMES[0]}.git"
    squatter.mkdir()
    (squatter / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a bare git repository"):
        build_fleet(tmp_path)
    assert [p.name for p in squatter.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("name", NAMES)
def test_tests_pass_before_the_change(
    forge: tuple[Path, list[Path]], tmp_path: Path, name: str
) -> None:
    done = run_tests(clone(forge, name, tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, summary


def test_the_fleet_breaks_the_baseline_as_designed(
    forge: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    codemods = [configure(name) for name in AVAILABLE]
    exercised: dict[str, set[str]] = {name: set() for name in AVAILABLE}
    for name in NAMES:
        repo = clone(forge, name, tmp_path)
        config = engine.EngineConfig(codemods, target=target_for(repo), jobs=1)
        results = engine.run(discover([repo], base=repo), config).results
        for result in results:
            for codemod in result.counts:
                exercised[codemod].add(name)
            for finding in result.findings:
                exercised[finding.codemod].add(name)
        failed = [r.path for r in results if r.status is Status.FAILED]
        acted = [r for r in results if r.status in (Status.CHANGED, Status.FINDINGS)]
        assert failed == (["scripts/rotate_logs.py"] if name == UNPARSEABLE else []), name
        assert bool(acted) is (name != COMPLIANT), name
    for codemod, repos in exercised.items():
        assert len(repos) >= 2, (codemod, repos)


@pytest.mark.parametrize("name", NAMES)
def test_tests_after_the_change(forge: tuple[Path, list[Path]], tmp_path: Path, name: str) -> None:
    if name == FAILS_AFTER_CHANGE and "requests-timeout" not in AVAILABLE:
        pytest.skip("the requests-timeout codemod does not exist yet")
    repo = clone(forge, name, tmp_path)
    selected = [arg for codemod in AVAILABLE for arg in ("-c", codemod)]
    applied = CliRunner().invoke(app, ["apply", str(repo), "--write", "--no-cache", *selected])
    assert applied.exit_code == (2 if name == UNPARSEABLE else 0), applied.output
    done = run_tests(repo)
    if name == FAILS_AFTER_CHANGE:
        assert done.returncode == 1, done.stdout
        assert "unexpected keyword argument 'timeout'" in done.stdout
    else:
        assert done.returncode == 0, done.stdout + done.stderr
