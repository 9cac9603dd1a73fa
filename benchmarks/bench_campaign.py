"""How a campaign over a fleet compares with the shell loop a person would otherwise write.

    python benchmarks/bench_campaign.py            # 50 and 200 repositories, 10% need a change
    python benchmarks/bench_campaign.py --sizes 20,50     # smaller fleets, a quicker look

For each fleet size it builds bare git repositories (a tenth with `yaml.load` calls, the
rest clean), then times, each on a fresh copy of the fleet:
  * the shell loop: `git clone` + `fleetmod apply --write` + `git commit` per repository;
  * `fleetmod run` (clone, rewrite, commit, push, open a PR on the local forge), first run;
  * `fleetmod run` again at once (nothing to do).
and prints wall times, the per-repository overhead and the peak memory of each command.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

MODULE = textwrap.dedent(
    '''\
    """Helpers for the {name} service."""

    import json
    import logging

    log = logging.getLogger(__name__)


    def parse(text):
        """Parse a JSON document, logging what failed."""
        try:
            return json.loads(text)
        except ValueError:
            log.warning("bad document: %r", text[:40])
            raise


    class Store:
        def __init__(self):
            self.items = {{}}

        def put(self, key, value):
            self.items[key] = value

        def get(self, key, default=None):
            return self.items.get(key, default)
    '''
)
VIOLATION = (
    "import yaml\n\n\ndef settings(path):\n    with open(path) as f:\n        return yaml.load(f)\n"
)
POLICY = textwrap.dedent(
    """\
    id: bench
    title: Load YAML safely
    codemods:
      - codemod: yaml-safe-load
      - codemod: requests-timeout
    limits:
      prs_per_run: 10000
      open_prs: 10000
    """
)
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@x",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@x",
    "FLEETMOD_CACHE_DIR": "",
}


def git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=ENV)


def build_fleet(root: Path, count: int) -> Path:
    fleet = root / "fleet"
    for index in range(count):
        name = f"svc-{index:03d}"
        work = root / "work" / name
        (work / name).mkdir(parents=True)
        for module in range(8):
            (work / name / f"mod{module}.py").write_text(MODULE.format(name=name))
        if index % 10 == 0:
            (work / name / "config.py").write_text(VIOLATION)
        git("init", "-q", "-b", "main", str(work))
        git("add", "-A", cwd=work)
        git("commit", "-qm", "initial", cwd=work)
        git("clone", "-q", "--bare", str(work), str(fleet / f"{name}.git"))
    shutil.rmtree(root / "work")
    return fleet


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one command (GNU time measures it)."""
    report = cwd / "time.txt"
    started = time.perf_counter()
    subprocess.run(
        ["/usr/bin/time", "-o", str(report), "-f", "%M", *command],
        cwd=cwd,
        check=True,
        capture_output=True,
        env=env,
    )
    seconds = time.perf_counter() - started
    return seconds, int(report.read_text().split()[-1]) / 1024


def shell_loop(fleet: Path, scratch: Path) -> float:
    fleetmod = shutil.which("fleetmod") or "fleetmod"
    script = textwrap.dedent(
        f"""\
        set -e
        for origin in {fleet}/*.git; do
          name=$(basename "$origin" .git)
          git clone -q "$origin" "{scratch}/$name"
          cd "{scratch}/$name"
          {fleetmod} apply . -c yaml-safe-load -c requests-timeout --write --no-cache >/dev/null
          if [ -n "$(git status --porcelain)" ]; then git commit -qam "fix"; fi
          cd - >/dev/null
        done
        """
    )
    started = time.perf_counter()
    subprocess.run(["bash", "-c", script], check=True, capture_output=True, env=ENV)
    return time.perf_counter() - started


def campaign(root: Path, fleet: Path) -> tuple[float, float, float, float]:
    policy = root / "policy.yaml"
    policy.write_text(POLICY)
    env = {**ENV, "FLEETMOD_CACHE_DIR": str(root / "cache")}
    fleetmod = shutil.which("fleetmod") or "fleetmod"
    command = [
        fleetmod,
        "run",
        str(policy),
        "--repos",
        str(fleet),
        "--state-dir",
        str(root / "state"),
    ]
    first, first_mem = timed(command, root, env)
    rerun, rerun_mem = timed(command, root, env)
    return first, first_mem, rerun, rerun_mem


def measure(count: int, runs: int) -> dict[str, float]:
    """The shell loop once; the campaign ``runs`` times on fresh copies, keeping the best
    time of each (a busy machine only ever makes a run slower)."""
    with tempfile.TemporaryDirectory(prefix="fleetmod-bench-") as tmp:
        root = Path(tmp)
        pristine = build_fleet(root / "pristine", count)
        loop_fleet = shutil.copytree(pristine, root / "loop" / "fleet")
        (root / "loop" / "clones").mkdir()
        loop = shell_loop(loop_fleet, root / "loop" / "clones")
        trials = []
        for trial in range(runs):
            shutil.copytree(pristine, root / f"run{trial}" / "fleet")
            trials.append(campaign(root / f"run{trial}", root / f"run{trial}" / "fleet"))
        first, first_mem, rerun, rerun_mem = (min(column) for column in zip(*trials, strict=True))
    return {
        "repos": count,
        "loop": loop,
        "first": first,
        "rerun": rerun,
        "first_mem": first_mem,
        "rerun_mem": rerun_mem,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200", help="fleet sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="campaign runs per size, best kept")
    args = parser.parse_args()
    rows = [measure(int(n), args.runs) for n in args.sizes.split(",")]
    print(
        f"{'repos':>5} {'shell loop':>11} {'first run':>10} {'rerun':>8} "
        f"{'first/loop':>10} {'first/rerun':>11} {'ms/repo loop':>12} {'ms/repo run':>11} "
        f"{'peak MB':>8}"
    )
    for r in rows:
        print(
            f"{r['repos']:>5} {r['loop']:>10.1f}s {r['first']:>9.1f}s {r['rerun']:>7.1f}s "
            f"{r['first'] / r['loop']:>10.2f} {r['first'] / r['rerun']:>11.1f} "
            f"{1000 * r['loop'] / r['repos']:>12.0f} {1000 * r['first'] / r['repos']:>11.0f} "
            f"{max(r['first_mem'], r['rerun_mem']):>8.0f}"
        )
    print(
        "targets: first run no slower than the shell loop (first/loop <= 1), rerun at least"
        " 5x faster (first/rerun >= 5), peak memory flat in the number of repositories"
    )


if __name__ == "__main__":
    main()
