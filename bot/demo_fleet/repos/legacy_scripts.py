"""legacy-scripts: a Python 2 script that does not parse, next to fixable Python 3 ones."""

from __future__ import annotations

from bot.demo_fleet.sample import GITIGNORE, SampleRepo, pyproject

README = """
# legacy-scripts

Cron scripts from the old ops box. Everything runs on Python 3 except
`scripts/rotate_logs.py`, which still needs the python2 interpreter on ops-01
(see OPS-311).

```
python -m pytest -q
```
"""

ROTATE_LOGS = r'''
#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Rotate and compress the logs named in logs.yaml. Runs from cron at 03:00 on ops-01."""
import glob
import gzip
import os
import shutil
import sys
import time

import yaml


def rotate(path, stamp):
    target = "%s.%s.gz" % (path, stamp)
    try:
        src = open(path, "rb")
        dst = gzip.open(target, "wb")
        shutil.copyfileobj(src, dst)
        dst.close()
        src.close()
    except IOError, e:
        print >>sys.stderr, "cannot rotate %s: %s" % (path, e)
        return None
    open(path, "w").close()
    return target


def main(config_path):
    config = yaml.load(open(config_path))
    stamp = time.strftime("%Y%m%d")
    for pattern in config["logs"]:
        for path in glob.glob(pattern):
            if os.path.getsize(path) < config.get("min_bytes", 1024):
                continue
            target = rotate(path, stamp)
            if target:
                print "rotated", path, "->", target


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/etc/ops/logs.yaml")
'''

SYNC_BUCKETS = r'''
#!/usr/bin/env python3
"""Mirror the buckets listed in the ops manifest to the DR region."""

from __future__ import annotations

import subprocess
import sys

import requests

from opsutils.naming import dr_bucket, validate_bucket

MANIFEST_URL = "https://ops.internal.example.com/manifests/buckets.json"


def main() -> int:
    buckets = requests.get(MANIFEST_URL).json()["buckets"]
    failures = 0
    for name in buckets:
        validate_bucket(name)
        source, target = f"s3://{name}", f"s3://{dr_bucket(name)}"
        command = "aws s3 sync %s %s --delete" % (source, target)
        failures += subprocess.call(command, shell=True) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
'''

NAMING = r'''
"""Bucket naming rules shared by the ops scripts."""

from __future__ import annotations

import re

BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
DR_SUFFIX = "-dr"


def validate_bucket(name: str) -> str:
    if not BUCKET.match(name) or ".." in name:
        raise ValueError(f"invalid bucket name {name!r}")
    return name


def dr_bucket(name: str) -> str:
    """The disaster-recovery copy of a bucket: same name, -dr suffix, within 63 characters."""
    validate_bucket(name)
    return name[: 63 - len(DR_SUFFIX)] + DR_SUFFIX
'''

TEST_NAMING = r"""
import pytest

from opsutils.naming import dr_bucket, validate_bucket


@pytest.mark.parametrize("name", ["Uploads", "a", "bad..name", "-leading"])
def test_invalid_names(name):
    with pytest.raises(ValueError):
        validate_bucket(name)


def test_dr_bucket_keeps_within_63_characters():
    assert dr_bucket("uploads") == "uploads-dr"
    assert len(dr_bucket("x" * 63)) == 63
"""

REPOSITORY = SampleRepo(
    name="legacy-scripts",
    description="a Python 2 script that does not parse, next to fixable Python 3 ones",
    files={
        ".gitignore": GITIGNORE,
        "README.md": README,
        "pyproject.toml": pyproject(
            "legacy-scripts",
            "0.0.0",
            "Cron scripts from the old ops box.",
            ["PyYAML>=6.0", "requests>=2.31"],
            src_layout=False,
        ),
        "opsutils/__init__.py": "",
        "opsutils/naming.py": NAMING,
        "scripts/rotate_logs.py": ROTATE_LOGS,
        "scripts/sync_buckets.py": SYNC_BUCKETS,
        "tests/test_naming.py": TEST_NAMING,
    },
    executable=frozenset({"scripts/rotate_logs.py", "scripts/sync_buckets.py"}),
)
