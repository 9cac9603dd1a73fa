"""`fleetmod apply` and `fleetmod codemods`, run as a user runs them: a subprocess.

The test codemods of tests/test_engine.py are loaded as ``tests.test_engine:Class``, the
way a user loads their own codemod. Every run gets its own cache folder.
"""

from __future__ import annotations

import json
import os
import pty
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.cli.apply import JSON_SCHEMA, PROGRESS_THRESHOLD
from codemods.registry import builtin_codemods
from tests.helpers import make_repo
from tests.test_engine import make_tree

REPO = Path(__file__).resolve().parents[1]
FLEETMOD = str(Path(sys.executable).with_name("fleetmod"))
RENAME = ("--codemod", "tests.test_engine:Rename")
MARKER = "@" + "generated"


@dataclass
class Cli:
    """Runs the installed `fleetmod` in ``cwd`` with a private cache."""

    cwd: Path
    cache: Path

    def env(self, pythonpath: bool = True) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(FLEETMOD_CACHE_DIR=str(self.cache), COLUMNS="200")
        return {**env, "PYTHONPATH": str(REPO)} if pythonpath else env

    def __call__(
        self, *args: str, cwd: Path | None = None, pythonpath: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FLEETMOD, *args],
            cwd=cwd or self.cwd,
            env=self.env(pythonpath),
            capture_output=True,
            text=True,
            timeout=300,
        )

    def json(self, *args: str, code: int = 0) -> dict[str, Any]:
        done = self("apply", *args, "--json")
        assert done.returncode == code, done.stderr
        document: dict[str, Any] = json.loads(done.stdout)
        jsonschema.validate(document, JSON_SCHEMA)
        return document


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    (tmp_path / "work").mkdir()
    return Cli(tmp_path / "work", tmp_path / "cache")


def by_path(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["path"]: f for f in document["files"]}


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


# --- what there is ----------------------------------------------------------------------


def test_codemods_lists_every_builtin(cli: Cli) -> None:
    listed = json.loads(cli("codemods", "--json").stdout)
    assert [c["name"] for c in listed] == list(builtin_codemods())
    table = cli("codemods")
    assert table.returncode == 0
    assert all(name in table.stdout for name in builtin_codemods())


@pytest.mark.parametrize("name", [*builtin_codemods(), "tests.test_engine:Rename"])
def test_codemods_show_explains_one(cli: Cli, name: str) -> None:
    done = cli("codemods", "show", name)
    assert done.returncode == 0, done.stderr
    flat = " ".join(done.stdout.split())
    cls = builtin_codemods().get(name) or __import__("tests.test_engine").test_engine.Rename
    assert cls.name in flat
    assert " ".join(cls.summary.replace("`", "").split()) in flat.replace("`", "")
    assert ("Options: none" in flat) == (not cls.Options.model_fields)


def test_codemods_show_of_an_unknown_name_is_one_clear_line(cli: Cli) -> None:
    done = cli("codemods", "show", "no-such-codemod")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        done.stderr.strip(),
    ] and done.stderr.startswith("error: unknown codemod 'no-such-codemod'")


# --- modes and exit codes ---------------------------------------------------------------


def test_a_dry_run_shows_and_changes_nothing(cli: Cli) -> None:
    make_tree(cli.cwd, {"a.py": "foo = 1\n", "b.py": "x = 1\n"})
    before = snapshot(cli.cwd)
    done = cli("apply", ".", *RENAME)
    assert done.returncode == 0, done.stderr
    assert "would rewrite a.py (test-rename x1)" in done.stdout
    assert "b.py" not in done.stdout
    diff = cli("apply", ".", *RENAME, "--diff")
    assert "-foo = 1" in diff.stdout.splitlines() and "+bar = 1" in diff.stdout.splitlines()
    assert snapshot(cli.cwd) == before


def test_write_writes_and_check_says_whether_anything_changed(cli: Cli) -> None:
    make_tree(cli.cwd, {"a.py": "foo = 1\n", "b.py": "x = 1\n"})
    assert cli("apply", ".", *RENAME, "--check").returncode == 1
    assert (cli.cwd / "a.py").read_text() == "foo = 1\n"
    written = cli("apply", ".", *RENAME, "--write", "--check")
    assert written.returncode == 1, "a fixing hook fails when it changed something"
    assert "rewrote a.py (test-rename x1)" in written.stdout
    assert (cli.cwd / "a.py").read_text() == "bar = 1\n"
    assert cli("apply", ".", *RENAME, "--write", "--check").returncode == 0
    assert cli("apply", ".", *RENAME, "--write").returncode == 0


