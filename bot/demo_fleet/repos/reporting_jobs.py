"""reporting-jobs: only findings, nothing a codemod may rewrite on its own."""

from __future__ import annotations

from bot.demo_fleet.sample import GITIGNORE, SampleRepo, pyproject

README = """
# reporting-jobs

Nightly exports for finance and the BI team: each job in `jobs.yaml` dumps one table,
compresses it and drops it in the reports bucket.

```
python -m reporting.run jobs.yaml
python -m pytest -q
```
"""

JOBS = r'''
"""Job definitions from jobs.yaml.

The file uses !!python/name tags for custom formatters, hence FullLoader rather than
safe_load; see REP-88 before changing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List

import yaml


@dataclass(frozen=True)
class Job:
    name: str
    table: str
    schedule: str
    columns: List[str]
    compress: bool = True


def read_jobs(path: Path) -> List[Job]:
    with path.open(encoding="utf-8") as fh:
        document = yaml.load(fh, Loader=yaml.FullLoader)
    jobs = [Job(**entry) for entry in document.get("jobs", [])]
    names = [job.name for job in jobs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"{path}: duplicate job names: {', '.join(duplicates)}")
    return jobs
'''

EXPORT = r'''
"""Dump one table to a compressed CSV with psql; pg tools come with the job's image."""

from __future__ import annotations

import subprocess as sp
from pathlib import Path
from typing import List

SCRATCH = Path("/tmp/reports")


def export_table(dsn: str, table: str, columns: List[str], target: Path) -> Path:
    query = f"COPY (SELECT {', '.join(columns)} FROM {table}) TO STDOUT WITH CSV HEADER"
    sp.run(f'psql "{dsn}" -c "{query}" | gzip > {target}', shell=True, check=True)
    return target


def clean_scratch() -> None:
    sp.run("rm -f /tmp/reports/*.csv.gz", shell=True, check=False)
'''

SCHEDULE = r'''
"""When a job is due: "daily 06:00", "weekly mon 07:30" or "monthly 1 05:00" (UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Tuple

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _time(text: str) -> Tuple[int, int]:
    hour, minute = (int(part) for part in text.split(":"))
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"bad time {text!r}")
    return hour, minute


def is_due(schedule: str, now: datetime) -> bool:
    """Whether the job runs in the minute `now` falls in."""
    kind, *rest = schedule.split()
    if (now.hour, now.minute) != _time(rest[-1]):
        return False
    if kind == "daily" and len(rest) == 1:
        return True
    if kind == "weekly" and len(rest) == 2:
        return WEEKDAYS[now.weekday()] == rest[0].lower()
    if kind == "monthly" and len(rest) == 2:
        return now.day == int(rest[0])
    raise ValueError(f"bad schedule {schedule!r}")
'''

TEST_SCHEDULE = r"""
from datetime import datetime

import pytest

from reporting.schedule import is_due

MONDAY_0730 = datetime(2024, 4, 1, 7, 30)


@pytest.mark.parametrize(
    ("schedule", "due"),
    [
        ("daily 07:30", True),
        ("daily 06:00", False),
        ("weekly mon 07:30", True),
        ("weekly tue 07:30", False),
        ("monthly 1 07:30", True),
        ("monthly 2 07:30", False),
    ],
)
def test_is_due(schedule, due):
    assert is_due(schedule, MONDAY_0730) is due


@pytest.mark.parametrize("schedule", ["hourly 07:30", "daily 25:00", "weekly 07:30"])
def test_bad_schedules_are_refused(schedule):
    with pytest.raises(ValueError):
        is_due(schedule, MONDAY_0730)
"""

TEST_JOBS = r'''
import pytest

pytest.importorskip("yaml")

from reporting.jobs import read_jobs  # noqa: E402

JOBS = """
jobs:
  - name: invoices
    table: billing.invoices
    schedule: daily 06:00
    columns: [number, customer_id, total]
  - name: stock
    table: inventory.levels
    schedule: weekly mon 05:00
    columns: [sku, warehouse, on_hand]
    compress: false
"""


def test_read_jobs(tmp_path):
    path = tmp_path / "jobs.yaml"
    path.write_text(JOBS)
    jobs = read_jobs(path)
    assert [job.name for job in jobs] == ["invoices", "stock"]
    assert jobs[1].compress is False


def test_duplicate_names_are_refused(tmp_path):
    path = tmp_path / "jobs.yaml"
    path.write_text(JOBS.replace("name: stock", "name: invoices"))
    with pytest.raises(ValueError, match="duplicate job names: invoices"):
        read_jobs(path)
'''

REPOSITORY = SampleRepo(
    name="reporting-jobs",
    description="findings only: a FullLoader and psql through shell=True; nothing to rewrite",
    files={
        ".gitignore": GITIGNORE,
        "README.md": README,
        "pyproject.toml": pyproject(
            "reporting-jobs",
            "0.4.1",
            "Nightly table exports for finance and BI.",
            ["PyYAML>=6.0"],
            src_layout=False,
        ),
        "reporting/__init__.py": "",
        "reporting/export.py": EXPORT,
        "reporting/jobs.py": JOBS,
        "reporting/schedule.py": SCHEDULE,
        "tests/test_jobs.py": TEST_JOBS,
        "tests/test_schedule.py": TEST_SCHEDULE,
    },
)
