"""docs-site: already compliant with the security baseline, mentions of the patterns and all."""

from __future__ import annotations

from bot.demo_fleet.sample import GITIGNORE, SampleRepo, pyproject

README = """
# docs-site

The developer handbook: Markdown pages with YAML front matter, built to static HTML and
deployed with rsync.

```
python -m sitegen build content/ public/
python -m pytest -q
```
"""

PAGES = r'''
"""Pages: Markdown with a YAML front matter block between two `---` lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Tuple

import yaml

FENCE = "---\n"


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    body: str
    meta: Dict[str, Any]


def split_front_matter(text: str) -> Tuple[Dict[str, Any], str]:
    if not text.startswith(FENCE):
        return {}, text
    header, sep, body = text[len(FENCE):].partition("\n" + FENCE)
    if not sep:
        raise ValueError("front matter is not closed by a --- line")
    # safe_load, never yaml.load: anyone with commit access writes front matter.
    meta = yaml.safe_load(header) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a mapping")
    return meta, body


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def parse_page(text: str, fallback_title: str) -> Page:
    meta, body = split_front_matter(text)
    title = str(meta.get("title", fallback_title))
    return Page(slug=meta.get("slug") or slugify(title), title=title, body=body, meta=meta)
'''

ASSETS = r'''
"""Fingerprinted asset names, so that pages can be cached forever."""

from __future__ import annotations

import hashlib
from pathlib import Path


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def etag(data: bytes) -> str:
    """A weak ETag for the dev server; md5 is fine here, nothing depends on it being secure."""
    return 'W/"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


def fingerprinted(path: Path) -> str:
    return f"{path.stem}.{fingerprint(path.read_bytes())}{path.suffix}"
'''

LINKS = r'''
"""Check the external links of the built site (CI runs this weekly, not on every push)."""

from __future__ import annotations

import re
from typing import Dict, Iterable, List

import requests

HREF = re.compile(r'href="(https?://[^"]+)"')


def external_links(html: str) -> List[str]:
    return sorted(set(HREF.findall(html)))


def broken(urls: Iterable[str]) -> Dict[str, str]:
    """URL -> why it is broken. A timeout is as broken as a 404 for a reader."""
    problems = {}
    with requests.Session() as session:
        for url in urls:
            try:
                response = session.head(url, allow_redirects=True, timeout=10)
            except requests.RequestException as exc:
                problems[url] = type(exc).__name__
                continue
            if response.status_code >= 400:
                problems[url] = f"HTTP {response.status_code}"
    return problems
'''

DEPLOY = r'''
"""Deploy the built site: rsync to the web host, arguments as a list (no shell=True)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import List

WEB_HOST = "docs.internal.example.com"


def rsync_command(public: Path, host: str = WEB_HOST) -> List[str]:
    return ["rsync", "-az", "--delete", f"{public}/", f"{host}:/srv/www/handbook/"]


def deploy(public: Path) -> None:
    subprocess.run(rsync_command(public), check=True)
'''

TEST_PAGES = r"""
import pytest

pytest.importorskip("yaml")

from sitegen.pages import parse_page, slugify, split_front_matter  # noqa: E402


def test_front_matter_and_body():
    page = parse_page("---\ntitle: Getting Started\ntags: [intro]\n---\n# Hello\n", "x")
    assert (page.slug, page.title, page.body) == ("getting-started", "Getting Started", "# Hello\n")
    assert page.meta["tags"] == ["intro"]


def test_no_front_matter_uses_the_fallback_title():
    assert parse_page("Just text\n", "Release Notes").slug == "release-notes"


def test_python_tags_are_refused():
    with pytest.raises(Exception, match="python/object"):
        split_front_matter("---\nx: !!python/object/apply:os.system [ls]\n---\n")


def test_slugify():
    assert slugify("  What's new in 2.0?  ") == "what-s-new-in-2-0"
"""

TEST_ASSETS = r"""
from pathlib import Path

from sitegen.assets import etag, fingerprinted
from sitegen.deploy import rsync_command


def test_fingerprint_changes_with_the_content(tmp_path):
    path = tmp_path / "site.css"
    path.write_text("body { color: black }")
    before = fingerprinted(path)
    path.write_text("body { color: navy }")
    assert before.startswith("site.") and before.endswith(".css")
    assert fingerprinted(path) != before


def test_etag_is_weak():
    assert etag(b"x").startswith('W/"')


def test_rsync_copies_the_folder_contents():
    assert rsync_command(Path("public"), "web")[-2:] == ["public/", "web:/srv/www/handbook/"]
"""

REPOSITORY = SampleRepo(
    name="docs-site",
    description="already compliant: safe_load, timeouts, sha256, list-form subprocess",
    files={
        ".gitignore": GITIGNORE,
        "README.md": README,
        "pyproject.toml": pyproject(
            "docs-site",
            "1.0.0",
            "The developer handbook's static site generator.",
            ["PyYAML>=6.0", "requests>=2.31"],
            src_layout=False,
        ),
        "sitegen/__init__.py": "",
        "sitegen/assets.py": ASSETS,
        "sitegen/deploy.py": DEPLOY,
        "sitegen/links.py": LINKS,
        "sitegen/pages.py": PAGES,
        "tests/test_assets.py": TEST_ASSETS,
        "tests/test_pages.py": TEST_PAGES,
    },
)