def test_check_fails_on_findings_that_need_a_human(cli: Cli) -> None:
    make_tree(cli.cwd, {"a.py": "legacy()\n"})
    done = cli("apply", ".", "--codemod", "tests.test_engine:Report", "--check")
    assert done.returncode == 1
    assert "finding a.py:1:1: legacy() needs a human [test-report]" in done.stdout
    assert cli("apply", ".", "--codemod", "tests.test_engine:Report").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--codemod", "no-such"), "error: unknown codemod 'no-such'"),
        ((*RENAME, "--option", "tests.test_engine:Rename.nope=1"), "error: test-rename.nope: "),
        (
            (*RENAME, "--option", "tests.test_engine:Rename.new=[1, 2]"),
            "error: test-rename.new: Input should be a valid string",
        ),
        ((*RENAME, "--option", "yaml-safe-load.x=1"), "error: --option names codemod"),
        ((*RENAME, "--option", "new=1"), "error: --option 'new=1': expected NAME.key=value"),
        ((*RENAME, "--diff", "--write"), "error: --diff and --write are exclusive"),
        ((*RENAME, "--target-version", "banana"), "error: target version 'banana'"),
        (("--codemod", "tests.test_engine:Nope"), "error: cannot load codemod"),
    ],
    ids=[
        "unknown", "unknown-option", "bad-value", "unselected", "malformed", "diff-write",
        "target", "no-class",
    ],
)  # fmt: skip
def test_bad_arguments_exit_2_with_one_line_naming_the_problem(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    make_tree(cli.cwd, {"a.py": "foo = 1\n"})
    done = cli("apply", ".", *args)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(message), done.stderr
    assert (cli.cwd / "a.py").read_text() == "foo = 1\n"


def test_json_has_the_documented_shape(cli: Cli) -> None:
    make_tree(cli.cwd, {"a.py": "foo = 1\n", "b.py": "legacy()\n", "c.py": "foo(\n", "d.py": ""})
    report = ("--codemod", "tests.test_engine:Report")
    document = cli.json(".", *RENAME, *report, "--diff", code=2)
    files = by_path(document)
    assert sorted(files) == ["a.py", "b.py", "c.py"], "unchanged files are left out"
    assert files["a.py"]["counts"] == {"test-rename": 1}
    assert files["a.py"]["diff"].startswith("--- a/a.py\n+++ b/a.py\n")
    finding = {"path": "b.py", "line": 1, "column": 1, "codemod": "test-report"}
    assert files["b.py"]["findings"] == [{**finding, "message": "legacy() needs a human"}]
    assert files["c.py"]["reason"] == "c.py:1:4: '(' was never closed"
    summary = document["summary"]
    assert (summary["scanned"], summary["changed"], summary["findings"], summary["failed"]) == (
        4,
        1,
        1,
        1,
    )
    assert document["target"] == "3.9"
    assert "diff" not in by_path(cli.json(".", *RENAME, code=2))["a.py"]


# --- every rewrite is guarded -----------------------------------------------------------


@pytest.mark.parametrize(
    ("codemod", "reason"),
    [
        ("Broken", "codemod test-broken produced code that does not compile: "),
        ("Raises", "bad.py: codemod test-raises raised RuntimeError: boom"),
    ],
)
def test_a_misbehaving_codemod_fails_its_file_only(cli: Cli, codemod: str, reason: str) -> None:
    make_tree(cli.cwd, {"bad.py": "foo = explode\n", "good.py": "foo = 1\n"})
    done = cli("apply", ".", *RENAME, "--codemod", f"tests.test_engine:{codemod}", "--write")
    assert done.returncode == 2
    assert f"failed {reason}" in " ".join(done.stderr.split())
    assert (cli.cwd / "bad.py").read_text() == "foo = explode\n"
    if codemod == "Raises":
        assert (cli.cwd / "good.py").read_text() == "bar = 1\n"


def test_the_target_version_comes_from_requires_python_or_the_flag(cli: Cli) -> None:
    make_tree(cli.cwd, {"a.py": "foo = 1\n"})
    new_syntax = ("--codemod", "tests.test_engine:NewSyntax")
    refused = by_path(cli.json(".", *new_syntax, code=2))["a.py"]
    assert (
        refused["reason"] == "a.py: codemod test-new-syntax produced syntax newer than Python 3.9"
    )
    (cli.cwd / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.10"\n')
    assert by_path(cli.json(".", *new_syntax))["a.py"]["status"] == "changed"
    assert cli.json(".", *new_syntax, "--target-version", "3.9", code=2)["target"] == "3.9"


# --- bad input --------------------------------------------------------------------------

BOM = b"\xef\xbb\xbf"
LATIN1 = b"# -*- coding: latin-1 -*-\n"
BAD_INPUT: dict[str, tuple[bytes, str, bytes | None]] = {
    # name: (bytes, status, bytes after --write; None: must stay as it was)
    "syntax.py": (b"foo = (\n", "failed", None),
    "python2.py": (b'print "foo"\n', "failed", None),
    "latin1.py": (LATIN1 + b"foo = 'caf\xe9'\n", "changed", LATIN1 + b"bar = 'caf\xe9'\n"),
    "bom.py": (BOM + b"foo = '\xc3\xa9'\r\n", "changed", BOM + b"bar = '\xc3\xa9'\r\n"),
    "crlf.py": (b"def f():\r\n    return foo\r\n", "changed", b"def f():\r\n    return bar\r\n"),
    "mixed.py": (b"foo = 1\r\nx = foo\nfoo()\r\n", "changed", b"bar = 1\r\nx = bar\nbar()\r\n"),
    "binary.py": (b"foo\x00\xff\xfe\x00", "skipped", None),
    "nocookie.py": (b"foo = 'caf\xe9'\n", "failed", None),
    "generated.py": (f"# {MARKER}\nfoo = 1\n".encode(), "skipped", None),
    "parens.py": (b"foo = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n", "failed", None),
    "chain.py": (b"foo = " + b" + ".join([b"x"] * 3000) + b"\n", "failed", None),
    "clean.py": (b"x = 1  # no foo here\n", "unchanged", None),
}  # fmt: skip
REASONS = {
    "syntax.py": "syntax.py:1:7: '(' was never closed",
    "python2.py": (
        "python2.py:1:1: Missing parentheses in call to 'print'. Did you mean print(...)?"
    ),
    "binary.py": "not text (NUL bytes)",
    "nocookie.py": (
        "nocookie.py:1:11: not valid utf-8 (byte 0xe9)"
        " and no PEP 263 coding comment declares another encoding"
    ),
    "generated.py": f"{MARKER} marker",
    "outside.py": "symlink leaves the root",
}  # fmt: skip


def test_bad_input_gets_its_documented_result_and_no_file_is_damaged(
    cli: Cli, tmp_path: Path
) -> None:
    root = make_tree(cli.cwd / "src", {name: data for name, (data, _, _) in BAD_INPUT.items()})
    (root / "crlf.py").chmod(0o755)
    make_tree(tmp_path / "elsewhere", {"target.py": "foo = 1\n"})
    (root / "outside.py").symlink_to(tmp_path / "elsewhere/target.py")
    document = cli.json("src", *RENAME, "--write", code=2)
    files = {Path(p).name: f for p, f in by_path(document).items()}
    statuses = {name: status for name, (_, status, _) in BAD_INPUT.items()}
    expected = {n: s for n, s in statuses.items() if s != "unchanged"} | {"outside.py": "skipped"}
    assert {n: f["status"] for n, f in files.items()} == expected
    assert {n: files[n]["reason"] for n in REASONS} == {
        n: f"src/{r}" if r.startswith(n) else r for n, r in REASONS.items()
    }
    assert "too many nested parentheses" in files["parens.py"]["reason"]
    assert "too deeply nested" in files["chain.py"]["reason"]
    after = snapshot(root)
    assert after == {n: new or data for n, (data, _, new) in BAD_INPUT.items()}
    assert stat.S_IMODE((root / "crlf.py").stat().st_mode) == 0o755
    assert (tmp_path / "elsewhere/target.py").read_text() == "foo = 1\n"
    assert (root / "outside.py").is_symlink()


def test_a_file_edited_while_fleetmod_ran_is_not_overwritten(cli: Cli) -> None:
    make_tree(cli.cwd, {"a.py": "foo = 1\n"})
    document = cli.json("a.py", "--codemod", "tests.test_engine:EditMeanwhile", "--write", code=2)
    assert document["files"] == [
        {
            "path": "a.py",
            "status": "failed",
            "reason": "a.py: not written: changed on disk since it was read",
            "counts": {"test-edit-meanwhile": 1},
            "findings": [],
        }
    ]
    assert (document["summary"]["changed"], document["summary"]["failed"]) == (0, 1)
    assert (cli.cwd / "a.py").read_text() == "foo = 1\n# saved by an editor while fleetmod ran\n"


def test_paths_are_shown_as_given_not_as_markup(cli: Cli) -> None:
    make_tree(cli.cwd, {"x[/]a.py": "foo = 1\n", "[bold]b.py": "foo = 2\n"})
    done = cli("apply", ".", *RENAME)
    assert done.returncode == 0, done.stderr
    assert "would rewrite [bold]b.py" in done.stdout
    assert "would rewrite x[/]a.py" in done.stdout


def test_folders_outside_the_working_folder_are_written_each_to_its_own(
    cli: Cli, tmp_path: Path
) -> None:
    make_tree(tmp_path / "one", {"a.py": "foo = 1\n"})
    make_tree(tmp_path / "two", {"a.py": "foo = 2\n"})
    done = cli("apply", str(tmp_path / "one"), str(tmp_path / "two"), *RENAME, "--write")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "one/a.py").read_text() == "bar = 1\n"
    assert (tmp_path / "two/a.py").read_text() == "bar = 2\n"


# --- which files ------------------------------------------------------------------------


def test_gitignore_include_and_exclude_decide_which_files(cli: Cli) -> None:
    make_repo(
        cli.cwd,
        {
            ".gitignore": "generated/\n",
            "app.py": "foo = 1\n",
            "generated/g.py": "foo = 1\n",
            "tests/test_app.py": "foo = 1\n",
            "tools/run": "foo = 1\n",
        },
    )
    changed = lambda *args: sorted(by_path(cli.json(".", *RENAME, *args)))  # noqa: E731
    assert changed() == ["app.py", "tests/test_app.py"]
    assert changed("--exclude", "tests/") == ["app.py"]
    assert changed("--include", "tools/*", "--include", "*.py") == [
        "app.py",
        "tests/test_app.py",
        "tools/run",
    ]
    named = cli.json("tests/test_app.py", "tools/run", *RENAME, "--exclude", "tests/")
    assert [(f["path"], f["status"], f["reason"]) for f in named["files"]] == [
        ("tests/test_app.py", "skipped", "excluded"),
        ("tools/run", "changed", ""),
    ]


def test_a_codemod_of_the_users_own_loads_from_the_working_folder(cli: Cli) -> None:
    (cli.cwd / "mymods.py").write_text(
        "import libcst as cst\n"
        "from codemods.base import Codemod, CodemodTransformer\n\n"
        "class _T(CodemodTransformer):\n"
        "    def leave_Name(self, original_node, updated_node):\n"
        "        return cst.Name('spam') if updated_node.value == 'eggs' else updated_node\n\n"
        "class Spam(Codemod):\n"
        "    name = 'spam'\n    summary = 'eggs become spam'\n    explanation = 'mine'\n"
        "    triggers = (b'eggs',)\n    Transformer = _T\n"
    )
    make_tree(cli.cwd, {"pkg/a.py": "eggs = 1\n"})
    done = cli("apply", "pkg", "--codemod", "mymods:Spam", "--write", pythonpath=False)
    assert done.returncode == 0, done.stderr
    assert (cli.cwd / "pkg/a.py").read_text() == "spam = 1\n"


# --- speed: processes and cache ---------------------------------------------------------


def test_jobs_do_not_change_the_results(cli: Cli) -> None:
    kinds = ["foo = {i}\n", "x = {i}\n", "legacy({i})\n", "explode()\n", "foo(\n"]
    make_tree(cli.cwd, {f"m{i:02}.py": kinds[i % len(kinds)].format(i=i) for i in range(50)})
    codemods = (
        *RENAME,
        "--codemod",
        "tests.test_engine:Report",
        "--codemod",
        "tests.test_engine:Raises",
    )
    one = cli.json(".", *codemods, "--jobs", "1", "--diff", "--no-cache", code=2)
    two = cli.json(".", *codemods, "--jobs", "2", "--diff", "--no-cache", code=2)
    assert one["files"] == two["files"]
    assert {f["status"] for f in one["files"]} == {"changed", "findings", "failed"}
    assert not cli.cache.exists(), "--no-cache neither reads nor writes the cache"


def test_a_rerun_is_answered_from_the_cache_until_an_option_or_version_changes(cli: Cli) -> None:
    make_tree(cli.cwd, {f"m{i}.py": f"foo = {i}\n" for i in range(6)} | {"x.py": "x = 1\n"})
    first = cli.json(".", *RENAME)["summary"]
    again = cli.json(".", *RENAME)["summary"]
    assert (first["parsed"], first["cached"]) == (6, 0)
    assert (again["parsed"], again["cached"], again["changed"]) == (0, 6, 6)
    option = cli.json(".", *RENAME, "--option", "tests.test_engine:Rename.new=baz")["summary"]
    assert (option["parsed"], option["cached"]) == (6, 0)
    version = cli.json(".", "--codemod", "tests.test_engine:RenameV2")["summary"]
    assert (version["parsed"], version["cached"]) == (6, 0)


def _on_a_terminal(cli: Cli, *args: str) -> str:
    """What `fleetmod` writes to stderr when stderr is a terminal."""
    leader, follower = pty.openpty()
    env = {**cli.env(), "TERM": "xterm-256color"}
    with subprocess.Popen(
        [FLEETMOD, *args], cwd=cli.cwd, env=env, stdout=subprocess.DEVNULL, stderr=follower
    ) as process:
        os.close(follower)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the process has exited
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=300)
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def test_a_progress_bar_shows_on_large_runs_on_a_terminal_only(cli: Cli) -> None:
    make_tree(cli.cwd, {f"m{i:03}.py": "x = 1\n" for i in range(PROGRESS_THRESHOLD + 10)})
    assert "applying" in _on_a_terminal(cli, "apply", ".", *RENAME)
    assert "applying" not in cli("apply", ".", *RENAME).stderr
    assert "applying" not in _on_a_terminal(cli, "apply", "m000.py", "m001.py", *RENAME)


