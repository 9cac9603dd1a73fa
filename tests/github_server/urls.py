"""Every absolute URL the server writes, under its own address.

PyGithub follows ``url`` fields and ``Link`` headers and asserts that they are on its
``base_url`` host and port, so no URL may point at github.com.
"""

from __future__ import annotations

import base64
import urllib.parse
from dataclasses import dataclass

API_PREFIX = "/api/v3"
GRAPHQL_PATH = "/api/graphql"


def quote(value: str) -> str:
    return urllib.parse.quote(value, safe="/")


def node_id(kind: str, number: int) -> str:
    """GitHub's legacy global node id: base64 of ``<len(kind):03d>:<kind><id>``."""
    return base64.b64encode(f"{len(kind):03d}:{kind}{number}".encode()).decode()


@dataclass(frozen=True)
class Urls:
    root: str  # "http://127.0.0.1:PORT"

    @property
    def api(self) -> str:
        return self.root + API_PREFIX

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.root).netloc

    def user_api(self, login: str) -> str:
        return f"{self.api}/users/{login}"

    def web(self, *parts: str) -> str:
        return "/".join([self.root, *(quote(part) for part in parts)])

    def repo_api(self, full_name: str) -> str:
        return f"{self.api}/repos/{full_name}"

    def git(self, full_name: str) -> str:
        return f"{self.root}/{full_name}.git"

    def pull_api(self, full_name: str, number: int) -> str:
        return f"{self.repo_api(full_name)}/pulls/{number}"

    def issue_api(self, full_name: str, number: int) -> str:
        return f"{self.repo_api(full_name)}/issues/{number}"

    def commit_api(self, full_name: str, sha: str) -> str:
        return f"{self.repo_api(full_name)}/commits/{sha}"

    def git_commit_api(self, full_name: str, sha: str) -> str:
        return f"{self.repo_api(full_name)}/git/commits/{sha}"

    def contents_api(self, full_name: str, path: str, ref: str) -> str:
        return f"{self.repo_api(full_name)}/contents/{quote(path)}?ref={quote(ref)}"
