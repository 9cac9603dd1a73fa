"""`--shard K/N`: a stable hash of each repository's full name picks its shard.

Shards are disjoint and together cover the fleet; a repository's shard depends on its name
alone, not on the order of the list, the other names, or the Python process. End to end, a
sharded `fleetmod run` works on every repository exactly once, and `fleetmod report merge`
of the shards' JSON reports gives back the whole fleet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.forges.base import Repo
from bot.sources import SourceError, parse_shard, shard
from tests.helpers import git, make_origin
from tests.test_report import validate

FLEETMOD = str(Path(sys.executable).parent / "fleetmod")
NEEDS_FIX = "import yaml\n\n\ndef read(f):\n    return yaml.load(f)\n"
CLEAN = "def add(a, b):\n    return a + b\n"

FULL_NAMES = st.lists(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,10}/[A-Za-z0-9._-]{1,20}", fullmatch=True),
    unique=True,
    max_size=40,
)
SHARD_COUNTS = st.integers(min_value=1, max_value=12)


def repos(names: Sequence[str]) -> list[Repo]:
    return [Repo(full_name=n, clone_url=f"/srv/{n}.git", default_branch="main") for n in names]


def split(names: Sequence[str], n: int) -> list[list[str]]:
    """The full names in each of the ``n`` shards, shard 1 first."""
    return [[r.full_name for r in shard(repos(names), k, n)] for k in range(1, n + 1)]


@settings(max_examples=200, deadline=None)
@given(names=FULL_NAMES, n=SHARD_COUNTS)
def test_shards_are_disjoint_and_cover_the_fleet(names: list[str], n: int) -> None:
    parts = split(names, n)
    assert Counter(name for part in parts for name in part) == Counter(names)
    for part in parts:  # a shard keeps the order it was given
        assert part == [name for name in names if name in set(part)]


@settings(max_examples=200, deadline=None)
@given(names=FULL_NAMES, n=SHARD_COUNTS, data=st.data())
def test_the_split_does_not_change_with_the_order(
    names: list[str], n: int, data: st.DataObject
) -> None:
    reordered = data.draw(st.permutations(names))
    assert [set(p) for p in split(reordered, n)] == [set(p) for p in split(names, n)]


@settings(max_examples=100, deadline=None)
@given(names=FULL_NAMES.filter(bool), n=SHARD_COUNTS)
def test_a_repository_shard_depends_on_its_name_alone(names: list[str], n: int) -> None:
    together = {name: k for k, part in enumerate(split(names, n), 1) for name in part}
    alone = {name: next(k for k, p in enumerate(split([name], n), 1) if p) for name in names}
    assert alone == together


def test_the_split_is_the_same_in_every_process() -> None:
    """Python's own hash() of a str changes from process to process; CI jobs are processes."""
    names = [f"acme/service-{i}" for i in range(60)]
    program = (
        "import json, sys\n"
        "from bot.forges.base import Repo\n"
        "from bot.sources import shard\n"
        "repos = [Repo(name, '', 'main') for name in json.loads(sys.argv[1])]\n"
        "print(json.dumps([[r.full_name for r in shard(repos, k, 5)] for k in range(1, 6)]))"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", program, json.dumps(names)],
            capture_output=True, text=True, check=True, env=env,
        )  # fmt: skip
        assert json.loads(result.stdout) == split(names, 5)


def test_shards_are_about_even() -> None:
    sizes = [len(part) for part in split([f"org-{i % 7}/repo-{i}" for i in range(2000)], 4)]
    assert all(400 <= size <= 600 for size in sizes), sizes


@pytest.mark.parametrize(
    ("text", "expected"), [("1/1", (1, 1)), ("2/4", (2, 4)), ("12/12", (12, 12))]
)
def test_parse_shard_reads_k_of_n(text: str, expected: tuple[int, int]) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize(
    "text", ["0/4", "5/4", "1/0", "4", "-1/4", "a/b", "1/4/2", " 1/4", "/4", ""]
)
def test_parse_shard_refuses_anything_else(text: str) -> None:
    with pytest.raises(SourceError, match=r"expected K/N with 1 <= K <= N, e\.g\. 2/4"):
        parse_shard(text)


# -- end to end: `fleetmod run --shard` and `fleetmod report merge` --------------------------


def make_fleet(folder: Path, files_by_repo: dict[str, str]) -> list[str]:
    """Bare origins under ``folder``, one per name, each with one module; their names."""
    for name, text in files_by_repo.items():
        make_origin(folder / f"{name}.git", {"mod.py": text})
    return sorted(files_by_repo)


