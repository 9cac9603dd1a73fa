"""admin-portal: a requests wrapper taking **kwargs, shell=True backups, a local `load()`."""

from __future__ import annotations

from bot.demo_fleet.sample import GITIGNORE, SampleRepo, pyproject

README = """
# admin-portal

The back-office pages: user administration over the accounts API, feature flags, and the
nightly backup of uploaded files.

```
python -m pytest -q
```
"""

API = r'''
"""The accounts API, as the admin pages use it."""

from __future__ import annotations

import os
from typing import Any, Dict, List

import requests

BASE_URL = os.environ.get("ACCOUNTS_API", "https://accounts.internal.example.com/v1")


def _auth() -> Dict[str, str]:
    return {"Authorization": f"Bearer {os.environ.get('ACCOUNTS_TOKEN', '')}"}


def call(method: str, path: str, **kwargs: Any) -> requests.Response:
    """Every request to the accounts API; callers add params=, json= and the like."""
    kwargs.setdefault("headers", _auth())
    response = requests.request(method, BASE_URL + path, **kwargs)
    response.raise_for_status()
    return response


def list_users(page: int = 1) -> List[Dict[str, Any]]:
    return call("GET", "/users", params={"page": page}).json()["users"]


def delete_user(user_id: int) -> None:
    requests.delete(f"{BASE_URL}/users/{user_id}", headers=_auth()).raise_for_status()
'''

FLAGS = r'''
"""Feature flags, from a JSON or YAML file deployed next to the app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Union

import yaml

FLAGS_FILE = Path(__file__).with_name("flags.yaml")


def load(path: Union[str, Path] = FLAGS_FILE) -> Dict[str, Any]:
    """Read the flags; a missing file means every flag is off."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    if path.suffix in (".yaml", ".yml"):
        return yaml.safe_load(text) or {}
    return json.loads(text)


def enabled(name: str, user_id: int, flags: Dict[str, Any]) -> bool:
    flag = flags.get(name, False)
    if isinstance(flag, bool):
        return flag
    return user_id % 100 < int(flag.get("percent", 0))


def is_enabled(name: str, user_id: int) -> bool:
    return enabled(name, user_id, load())
'''

BACKUP = r'''
"""Nightly backup of the uploads folder to the backup host."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

BACKUP_HOST = "backup.internal.example.com"


def archive_name(folder: Path, day: datetime.date) -> str:
    return f"{folder.name}-{day:%Y%m%d}.tar.gz"


def backup(folder: Path, day: datetime.date) -> str:
    archive = f"/tmp/{archive_name(folder, day)}"
    subprocess.check_output("tar czf %s -C %s ." % (archive, folder), shell=True)
    subprocess.check_output(["scp", "-q", archive, f"{BACKUP_HOST}:/srv/backups/"])
    return archive
'''

PAGES = r'''
"""Formatting for the admin pages: user rows and pagination."""

from __future__ import annotations

from typing import Any, Dict, List, Optional


def user_row(user: Dict[str, Any]) -> Dict[str, str]:
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return {
        "id": str(user["id"]),
        "name": name or user["email"],
        "email": user["email"],
        "status": "disabled" if user.get("disabled") else "active",
    }


def pagination(page: int, total: int, per_page: int = 50) -> Dict[str, Optional[int]]:
    last = max(1, -(-total // per_page))
    page = min(max(1, page), last)
    return {
        "page": page,
        "last": last,
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if page < last else None,
    }


def user_rows(users: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    return sorted((user_row(u) for u in users), key=lambda row: row["name"].lower())
'''

TEST_PAGES = r"""
from portal.pages import pagination, user_rows


def test_user_rows_sort_by_name_and_fall_back_to_email():
    rows = user_rows(
        [
            {"id": 2, "email": "zed@example.com", "first_name": "Zed", "disabled": True},
            {"id": 1, "email": "anon@example.com"},
        ]
    )
    assert [row["name"] for row in rows] == ["anon@example.com", "Zed"]
    assert rows[1]["status"] == "disabled"


def test_pagination_clamps_the_page():
    assert pagination(9, total=120) == {"page": 3, "last": 3, "previous": 2, "next": None}
    assert pagination(0, total=0)["page"] == 1
"""

TEST_FLAGS = r"""
import json

import pytest

pytest.importorskip("yaml")

from portal.flags import enabled, load  # noqa: E402


def test_missing_file_means_no_flags(tmp_path):
    assert load(tmp_path / "flags.yaml") == {}


def test_percentage_rollout(tmp_path):
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"new_editor": {"percent": 25}, "dark_mode": True}))
    flags = load(path)
    assert enabled("dark_mode", 7, flags)
    assert [enabled("new_editor", user, flags) for user in (124, 125)] == [True, False]
    assert not enabled("unknown", 1, flags)


def test_yaml_flags(tmp_path):
    path = tmp_path / "flags.yaml"
    path.write_text("dark_mode: false\nnew_editor: {percent: 10}\n")
    assert load(path) == {"dark_mode": False, "new_editor": {"percent": 10}}
"""

REPOSITORY = SampleRepo(
    name="admin-portal",
    description="requests.request(**kwargs) wrapper, tar via shell=True, a local load() "
    "that is not yaml's",
    files={
        ".gitignore": GITIGNORE,
        "README.md": README,
        "pyproject.toml": pyproject(
            "admin-portal",
            "5.0.1",
            "Back-office pages for users, flags and backups.",
            ["PyYAML>=6.0", "requests>=2.31"],
            src_layout=False,
        ),
        "portal/__init__.py": "",
        "portal/api.py": API,
        "portal/backup.py": BACKUP,
        "portal/flags.py": FLAGS,
        "portal/pages.py": PAGES,
        "tests/test_flags.py": TEST_FLAGS,
        "tests/test_pages.py": TEST_PAGES,
    },
)