# --- how others run fleetmod: pre-commit and CI -----------------------------------------


def test_the_pre_commit_hook_fixes_files_and_then_passes(cli: Cli) -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["fleetmod"]
    hook = hooks[0]
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert (hook["language"], hook["types"]) == ("python", ["python"])
    repo = make_repo(
        cli.cwd / "repo", {"a.py": "foo = 1\n", "b.py": "x = 1\n", "bin/tool": "foo()\n"}
    )
    entry = shlex.split(hook["entry"])
    assert entry[0] == "fleetmod"
    staged = ["a.py", "b.py", "bin/tool"]  # pre-commit passes the staged files' paths
    command = [entry[1], *entry[2:], *RENAME, *staged]
    first = cli(*command, cwd=repo)
    assert first.returncode == 1, first.stderr
    assert (repo / "a.py").read_text() == "bar = 1\n"
    assert (repo / "bin/tool").read_text() == "bar()\n"
    second = cli(*command, cwd=repo)
    assert second.returncode == 0, second.stdout + second.stderr
    assert shutil.which("fleetmod", path=str(Path(FLEETMOD).parent)) == FLEETMOD


def test_the_ci_workflow_runs_ci_run_on_every_supported_python() -> None:
    workflow = yaml.safe_load((REPO / ".github/workflows/ci.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    (job,) = workflow["jobs"].values()
    assert job["strategy"]["matrix"]["python-version"] == ["3.10", "3.11", "3.12", "3.13"]
    steps = job["steps"]
    assert any(s.get("uses", "").startswith("actions/checkout@") for s in steps)
    setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
    assert [s["run"] for s in steps if "run" in s] == ["bash .ci/run"]
    assert (REPO / ".ci/run").is_file()
