"""The engine's contract, file by file: one result per file, guarded rewrites, parallel runs.

The codemods here are deliberately small, and some deliberately misbehave (invalid output,
newer syntax, exceptions); the CLI tests load them as ``tests.test_engine:Broken`` etc.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import libcst as cst
import pytest
from pydantic import Field

from codemods import engine
from codemods.base import Codemod, CodemodTransformer, Options
from codemods.engine import EngineConfig, transform_text
from codemods.files import Candidate, discover
from codemods.results import FileResult, Status

# --- codemods for the tests -------------------------------------------------------------


class _Rename(CodemodTransformer):
    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        if updated_node.value != "foo":
            return updated_node
        self.changed()
        return updated_node.with_changes(value=self.options.new)


class RenameOptions(Options):
    new: str = Field("bar", description="What `foo` becomes.")


class Rename(Codemod):
    name = "test-rename"
    summary = "foo becomes bar"
    explanation = "The smallest codemod that changes code, for the engine's tests."
    triggers = (b"foo",)
    Options = RenameOptions
    Transformer = _Rename


class RenameV2(Rename):
    """The same codemod after its author changed its behaviour (and its version)."""

    version = 2


class _Report(CodemodTransformer):
    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "legacy":
            self.report(node, "legacy() needs a human")


class Report(Codemod):
    name = "test-report"
    summary = "legacy() calls are findings"
    explanation = "A report-only codemod for the engine's tests."
    triggers = (b"legacy",)
    Transformer = _Report


class _AppendReturn(CodemodTransformer):
    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        self.changed()
        statement = cst.SimpleStatementLine([cst.Return()])
        return updated_node.with_changes(body=[*updated_node.body, statement])


class Broken(Codemod):
    """Emits `return` at module level: it parses, but does not compile."""

    name = "test-broken"
    summary = "appends a return statement to the module"
    explanation = "A codemod whose output never compiles, for the engine's guard."
    triggers = (b"foo",)
    Transformer = _AppendReturn


class _Explode(CodemodTransformer):
    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "explode":
            raise RuntimeError("boom")


class Raises(Codemod):
    name = "test-raises"
    summary = "raises on files that mention explode"
    explanation = "A codemod with a bug, for the engine's exception handling."
    triggers = (b"explode",)
    Transformer = _Explode


class _AppendMatch(CodemodTransformer):
    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        self.changed()
        statement = cst.parse_statement("match foo:\n    case _:\n        pass\n")
        return updated_node.with_changes(body=[*updated_node.body, statement])


class NewSyntax(Codemod):
    name = "test-new-syntax"
    summary = "appends a match statement (Python 3.10+)"
    explanation = "A codemod that emits syntax newer than Python 3.9, for the target guard."
    triggers = (b"foo",)
    Transformer = _AppendMatch


class _Pid(CodemodTransformer):
    def visit_Module(self, node: cst.Module) -> None:
        self.report(node, f"pid {os.getpid()}")


class Pid(Codemod):
    """Reports which process transformed the file: proof of where the work ran."""

    name = "test-pid"
    summary = "reports the process id"
    explanation = "A report-only codemod that shows which process did the work."
    triggers = (b"foo",)
    Transformer = _Pid


class _EditMeanwhile(_Rename):
    def visit_Module(self, node: cst.Module) -> None:
        with Path(self.file.path).open("a") as handle:  # the path is relative to the cwd
            handle.write("# saved by an editor while fleetmod ran\n")


class EditMeanwhile(Codemod):
    """Renames foo, and meanwhile edits the file on disk, as an editor saving it would."""

    name = "test-edit-meanwhile"
    summary = "foo becomes bar while the file changes on disk"
    explanation = "A codemod that races a human edit, for the engine's write guard."
    triggers = (b"foo",)
    Options = RenameOptions
    Transformer = _EditMeanwhile


# --- helpers ----------------------------------------------------------------------------


def make_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Files under ``root``: str is written as UTF-8 with newlines untouched, bytes as is."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        path.write_bytes(data)
    return root


def run_tree(root: Path, *codemods: Codemod, **config: object) -> dict[str, FileResult]:
    """Results by path for one run of ``codemods`` over ``root``, without a cache."""
    run = engine.run(discover([root]), EngineConfig(list(codemods), **config))  # type: ignore[arg-type]
    return {r.path: r for r in run.results}


def comparable(result: FileResult) -> tuple[object, ...]:
    return (result.path, result.status, result.reason, result.counts, result.findings)


# --- one file ---------------------------------------------------------------------------


def test_a_change_has_new_text_diff_and_counts() -> None:
    result = transform_text("m.py", "foo = foo + 1\nprint(foo)\n", [Rename()], (3, 9))
    assert result.status is Status.CHANGED
    assert result.new_text == "bar = bar + 1\nprint(bar)\n"
    assert result.counts == {"test-rename": 3}
    assert result.diff.splitlines()[:2] == ["--- a/m.py", "+++ b/m.py"]
    assert "-foo = foo + 1" in result.diff.splitlines()
    assert "+bar = bar + 1" in result.diff.splitlines()


def test_a_file_without_the_pattern_is_unchanged() -> None:
    result = transform_text("m.py", "x = 1  # foo in a comment\n", [Rename()], (3, 9))
    assert (result.status, result.new_text, result.counts, result.diff) == (
        Status.UNCHANGED,
        None,
        {},
        "",
    )


def test_findings_name_their_place_and_codemod() -> None:
    result = transform_text("m.py", "x = 1\nlegacy(x)\n  # c\nif x: legacy()\n", [Report()], (3, 9))
    assert result.status is Status.FINDINGS
    assert [str(f) for f in result.findings] == [
        "m.py:2:1: legacy() needs a human [test-report]",
        "m.py:4:7: legacy() needs a human [test-report]",
    ]


def test_counts_are_kept_per_codemod_and_findings_survive_a_change() -> None:
    code = "foo(legacy(foo))\n"
    result = transform_text("m.py", code, [Report(), Rename(), NewSyntax()], (3, 10))
    assert result.status is Status.CHANGED
    assert result.counts == {"test-rename": 2, "test-new-syntax": 1}
    assert len(result.findings) == 1


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("x = 1\ndef f(:\n    pass\n", r"m\.py:2:7: invalid syntax"),
        ('print "hello"\n', r"m\.py:1:1: Missing parentheses in call to 'print'"),
        ("x = (1,\n", r"m\.py:1:5: '\(' was never closed"),
        ("def f():\n\treturn 1\n        return 2\n", r"m\.py:3:\d+: .*indent"),
        ("return 1\n", r"m\.py:1:1: 'return' outside function"),
    ],
    ids=["syntax", "python2-print", "unclosed", "tabs-and-spaces", "compile-time"],
)
def test_a_parse_error_is_reported_as_path_line_column_message(code: str, reason: str) -> None:
    result = transform_text("m.py", code, [Rename()], (3, 9))
    assert result.status is Status.FAILED and result.parsed
    assert re.match(reason, result.reason), result.reason
    assert result.new_text is None


def test_code_too_deep_for_libcst_fails_that_file_instead_of_the_run() -> None:
    code = "foo = " + " + ".join(["x"] * 3000) + "\n"
    result = transform_text("m.py", code, [Rename()], (3, 9))
    assert result.status is Status.FAILED
    assert result.reason.startswith("m.py:1:1: too deeply nested"), result.reason


def test_a_codemod_that_raises_leaves_the_file_alone_and_is_named() -> None:
    result = transform_text("m.py", "foo = explode\n", [Rename(), Raises()], (3, 9))
    assert result.status is Status.FAILED
    assert result.reason == "m.py: codemod test-raises raised RuntimeError: boom"
    assert result.new_text is None and result.diff == ""


def test_output_that_does_not_compile_is_refused_and_blames_the_codemod() -> None:
    result = transform_text("m.py", "foo = 1\n", [Rename(), Broken()], (3, 9))
    assert result.status is Status.FAILED
    assert result.reason == (
        "codemod test-broken produced code that does not compile: "
        "m.py:2:1: 'return' outside function"
    )
    assert result.new_text is None


def test_syntax_newer_than_the_target_is_refused() -> None:
    refused = transform_text("m.py", "foo = 1\n", [NewSyntax()], (3, 9))
    assert refused.status is Status.FAILED
    assert refused.reason == "m.py: codemod test-new-syntax produced syntax newer than Python 3.9"
    allowed = transform_text("m.py", "foo = 1\n", [NewSyntax()], (3, 10))
    assert allowed.status is Status.CHANGED and "match foo:" in (allowed.new_text or "")


def test_a_file_that_already_needs_a_newer_python_may_still_be_rewritten() -> None:
    code = "match foo:\n    case _:\n        pass\n"
    result = transform_text("m.py", code, [Rename()], (3, 9))
    assert result.status is Status.CHANGED
    assert result.new_text == code.replace("foo", "bar")


class _RenameBack(CodemodTransformer):
    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        if updated_node.value != "zzz":
            return updated_node
        self.changed()
        return updated_node.with_changes(value="foo")


class RenameBack(Codemod):
    name = "test-rename-back"
    summary = "zzz becomes foo"
    explanation = "Undoes what Rename(new=zzz) did, for the engine's change accounting."
    triggers = (b"zzz",)
    Transformer = _RenameBack


def test_a_change_undone_by_a_later_codemod_counts_nothing() -> None:
    there = Rename({"new": "zzz"})
    result = transform_text("m.py", "foo = 1\n", [there, RenameBack()], (3, 9))
    assert (result.status, result.counts, result.new_text) == (Status.UNCHANGED, {}, None)


# --- many files -------------------------------------------------------------------------


def test_every_file_gets_one_result_and_why_it_was_not_parsed(tmp_path: Path) -> None:
    outside = make_tree(tmp_path / "outside", {"o.py": "foo = 1\n"})
    root = make_tree(
        tmp_path / "root",
        {
            "a_changed.py": "foo = 1\n",
            "b_plain.py": "x = 1\n",
            "c_big.py": "foo = 1\n" + "#" * 5000 + "\n",
            "d_generated.py": "# @generated by protoc\nfoo = 1\n",
            "e_binary.py": b"foo\x00\x01\x02",
            "f_latin1.py": b"foo = 'caf\xe9'\n",
            "g_syntax.py": "foo = (\n",
        },
    )
    (root / "h_link.py").symlink_to(outside / "o.py")
    results = run_tree(root, Rename(), max_bytes=4096)
    assert {p: (r.status.value, r.reason, r.parsed) for p, r in results.items()} == {
        "a_changed.py": ("changed", "", True),
        "b_plain.py": ("unchanged", "", False),
        "c_big.py": ("skipped", "too large (5.01 kB > 4.1 kB limit)", False),
        "d_generated.py": ("skipped", "@generated marker", False),
        "e_binary.py": ("skipped", "not text (NUL bytes)", False),
        "f_latin1.py": (
            "failed",
            "f_latin1.py:1:11: not valid utf-8 (byte 0xe9) "
            "and no PEP 263 coding comment declares another encoding",
            False,
        ),
        "g_syntax.py": ("failed", "g_syntax.py:1:7: '(' was never closed", True),
        "h_link.py": ("skipped", "symlink leaves the root", False),
    }


def test_a_file_named_directly_but_excluded_is_skipped_with_the_reason(tmp_path: Path) -> None:
    make_tree(tmp_path, {"migrations/0001.py": "foo = 1\n"})
    candidates = discover([tmp_path / "migrations/0001.py"], exclude=["migrations/"], base=tmp_path)
    run = engine.run(candidates, EngineConfig([Rename()]))
    assert [(r.path, r.status, r.reason) for r in run.results] == [
        ("migrations/0001.py", Status.SKIPPED, "excluded")
    ]


def test_one_failing_file_does_not_stop_the_others(tmp_path: Path) -> None:
    root = make_tree(tmp_path, {"a.py": "foo = 1\n", "b.py": "explode()\n", "c.py": "foo()\n"})
    results = run_tree(root, Rename(), Raises())
    assert {p: r.status for p, r in results.items()} == {
        "a.py": Status.CHANGED,
        "b.py": Status.FAILED,
        "c.py": Status.CHANGED,
    }


def _mixed_tree(root: Path, count: int) -> Path:
    kinds = [
        "foo = {i}\n",
        "x = {i}\n",
        "legacy({i})\n",
        "explode({i})\n",
        "def f(:\n    foo\n",
        "import os\nfoo = os.path.join('{i}')\n",
    ]
    files = {f"pkg{i % 3}/m{i:03}.py": kinds[i % len(kinds)].format(i=i) for i in range(count)}
    return make_tree(root, files)


def test_parallel_and_in_process_runs_give_identical_results(tmp_path: Path) -> None:
    root = _mixed_tree(tmp_path, 3 * engine.PARALLEL_THRESHOLD)
    codemods = [Rename(), Report(), Raises()]
    serial = engine.run(discover([root]), EngineConfig(codemods, jobs=1))
    parallel = engine.run(discover([root]), EngineConfig(codemods, jobs=2))
    assert [comparable(r) for r in parallel.results] == [comparable(r) for r in serial.results]
    assert [r.new_text for r in parallel.results] == [r.new_text for r in serial.results]
    assert [r.old_text for r in parallel.results] == [r.old_text for r in serial.results]
    assert {r.status for r in serial.results} == set(Status) - {Status.SKIPPED}


def _worker_pids(root: Path, jobs: int) -> set[int]:
    run = engine.run(discover([root]), EngineConfig([Pid()], jobs=jobs))
    return {int(f.message.split()[1]) for r in run.results for f in r.findings}


def test_large_inputs_go_to_worker_processes_small_ones_stay_in_process(tmp_path: Path) -> None:
    many = make_tree(tmp_path / "many", {f"m{i}.py": "foo\n" for i in range(40)})
    few = make_tree(tmp_path / "few", {f"m{i}.py": "foo\n" for i in range(3)})
    assert os.getpid() not in _worker_pids(many, jobs=2)
    assert _worker_pids(many, jobs=1) == {os.getpid()}
    assert _worker_pids(few, jobs=2) == {os.getpid()}


def test_results_come_back_in_the_order_the_files_were_given(tmp_path: Path) -> None:
    root = _mixed_tree(tmp_path, 60)
    candidates = list(discover([root]))[::-1]
    run = engine.run(candidates, EngineConfig([Rename()], jobs=2))
    assert [r.path for r in run.results] == [c.relpath for c in candidates]


# --- writing ----------------------------------------------------------------------------


def _written(root: Path, *codemods: Codemod) -> list[FileResult]:
    candidates = list(discover([root]))
    run = engine.run(candidates, EngineConfig(list(codemods)))
    where = {c.relpath: c.path for c in candidates}
    return engine.write(run.results, where.__getitem__)


def test_write_refuses_a_file_edited_since_it_was_read(tmp_path: Path) -> None:
    root = make_tree(tmp_path, {"a.py": "foo = 1\n"})
    candidates = list(discover([root]))
    run = engine.run(candidates, EngineConfig([Rename()]))
    (root / "a.py").write_text("foo = 2\n")
    refused = engine.write(run.results, {"a.py": root / "a.py"}.__getitem__)
    assert [(r.path, r.status, r.reason) for r in refused] == [
        ("a.py", Status.FAILED, "a.py: not written: changed on disk since it was read")
    ]
    assert (root / "a.py").read_text() == "foo = 2\n"


def test_a_symlink_inside_the_root_stays_a_symlink(tmp_path: Path) -> None:
    root = make_tree(tmp_path, {"real.py": "foo = 1\n"})
    (root / "link.py").symlink_to("real.py")
    assert _written(root, Rename()) == []
    assert (root / "link.py").is_symlink()
    assert os.readlink(root / "link.py") == "real.py"
    assert (root / "real.py").read_text() == "bar = 1\n"


def test_text_the_file_encoding_cannot_hold_is_refused_before_writing(tmp_path: Path) -> None:
    data = b"# -*- coding: latin-1 -*-\nfoo = 'caf\xe9'\n"
    root = make_tree(tmp_path, {"a.py": data})
    results = run_tree(root, Rename({"new": "\u65e5\u672c"}))
    assert results["a.py"].status is Status.FAILED
    assert results["a.py"].reason == "a.py: the new text has '日', which iso-8859-1 cannot encode"
    assert _written(root, Rename({"new": "\u65e5\u672c"})) == []
    assert (root / "a.py").read_bytes() == data


def test_candidates_may_be_given_by_hand(tmp_path: Path) -> None:
    root = make_tree(tmp_path, {"x/a.py": "foo = 1\n"})
    candidate = Candidate(root / "x/a.py", root, "shown/as.py")
    run = engine.run([candidate], EngineConfig([Rename()]))
    assert [(r.path, r.status) for r in run.results] == [("shown/as.py", Status.CHANGED)]
    assert run.summary.scanned == run.summary.changed == run.summary.parsed == 1
