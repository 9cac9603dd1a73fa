"""A campaign over repositories on the project's GitHub API test server: time and writes.

    python benchmarks/bench_github.py                # 100 repositories, GitHub's pacing off
    python benchmarks/bench_github.py --repos 100 --paced

Every repository needs the change. Prints the first run's and the rerun's wall time, API
requests, write requests and writes per opened pull request (target: at most 4 per PR
opened, none on the rerun). `--paced` keeps the process-wide pacing GitHub asks for (one
content-creating request a second, 80 a minute, 500 an hour); without it the numbers show
the campaign's own cost.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import ratelimit
from bot.campaign import CampaignOptions, run_campaign
from bot.policy import load_policy
from bot.sources import fleet
from tests.github_server import GitHubServer

NEEDS_FIX = (
    "import yaml\n\n\ndef read(path):\n    with open(path) as f:\n        return yaml.load(f)\n"
)
POLICY = """\
id: safe-yaml
title: Load YAML safely
scope:
  repositories:
    github:
      org: acme
codemods:
  - codemod: yaml-safe-load
delivery:
  labels: [fleetmod]
  reviewers: [alice]
limits:
  concurrency: 4
"""


def campaign(root: Path, paced: bool) -> tuple[float, collections.Counter[str]]:
    found = fleet(load_policy(root / "policy.yaml"), root / "state")
    if not paced:
        ratelimit.configure(ratelimit.Settings(write_limits=((10**6, 60.0),), write_interval=0))
    started = time.monotonic()
    result = run_campaign(
        found.policy, found.forge, found.repos, root / "state", CampaignOptions("run")
    )
    return time.monotonic() - started, collections.Counter(o.outcome.value for o in result.outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--paced", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, GitHubServer(Path(tmp) / "gh") as server:
        root = Path(tmp)
        server.add_org("acme")
        server.add_user("alice")
        for index in range(args.repos):
            files = {"app/config.py": NEEDS_FIX, "app/util.py": "x = 1\n"}
            server.create_repo("acme", f"svc-{index:03d}", files)
        os.environ.update(
            FLEETMOD_GITHUB_TOKEN=server.token, FLEETMOD_GITHUB_API_URL=server.base_url
        )
        (root / "policy.yaml").write_text(POLICY)
        print(
            f"{'run':<6} {'wall':>8} {'API requests':>13} {'writes':>7} {'writes/PR':>10}  outcomes"
        )
        for label in ("first", "rerun"):
            server.clear_requests()
            seconds, outcomes = campaign(root, args.paced)
            writes = len(server.write_requests())
            api = sum(1 for r in server.requests if r.kind != "git")
            per_pr = writes / max(outcomes["pr-opened"], 1)
            counts = f"{api:>13} {writes:>7} {per_pr:>10.2f}"
            print(f"{label:<6} {seconds:>7.1f}s {counts}  {dict(outcomes)}")
    print("target: at most 4 writes per PR opened on the first run, none on the rerun")


if __name__ == "__main__":
    main()
