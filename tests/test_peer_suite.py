"""A peer's own test suite judges our rewrite: click 8.1.8, modernised by the shipped policy.

click is fully typed (``t.List``, ``t.Optional`` in ~500 annotations, evaluated at import)
and its sdist ships 650 tests that need nothing but pytest and no network. The test
installs click from its source tree into a fresh virtual environment (editable, with its
pinned test requirements, from PyPI), runs its suite, applies every step of
policies/python-modernize.yaml exactly as a campaign does (``bot.rewrite.apply_steps``:
the codemods at the policy's target, then its ruff step), and runs the suite again: every
test must end as it did before. Numbers are printed (``pytest -s``) for the README.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from bot.policy import load_policy
from bot.rewrite import apply_steps
from tests.corpus import sdist_source
from tests.helpers import git

pytestmark = pytest.mark.slow

POLICY = Path(__file__).resolve().parents[1] / "policies" / "python-modernize.yaml"
PROJECT, VERSION = "click", "8.1.8"
TEST_REQUIREMENTS = "requirements/tests.txt"  # the project's own pins (pytest 8.3.4)


def _run(command: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _checkout(tmp_path: Path) -> Path:
    """The sdist as a repository with one commit, as a campaign would clone it."""
    work = tmp_path / f"{PROJECT}-{VERSION}"
    shutil.copytree(sdist_source(PROJECT, VERSION), work)
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm", "sdist")
    return work


def _venv(tmp_path: Path, work: Path) -> Path:
    """A fresh environment holding the project (editable: it sees rewrites) and its test pins."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    done = _run([*install, "-e", str(work), "-r", str(work / TEST_REQUIREMENTS)], work, 600)
    assert done.returncode == 0, done.stderr[-3000:]
    return python


def _suite(python: Path, work: Path, report: Path) -> dict[str, str]:
    """Every test's outcome (passed, failed, error, skipped), read from pytest's JUnit XML."""
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"]
    done = _run([*command, "tests"], work, 600)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = (kinds or ["passed"])[0]
    return outcomes


def _modernise(work: Path) -> dict[str, Counter[str]]:
    """Apply the policy's steps like a campaign does; per step: files changed and rewrites."""
    policy = load_policy(POLICY)
    changes = apply_steps(policy, f"local/{PROJECT}", work, dt.date.today())
    assert changes.failed == [], changes.failed
    steps: dict[str, Counter[str]] = {}
    for counts in changes.counts.values():
        for step, count in counts.items():
            steps.setdefault(step, Counter()).update(files=1, rewrites=count)
    return steps


def test_click_suite_passes_as_before_after_python_modernize(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The policy's ruff step runs `ruff` from PATH: the one installed beside this Python.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    started = time.perf_counter()
    work = _checkout(tmp_path)
    python = _venv(tmp_path, work)
    set_up = time.perf_counter()
    before = _suite(python, work, tmp_path / "before.xml")
    tested = time.perf_counter()
    steps = _modernise(work)
    rewritten = time.perf_counter()
    changed = git(work, "diff", "--name-only").splitlines()
    stat = git(work, "diff", "--shortstat")
    after = _suite(python, work, tmp_path / "after.xml")
    finished = time.perf_counter()

    tally = Counter(before.values())
    assert tally["passed"] > 500, tally  # the suite really ran
    assert steps.get("pep585-generics", Counter())["rewrites"] > 100, steps
    assert any(path.startswith("src/click/") for path in changed), changed
    assert after == before, {k: (v, after.get(k)) for k, v in before.items() if after.get(k) != v}
    print(
        f"\n{PROJECT} {VERSION}: {len(changed)} files changed ({stat});"
        f" per step: { ({step: dict(c) for step, c in steps.items()}) };"
        f" tests before {dict(tally)}, after {dict(Counter(after.values()))};"
        f" set-up {set_up - started:.0f}s, suite {tested - set_up:.0f}s,"
        f" policy {rewritten - tested:.0f}s, suite again {finished - rewritten:.0f}s,"
        f" total {finished - started:.0f}s"
    )
