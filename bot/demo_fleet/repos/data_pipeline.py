"""data-pipeline: `from yaml import load`, a requests.Session download, sha1 checksums."""

from __future__ import annotations

from bot.demo_fleet.sample import GITIGNORE, SampleRepo, pyproject

README = """
# data-pipeline

Fetches the raw datasets listed in `pipeline.yaml`, checks them against their published
SHA-1 sums and writes cleaned CSV files to `build/clean/`.

```
python -m pytest -q
```
"""

CONFIG = r'''
"""pipeline.yaml: which datasets to fetch and how to clean them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

from yaml import SafeLoader, load


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    sha1: Optional[str] = None


@dataclass(frozen=True)
class PipelineConfig:
    sources: List[Source]
    drop_columns: Tuple[str, ...] = ()
    date_columns: Tuple[str, ...] = ()
    output: Path = Path("build/clean")


def read_config(path: Path) -> PipelineConfig:
    with path.open(encoding="utf-8") as fh:
        raw = load(fh, Loader=SafeLoader)
    if not isinstance(raw, dict) or not isinstance(raw.get("sources"), list):
        raise ValueError(f"{path}: expected a mapping with a 'sources' list")
    return PipelineConfig(
        sources=[Source(**source) for source in raw["sources"]],
        drop_columns=tuple(raw.get("drop_columns", ())),
        date_columns=tuple(raw.get("date_columns", ())),
        output=Path(raw.get("output", "build/clean")),
    )
'''

FETCH = r'''
"""Download the raw datasets, verifying the SHA-1 sums their publishers list."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import List

import requests

from pipeline.config import Source

log = logging.getLogger(__name__)
CHUNK = 1 << 16


def sha1sum(path: Path) -> str:
    digest = hashlib.sha1()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_name(source: Source) -> str:
    """A stable local file name for a URL; a name, not a security boundary."""
    digest = hashlib.md5(source.url.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{digest[:12]}-{source.name}"


def download(sources: List[Source], target: Path) -> List[Path]:
    target.mkdir(parents=True, exist_ok=True)
    session = requests.Session()
    session.headers["User-Agent"] = "data-pipeline/2.1 (+https://wiki.example.com/data)"
    paths = []
    for source in sources:
        path = target / cache_name(source)
        if path.exists() and source.sha1 and sha1sum(path) == source.sha1:
            log.info("%s: up to date", source.name)
            paths.append(path)
            continue
        with session.get(source.url, stream=True) as response:
            response.raise_for_status()
            with path.open("wb") as fh:
                for block in response.iter_content(CHUNK):
                    fh.write(block)
        if source.sha1 and sha1sum(path) != source.sha1:
            path.unlink()
            raise ValueError(f"{source.name}: checksum mismatch for {source.url}")
        paths.append(path)
    return paths
'''

TRANSFORM = r'''
"""Cleaning rules every dataset goes through before it is published."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Sequence

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y%m%d")
Row = Dict[str, str]


def iso_date(text: str) -> str:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"unrecognised date {text!r}")


def clean(
    rows: Iterable[Row], drop: Sequence[str] = (), dates: Sequence[str] = ()
) -> Iterator[Row]:
    """Strip whitespace, drop columns, normalise dates, and skip exact duplicates."""
    seen = set()
    for row in rows:
        cleaned = {k.strip(): v.strip() for k, v in row.items() if k.strip() not in drop}
        for column in dates:
            if cleaned.get(column):
                cleaned[column] = iso_date(cleaned[column])
        key = tuple(sorted(cleaned.items()))
        if key in seen:
            continue
        seen.add(key)
        yield cleaned


def write_csv(rows: List[Row], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else [])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
'''

TEST_TRANSFORM = r"""
import csv

import pytest

from pipeline.transform import clean, iso_date, write_csv


@pytest.mark.parametrize("text", ["2024-02-29", "29/02/2024", "29.02.2024", " 20240229 "])
def test_iso_date_reads_every_format(text):
    assert iso_date(text) == "2024-02-29"


def test_clean_drops_normalises_and_deduplicates(tmp_path):
    rows = [
        {" id ": "1", "born": "01/02/1990", "ssn": "x"},
        {"id": "1 ", "born": "1990-02-01", "ssn": "y"},
        {"id": "2", "born": "", "ssn": "z"},
    ]
    cleaned = list(clean(rows, drop=["ssn"], dates=["born"]))
    assert cleaned == [{"id": "1", "born": "1990-02-01"}, {"id": "2", "born": ""}]
    path = tmp_path / "out" / "people.csv"
    assert write_csv(cleaned, path) == 2
    with path.open(newline="") as fh:
        assert list(csv.DictReader(fh)) == cleaned
"""

TEST_FETCH = r"""
import pytest

pytest.importorskip("requests")

from pipeline.config import Source  # noqa: E402
from pipeline.fetch import cache_name, sha1sum  # noqa: E402


def test_sha1sum_of_a_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"abc")
    assert sha1sum(path) == "a9993e364706816aba3e25717850c26c9cd0d89d"


def test_cache_names_differ_by_url():
    first = cache_name(Source("prices", "https://data.example.com/v1/prices.csv"))
    second = cache_name(Source("prices", "https://data.example.com/v2/prices.csv"))
    assert first != second
    assert first.endswith("-prices")
"""

TEST_CONFIG = r"""
import pytest

pytest.importorskip("yaml")

from pipeline.config import read_config  # noqa: E402


def test_read_config(tmp_path):
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        "sources:\n"
        "  - {name: prices, url: 'https://data.example.com/prices.csv', sha1: abc}\n"
        "drop_columns: [internal_id]\n"
    )
    config = read_config(path)
    assert config.sources[0].sha1 == "abc"
    assert config.drop_columns == ("internal_id",)
    assert config.output.as_posix() == "build/clean"


def test_sources_are_required(tmp_path):
    path = tmp_path / "pipeline.yaml"
    path.write_text("output: out\n")
    with pytest.raises(ValueError, match="'sources' list"):
        read_config(path)
"""

REPOSITORY = SampleRepo(
    name="data-pipeline",
    description="from yaml import load, SafeLoader; a requests.Session download; sha1 checksums",
    files={
        ".gitignore": GITIGNORE,
        "README.md": README,
        "pyproject.toml": pyproject(
            "data-pipeline",
            "2.1.0",
            "Fetch, verify and clean the raw datasets.",
            ["PyYAML>=6.0", "requests>=2.31"],
        ),
        "src/pipeline/__init__.py": "",
        "src/pipeline/config.py": CONFIG,
        "src/pipeline/fetch.py": FETCH,
        "src/pipeline/transform.py": TRANSFORM,
        "tests/test_config.py": TEST_CONFIG,
        "tests/test_fetch.py": TEST_FETCH,
        "tests/test_transform.py": TEST_TRANSFORM,
    },
)
