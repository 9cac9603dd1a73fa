"""Small helpers shared by the tests: run one codemod on one text, make git repositories."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codemods import registry
from codemods.base import Version
from codemods.engine import transform_text
from codemods.results import FileResult


def apply_codemod(
    name: str,
    code: str,
    options: Mapping[str, Any] | None = None,
    target: Version = (3, 13),
    path: str = "mod.py",
) -> FileResult:
    """What the engine does to ``code`` with one codemod (triggers are ignored here)."""
    codemod = registry.configure(name, options)
    return transform_text(path, code, [codemod], target)


def output_of(result: FileResult) -> str:
    assert result.status.value != "failed", result.reason
    return result.new_text if result.new_text is not None else result.old_text or ""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_repo(path: Path, files: Mapping[str, str], branch: str = "main") -> Path:
    """A real git repository with ``files`` committed on ``branch``."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "Dev")
    for rel, text in files.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def ruff_fix(tmp_path: Path, code: str, rules: str, target: Version) -> str:
    """What ``ruff check --fix`` (unsafe fixes included) makes of ``code``: a reference output."""
    path = tmp_path / "ruff_reference.py"
    path.write_text(code)
    version = f"py{target[0]}{target[1]}"
    command = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--fix"]
    command += ["--unsafe-fixes", "--select", rules, "--target-version", version, str(path)]
    subprocess.run(command, check=False, capture_output=True)
    return path.read_text()


def ruff_lines(tmp_path: Path, code: str, rules: str) -> set[int]:
    """The lines on which ``ruff check`` reports one of ``rules``: a reference detector."""
    path = tmp_path / "ruff_reference.py"
    path.write_text(code)
    command = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--exit-zero"]
    command += ["--output-format", "json", "--select", rules, str(path)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {item["location"]["row"] for item in json.loads(output)}


def make_origin(path: Path, files: Mapping[str, str], branch: str = "main") -> Path:
    """A bare repository, as on a server, whose ``branch`` holds ``files`` in one pushed commit."""
    seed = make_repo(path.with_name(f"{path.name}.seed"), files, branch)
    git(path.parent, "init", "-q", "--bare", "-b", branch, path.name)
    git(seed, "push", "-q", str(path), f"{branch}:{branch}")
    shutil.rmtree(seed)
    return path


def push_branch(
    origin: Path,
    branch: str,
    files: Mapping[str, str | None],
    base: str = "main",
    email: str = "dev@example.com",
) -> str:
    """Commit ``files`` (None deletes one) on top of ``base`` and push that as ``branch``, as a
    person would from their own clone; returns the commit."""
    work = origin.with_name(f"{origin.name}.push")
    shutil.rmtree(work, ignore_errors=True)
    git(origin.parent, "clone", "-q", str(origin), work.name)
    git(work, "checkout", "-q", "-B", branch, f"origin/{base}")
    for rel, text in files.items():
        target = work / rel
        if text is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    git(work, "add", "-A")
    identity = ("-c", "user.name=Dev", "-c", f"user.email={email}")
    git(work, *identity, "commit", "-q", "-m", f"edit {', '.join(files)}")
    git(work, "push", "-q", "--force", "origin", f"HEAD:refs/heads/{branch}")
    sha = git(work, "rev-parse", "HEAD")
    shutil.rmtree(work)
    return sha
