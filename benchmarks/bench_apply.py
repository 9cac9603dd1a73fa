"""`fleetmod apply` against libcst's own codemod tool, on Django 5.2's 2,818 modules.

    python benchmarks/bench_apply.py                 # whole corpus, 3 alternated runs each
    python benchmarks/bench_apply.py --limit 400 --runs 1   # a quicker look

The same transform both ways: libcst's `rename.RenameCommand` against fleetmod's
`rename-symbol`, once for a symbol used in under 1% of the modules (sparse) and once for a
module used widely (wide), with the same number of jobs, on a fresh copy of the corpus for
every run, runs alternated. Also timed: fleetmod's rerun over the unchanged corpus (the
content-hash cache), and ruff on comparable detection rules as the speed-of-light
reference. Prints medians, ratios and peak memory (summed over the process tree).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).parent / ".data"
SDIST = "django==5.2"
CASES = {
    "sparse": ("django.utils.crypto.get_random_string", "django.utils.secrets.random_string"),
    "wide": ("django.db.models", "django.db.orm"),
}
BIN = Path(sys.executable).parent


def corpus() -> Path:
    """Django's sdist, downloaded once and kept in benchmarks/.data."""
    target = DATA / "Django-5.2"
    if target.is_dir():
        return target
    DATA.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-binary",
            ":all:",
            "--no-deps",
            "-d",
            str(DATA),
            SDIST,
        ],
        check=True,
        capture_output=True,
    )
    with tarfile.open(next(DATA.glob("[Dd]jango-5.2.tar.gz"))) as archive:
        archive.extractall(DATA, filter="data")
    return target


def subset(source: Path, limit: int | None, into: Path) -> Path:
    """A copy of the corpus (the first ``limit`` modules, in path order, when given)."""
    files = sorted(p for p in source.rglob("*.py"))
    for path in files[:limit] if limit else files:
        target = into / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return into


def _tree_rss(root_pid: int) -> int:
    """Resident memory (bytes) of ``root_pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of the whole process tree of ``command``."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak = 0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.wait()
    sampler.join()
    return time.perf_counter() - started, peak / 2**20


def libcst_rename(old: str, new: str, jobs: int) -> Callable[[Path], list[str]]:
    return lambda root: [
        sys.executable,
        "-m",
        "libcst.tool",
        "codemod",
        "rename.RenameCommand",
        f"--old_name={old}",
        f"--new_name={new}",
        "--no-format",
        "-j",
        str(jobs),
        str(root),
    ]


def fleetmod_rename(
    old: str, new: str, jobs: int, cache: Path | None
) -> Callable[[Path], list[str]]:
    return lambda root: [
        str(BIN / "fleetmod"),
        "apply",
        str(root),
        "-c",
        "rename-symbol",
        "-o",
        f"rename-symbol.old={old}",
        "-o",
        f"rename-symbol.new={new}",
        "--write",
        "--jobs",
        str(jobs),
        "--target-version",
        "3.10",
        *(["--no-cache"] if cache is None else []),
    ]


def ruff_reference(root: Path) -> list[str]:
    return [
        str(BIN / "ruff"),
        "check",
        "--isolated",
        "--no-cache",
        "--exit-zero",
        "--select",
        "S506,S113,S324,TID",
        str(root),
    ]


def run_case(
    name: str,
    tools: dict[str, Callable[[Path], list[str]]],
    source: Path,
    limit: int | None,
    runs: int,
    scratch: Path,
) -> dict[str, list[tuple[float, float]]]:
    results: dict[str, list[tuple[float, float]]] = {tool: [] for tool in tools}
    for attempt in range(runs):
        for tool, command in tools.items():  # alternated: one run of each tool in turn
            root = subset(source, limit, scratch / f"{name}-{tool}-{attempt}")
            results[tool].append(measure(command(root), scratch))
            shutil.rmtree(root)
            print(f"  {name} {tool} run {attempt + 1}: {results[tool][-1][0]:.1f}s", flush=True)
    return results


def rerun_case(
    source: Path, limit: int | None, jobs: int, runs: int, scratch: Path
) -> list[tuple[float, float]]:
    """fleetmod over a corpus it has already seen: every answer comes from the cache."""
    old, new = CASES["sparse"]
    root = subset(source, limit, scratch / "rerun")
    env_cache = scratch / "cache"
    os.environ["FLEETMOD_CACHE_DIR"] = str(env_cache)
    command = fleetmod_rename(old, new, jobs, env_cache)(root)
    command.remove("--write")
    measure(command, scratch)  # fills the cache
    return [measure(command, scratch) for _ in range(runs)]


def median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), max(s[1] for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="only the first N modules")
    parser.add_argument("--cases", default="sparse,wide")
    args = parser.parse_args()
    source = corpus()
    modules = len(list(source.rglob("*.py")))
    count = min(modules, args.limit or modules)
    print(f"corpus: Django 5.2, {count} modules; jobs={args.jobs}; runs={args.runs}")
    rows: list[tuple[str, str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="fleetmod-bench-") as tmp:
        scratch = Path(tmp)
        os.environ["FLEETMOD_CACHE_DIR"] = str(scratch / "nocache")
        for case in args.cases.split(","):
            old, new = CASES[case]
            tools = {
                "libcst": libcst_rename(old, new, args.jobs),
                "fleetmod": fleetmod_rename(old, new, args.jobs, None),
            }
            results = run_case(case, tools, source, args.limit, args.runs, scratch)
            rows += [(case, tool, *median(samples)) for tool, samples in results.items()]
        rows.append(
            (
                "rerun",
                "fleetmod",
                *median(rerun_case(source, args.limit, args.jobs, args.runs, scratch)),
            )
        )
        ruff = [measure(ruff_reference(source), scratch) for _ in range(args.runs)]
        rows.append(("reference", "ruff", *median(ruff)))
    report(rows)


def report(rows: list[tuple[str, str, float, float]]) -> None:
    times = {(case, tool): seconds for case, tool, seconds, _ in rows}
    print(f"\n{'case':<10} {'tool':<9} {'median':>9} {'peak MB':>8} {'libcst/fleetmod':>16}")
    for case, tool, seconds, memory in rows:
        base = times.get((case if case != "rerun" else "sparse", "libcst"))
        ratio = f"{base / seconds:.1f}x" if base and tool == "fleetmod" else ""
        print(f"{case:<10} {tool:<9} {seconds:>8.2f}s {memory:>8.0f} {ratio:>16}")
    print(
        "targets: sparse >= 30x, rerun >= 100x (against libcst's sparse run), "
        "wide >= 1.0x, peak memory < 500 MB"
    )


if __name__ == "__main__":
    main()
