"""The content-hash cache: a rerun over unchanged files parses nothing; any change misses."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from codemods import engine
from codemods.base import Codemod, Finding, Version
from codemods.cache import ResultCache, cache_key, default_cache_dir
from codemods.engine import EngineConfig
from codemods.files import discover
from codemods.results import FileResult, Status
from tests.test_engine import Raises, Rename, RenameV2, Report, comparable, make_tree

FILES: dict[str, str | bytes] = {
    "changed.py": "foo = 1\n",
    "findings.py": "legacy()\n",
    "failed.py": "foo = (\n",
    "raises.py": "explode()\n",
    "plain.py": "x = 1\n",
    "pkg/both.py": "foo(legacy())\n",
}
TRIGGERED = 5  # every file above but plain.py mentions a trigger


def cached_run(
    root: Path, cache_dir: Path, codemods: list[Codemod], target: Version = (3, 9)
) -> engine.Run:
    cache = ResultCache(cache_dir)
    try:
        return engine.run(discover([root]), EngineConfig(codemods, target=target, cache=cache))
    finally:
        cache.close()


def test_a_rerun_over_unchanged_files_parses_nothing(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", FILES)
    codemods: list[Codemod] = [Rename(), Report(), Raises()]
    first = cached_run(root, tmp_path / "cache", codemods)
    again = cached_run(root, tmp_path / "cache", codemods)
    assert (first.summary.parsed, first.summary.cached) == (TRIGGERED, 0)
    assert (again.summary.parsed, again.summary.cached) == (0, TRIGGERED)
    assert [comparable(r) for r in again.results] == [comparable(r) for r in first.results]
    assert [r.new_text for r in again.results] == [r.new_text for r in first.results]
    assert [r.diff for r in again.results] == [r.diff for r in first.results]


@pytest.mark.parametrize(
    ("second", "target"),
    [
        ([Rename({"new": "baz"}), Report(), Raises()], (3, 9)),
        ([RenameV2(), Report(), Raises()], (3, 9)),
        ([Rename(), Report(), Raises()], (3, 12)),
        ([Rename(), Report()], (3, 9)),
    ],
    ids=["option", "version", "target", "codemods"],
)
def test_a_different_configuration_misses(
    tmp_path: Path, second: list[Codemod], target: Version
) -> None:
    root = make_tree(tmp_path / "src", FILES)
    cached_run(root, tmp_path / "cache", [Rename(), Report(), Raises()])
    rerun = cached_run(root, tmp_path / "cache", second, target)
    assert rerun.summary.cached == 0
    assert rerun.summary.parsed == sum(r.parsed for r in rerun.results) > 0


def test_a_changed_or_moved_file_misses_alone(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", FILES)
    codemods: list[Codemod] = [Rename(), Report(), Raises()]
    cached_run(root, tmp_path / "cache", codemods)
    (root / "changed.py").write_text("foo = 2\n")
    (root / "findings.py").rename(root / "moved.py")
    rerun = cached_run(root, tmp_path / "cache", codemods)
    parsed = sorted(r.path for r in rerun.results if r.parsed)
    assert parsed == ["changed.py", "moved.py"]
    assert rerun.summary.cached == TRIGGERED - 2
    assert {r.path: r.new_text for r in rerun.results}["changed.py"] == "bar = 2\n"


def test_cache_key_covers_path_bytes_and_configuration() -> None:
    base = cache_key("a.py", b"x", "cfg")
    assert base == cache_key("a.py", b"x", "cfg")
    others = [
        cache_key("b.py", b"x", "cfg"),
        cache_key("a.py", b"y", "cfg"),
        cache_key("a.py", b"x", "cfg2"),
        cache_key("a.p", b"yx", "cfg"),  # no ambiguity where one part ends
    ]
    assert len({base, *others}) == 5


def test_a_result_comes_back_as_it_went_in(tmp_path: Path) -> None:
    stored = FileResult(
        "old/name.py",
        Status.CHANGED,
        reason="",
        counts={"a": 2, "b": 1},
        findings=[Finding("old/name.py", 3, 5, "b", "look here")],
        old_text="x = 1\n",
        new_text="y = 1\n",
        parsed=True,
    )
    cache = ResultCache(tmp_path)
    cache.put("k", stored)
    cache.close()
    back = ResultCache(tmp_path).get("k", "new/name.py")
    assert back == FileResult(
        "new/name.py",
        Status.CHANGED,
        counts={"a": 2, "b": 1},
        findings=[Finding("new/name.py", 3, 5, "b", "look here")],
        new_text="y = 1\n",
        cached=True,
    )
    assert ResultCache(tmp_path).get("other", "x.py") is None


def test_the_cache_lives_where_the_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLEETMOD_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_cache_dir() == tmp_path / "home/.cache/fleetmod"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg/fleetmod"
    monkeypatch.setenv("FLEETMOD_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    ResultCache().close()
    assert (tmp_path / "mine/results.sqlite3").is_file()


def test_a_damaged_cache_file_is_set_aside_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "results.sqlite3").write_bytes(b"not a database, " * 100)
    cache = ResultCache(tmp_path)
    cache.put("k", FileResult("a.py", Status.UNCHANGED))
    assert cache.get("k", "a.py") is not None
    assert (tmp_path / "results.sqlite3.damaged").read_bytes() == b"not a database, " * 100


def test_threads_may_share_one_cache(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for i in range(500):
                cache.put(f"{thread}-{i}", FileResult(f"{i}.py", Status.UNCHANGED, reason=str(i)))
                assert cache.get(f"{thread}-{i}", "x.py") is not None
                if i % 10 == 0:
                    cache.flush()
        except BaseException as exc:  # collected: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    cache.close()
    reopened = ResultCache(tmp_path)
    assert all(reopened.get(f"{t}-499", "x.py") is not None for t in range(8))


def test_two_processes_worth_of_connections_share_one_file(tmp_path: Path) -> None:
    one, two = ResultCache(tmp_path), ResultCache(tmp_path)
    one.put("a", FileResult("a.py", Status.UNCHANGED))
    one.flush()
    two.put("b", FileResult("b.py", Status.SKIPPED, reason="too large"))
    two.flush()
    assert two.get("a", "a.py") is not None
    assert one.get("b", "b.py") == FileResult("b.py", Status.SKIPPED, "too large", cached=True)
