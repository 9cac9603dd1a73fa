"""Repositories, branches, rules, topics and contents."""

from __future__ import annotations

import base64
import functools
from typing import Any

from tests.github_server.gitstore import Entry
from tests.github_server.payloads.accounts import user
from tests.github_server.seeds import rebased, repository_template
from tests.github_server.state import Account, Repository
from tests.github_server.urls import Urls, quote

_SEED = "octocat/Hello-World"
# Facts about octocat/Hello-World that are not true of a test repository.
_NOT_OURS = ("organization", "parent", "source", "template_repository", "temp_clone_token")


@functools.cache
def _template() -> dict[str, Any]:
    seed = repository_template()
    for key in _NOT_OURS:
        seed.pop(key, None)
    return seed


def repository(urls: Urls, repo: Repository, owner: Account) -> dict[str, Any]:
    """``full-repository``, which also satisfies the minimal, plain and search shapes."""
    web = urls.web(repo.owner, repo.name)
    host = urls.host.split(":")[0]
    body = rebased(
        _template(),
        [
            (f"https://api.github.com/repos/{_SEED}", urls.repo_api(repo.full_name)),
            (f"https://github.com/{_SEED}", web),
            (f"git:github.com/{_SEED}", f"git://{host}/{repo.full_name}"),
            (f"git@github.com:{_SEED}", f"git@{host}:{repo.full_name}"),
            (f"https://svn.github.com/{_SEED}", web),
        ],
    )
    stamp = repo.pushed_at or repo.created_at
    body.update(
        id=repo.id,
        node_id=repo.node_id,
        name=repo.name,
        full_name=repo.full_name,
        owner=user(urls, owner),
        private=repo.private,
        visibility="private" if repo.private else "public",
        description=repo.description,
        fork=repo.fork,
        archived=repo.archived,
        disabled=repo.disabled,
        clone_url=urls.git(repo.full_name),
        mirror_url=None,
        homepage=None,
        language=None,
        license=None,
        default_branch=repo.default_branch,
        topics=list(repo.topics),
        forks=0,
        forks_count=0,
        stargazers_count=0,
        watchers=0,
        watchers_count=0,
        size=0,
        network_count=0,
        subscribers_count=0,
        created_at=repo.created_at,
        updated_at=stamp,
        pushed_at=stamp,
        allow_auto_merge=repo.allow_auto_merge,
        delete_branch_on_merge=False,
        permissions={"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
    )
    open_issues = sum(1 for issue in repo.issues.values() if issue.state == "open")
    body.update(open_issues=open_issues, open_issues_count=open_issues)
    if owner.kind == "Organization":
        body["organization"] = user(urls, owner)
    return body


def branch(urls: Urls, repo: Repository, name: str, commit: dict[str, Any]) -> dict[str, Any]:
    """``branch-with-protection``."""
    api = f"{urls.repo_api(repo.full_name)}/branches/{quote(name)}"
    protected = name in repo.protected
    checks = {"enforcement_level": "off", "contexts": [], "checks": []}
    return {
        "name": name,
        "commit": commit,
        "_links": {"self": api, "html": urls.web(repo.owner, repo.name, "tree", name)},
        "protected": protected,
        "protection": {"enabled": protected, "required_status_checks": checks},
        "protection_url": f"{api}/protection",
    }


def branch_rules(repo: Repository, name: str) -> list[dict[str, Any]]:
    """The rules a protected branch carries: no direct update, deletion or force push."""
    if name not in repo.protected:
        return []
    source = {
        "ruleset_source_type": "Repository",
        "ruleset_source": repo.full_name,
        "ruleset_id": 1,
    }
    return [
        {"type": "update", "parameters": {"update_allows_fetch_and_merge": False}, **source},
        {"type": "deletion", **source},
        {"type": "non_fast_forward", **source},
    ]


def content(urls: Urls, repo: Repository, entry: Entry, ref: str) -> dict[str, Any]:
    """One entry of ``content-tree`` (a directory listing item, or a file without content)."""
    api = urls.contents_api(repo.full_name, entry.path, ref)
    git_kind = "blobs" if entry.kind == "file" else "trees"
    git_url = f"{urls.repo_api(repo.full_name)}/git/{git_kind}/{entry.sha}"
    html = urls.web(
        repo.owner, repo.name, "blob" if entry.kind == "file" else "tree", ref, entry.path
    )
    raw = urls.web(repo.owner, repo.name, "raw", ref, entry.path) if entry.kind == "file" else None
    return {
        "type": entry.kind,
        "size": entry.size,
        "name": entry.name,
        "path": entry.path,
        "sha": entry.sha,
        "url": api,
        "git_url": git_url,
        "html_url": html,
        "download_url": raw,
        "_links": {"self": api, "git": git_url, "html": html},
    }


def file_content(
    urls: Urls, repo: Repository, entry: Entry, ref: str, data: bytes
) -> dict[str, Any]:
    """A file with its content, base64 in lines of 60 as GitHub sends it."""
    encoded = base64.b64encode(data).decode()
    lines = [encoded[i : i + 60] for i in range(0, len(encoded), 60)]
    body = content(urls, repo, entry, ref)
    body.update(content="".join(line + "\n" for line in lines), encoding="base64")
    return body
