"""Real code to test on: a released sdist, downloaded once into tests/.corpus and reused.

Downloading goes through pip (`pip download --no-binary :all: --no-deps`), so an index,
proxy or certificate configured for pip applies here too. Test processes running side by
side (pytest-xdist) take a file lock, so only one downloads and extracts, and a folder is
only ever seen complete: it is extracted next to its final name and renamed.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / ".corpus"


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _sdist(name: str, version: str, folder: Path) -> Path:
    """The sdist's archive in ``folder``, downloaded by pip if it is not there yet."""
    pattern = f"{name.lower()}-{version}.tar.gz"
    found = [p for p in folder.iterdir() if p.name.lower() == pattern]
    if found:
        return found[0]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
         f"{name}=={version}", "--dest", str(folder), "--quiet", "--disable-pip-version-check"],
        check=True,
    )  # fmt: skip
    return _sdist(name, version, folder)


def sdist_source(name: str, version: str, folder: Path = CORPUS_DIR) -> Path:
    """The extracted source of ``name==version``: downloaded and extracted on first use."""
    target = folder / f"{name.lower()}-{version}"
    if target.is_dir():
        return target
    with _locked(folder):
        if target.is_dir():
            return target
        archive = _sdist(name, version, folder)
        with tempfile.TemporaryDirectory(dir=folder) as scratch, tarfile.open(archive) as tar:
            tar.extractall(scratch, filter="data")
            (top,) = Path(scratch).iterdir()
            top.rename(target)
    return target


def django() -> Path:
    """Django 5.2: ~2,800 modules of real, varied, well-kept Python."""
    return sdist_source("django", "5.2")