def write_policy(path: Path, fleet: Path) -> Path:
    """A yaml-safe-load policy over every repository in ``fleet``, written at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        textwrap.dedent(
            f"""\
            id: safe-yaml
            title: Load YAML safely
            version: "1"
            scope:
              repositories:
                local:
                  directory: {os.path.relpath(fleet, path.parent)}
            codemods:
              - codemod: yaml-safe-load
            """
        )
    )
    return path


def fleetmod(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FLEETMOD_STATE_DIR"}
    return subprocess.run([FLEETMOD, *args], cwd=cwd, env=env, capture_output=True, text=True)


def run_shard(folder: Path, k: int, n: int) -> list[str]:
    """`fleetmod run policy.yaml --shard K/N` with a state dir of its own, as a CI job has,
    then its JSON report in report-K.json; the repositories it worked on."""
    state = ("--state-dir", f"state-{k}")
    ran = fleetmod("run", "policy.yaml", "--shard", f"{k}/{n}", "--json", *state, cwd=folder)
    assert ran.returncode == 0, ran.stderr
    report = fleetmod(
        "report", "policy.yaml", "-f", "json", "-o", f"report-{k}.json", *state, cwd=folder
    )
    assert report.returncode == 0, report.stderr
    return [o["repo"] for o in json.loads(ran.stdout)["outcomes"]]


def branches(origin: Path) -> list[str]:
    return git(origin, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()


FLEET = {
    "billing": NEEDS_FIX,
    "catalog": CLEAN,
    "gateway": NEEDS_FIX,
    "ledger": CLEAN,
    "search": NEEDS_FIX,
    "users": CLEAN,
    "web": NEEDS_FIX,
}


def test_a_sharded_run_works_on_each_repository_once_and_the_reports_merge(
    tmp_path: Path,
) -> None:
    names = make_fleet(tmp_path / "fleet", FLEET)
    write_policy(tmp_path / "policy.yaml", tmp_path / "fleet")
    n = 3
    worked = [run_shard(tmp_path, k, n) for k in range(1, n + 1)]
    assert worked == split(names, n)
    assert sorted(name for part in worked for name in part) == names  # all of them, once

    for name in names:  # and each was really worked on: a branch where a change was due
        expected = ["fleetmod/safe-yaml", "main"] if FLEET[name] == NEEDS_FIX else ["main"]
        assert branches(tmp_path / "fleet" / f"{name}.git") == expected

    reports = [f"report-{k}.json" for k in range(1, n + 1)]
    merged = fleetmod("report", "merge", *reports, "--format", "json", cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    document = json.loads(merged.stdout)
    validate(document)
    assert [o["repo"] for o in document["outcomes"]] == names
    assert document["merged_from"] == n
    assert document["summary"]["repositories"] == len(names)
    counts = {k: v for k, v in document["summary"]["by_outcome"].items() if v}
    assert counts == Counter("pr-opened" if t == NEEDS_FIX else "compliant" for t in FLEET.values())

    markdown = fleetmod("report", "merge", *reports, "--format", "markdown", cwd=tmp_path)
    assert markdown.returncode == 0, markdown.stderr
    rows = [line for line in markdown.stdout.splitlines() if line.startswith("| ")]
    for name in names:
        assert sum(row.startswith(f"| {name} |") for row in rows) == 1, name


def test_an_empty_shard_runs_reports_and_merges(tmp_path: Path) -> None:
    """More shards than repositories: a shard with nothing to do still reports."""
    names = make_fleet(tmp_path / "fleet", {"solo": NEEDS_FIX})
    write_policy(tmp_path / "policy.yaml", tmp_path / "fleet")
    worked = [run_shard(tmp_path, k, 2) for k in (1, 2)]
    assert worked == split(names, 2)
    assert sorted(map(len, worked)) == [0, 1]
    merged = fleetmod(
        "report", "merge", "report-1.json", "report-2.json", "-f", "json", cwd=tmp_path
    )
    assert merged.returncode == 0, merged.stderr
    assert [o["repo"] for o in json.loads(merged.stdout)["outcomes"]] == ["solo"]


def test_a_bad_shard_is_one_line_and_runs_nothing(tmp_path: Path) -> None:
    make_fleet(tmp_path / "fleet", {"solo": NEEDS_FIX})
    write_policy(tmp_path / "policy.yaml", tmp_path / "fleet")
    ran = fleetmod("run", "policy.yaml", "--shard", "3/2", "--state-dir", "state", cwd=tmp_path)
    assert ran.returncode == 2
    assert ran.stderr.strip() == "error: --shard '3/2': expected K/N with 1 <= K <= N, e.g. 2/4"
    assert branches(tmp_path / "fleet" / "solo.git") == ["main"]
