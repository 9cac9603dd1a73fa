"""Commits, refs, comparisons, commit statuses and check runs."""

from __future__ import annotations

import zlib
from typing import Any

from tests.github_server.gitstore import CommitInfo, FileChange
from tests.github_server.state import CheckRun, CommitStatus, Repository
from tests.github_server.urls import Urls, node_id, quote

UNSIGNED = {
    "verified": False,
    "reason": "unsigned",
    "payload": None,
    "signature": None,
    "verified_at": None,
}


def _utc(iso: str) -> str:
    """git's ``2024-01-02T03:04:05+00:00`` as GitHub's ``2024-01-02T03:04:05Z``."""
    return iso.replace("+00:00", "Z")


def git_ref(
    urls: Urls, repo: Repository, ref: str, sha: str, kind: str = "commit"
) -> dict[str, Any]:
    """``git-ref`` for ``refs/...``."""
    api = urls.repo_api(repo.full_name)
    plural = "tags" if kind == "tag" else "commits"
    return {
        "ref": ref,
        "node_id": node_id("Ref", zlib.crc32(f"{repo.id}:{ref}".encode())),
        "url": f"{api}/git/{quote(ref)}",
        "object": {"type": kind, "sha": sha, "url": f"{api}/git/{plural}/{sha}"},
    }


def diff_entry(urls: Urls, repo: Repository, commit: str, change: FileChange) -> dict[str, Any]:
    return {
        "sha": change.sha,
        "filename": change.path,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.additions + change.deletions,
        "blob_url": urls.web(repo.owner, repo.name, "blob", commit, change.path),
        "raw_url": urls.web(repo.owner, repo.name, "raw", commit, change.path),
        "contents_url": urls.contents_api(repo.full_name, change.path, commit),
    }


def commit(
    urls: Urls, repo: Repository, info: CommitInfo, files: list[FileChange] | None = None
) -> dict[str, Any]:
    """``commit``; with ``files`` also ``stats`` and ``files``, as repos/get-commit has them."""
    api = urls.commit_api(repo.full_name, info.sha)
    body: dict[str, Any] = {
        "url": api,
        "sha": info.sha,
        "node_id": node_id("Commit", int(info.sha[:7], 16)),
        "html_url": urls.web(repo.owner, repo.name, "commit", info.sha),
        "comments_url": f"{api}/comments",
        "commit": {
            "url": urls.git_commit_api(repo.full_name, info.sha),
            "author": {
                "name": info.author_name,
                "email": info.author_email,
                "date": _utc(info.author_date),
            },
            "committer": {
                "name": info.committer_name,
                "email": info.committer_email,
                "date": _utc(info.committer_date),
            },
            "message": info.message,
            "comment_count": 0,
            "tree": {
                "sha": info.tree,
                "url": f"{urls.repo_api(repo.full_name)}/git/trees/{info.tree}",
            },
            "verification": UNSIGNED,
        },
        "author": None,
        "committer": None,
        "parents": [
            {
                "sha": parent,
                "url": urls.commit_api(repo.full_name, parent),
                "html_url": urls.web(repo.owner, repo.name, "commit", parent),
            }
            for parent in info.parents
        ],
    }
    if files is not None:
        additions = sum(change.additions for change in files)
        deletions = sum(change.deletions for change in files)
        body["stats"] = {
            "additions": additions,
            "deletions": deletions,
            "total": additions + deletions,
        }
        body["files"] = [diff_entry(urls, repo, info.sha, change) for change in files]
    return body


def status(urls: Urls, repo: Repository, entry: CommitStatus) -> dict[str, Any]:
    """``simple-commit-status``."""
    return {
        "id": entry.id,
        "node_id": node_id("StatusContext", entry.id),
        "url": f"{urls.repo_api(repo.full_name)}/statuses/{entry.id}",
        "avatar_url": None,
        "state": entry.state,
        "description": entry.description,
        "target_url": entry.target_url,
        "context": entry.context,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
    }


def combined_state(states: list[str]) -> str:
    """GitHub's rule: any failure or error fails; nothing yet, or anything pending, is pending."""
    if any(state in ("failure", "error") for state in states):
        return "failure"
    if not states or any(state == "pending" for state in states):
        return "pending"
    return "success"


def check_run(urls: Urls, repo: Repository, run: CheckRun) -> dict[str, Any]:
    """``check-run`` (no app, no annotations)."""
    api = f"{urls.repo_api(repo.full_name)}/check-runs/{run.id}"
    html = urls.web(repo.owner, repo.name, "runs", str(run.id))
    return {
        "id": run.id,
        "head_sha": run.head_sha,
        "node_id": node_id("CheckRun", run.id),
        "external_id": "",
        "url": api,
        "html_url": html,
        "details_url": html,
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": run.started_at,
        "completed_at": run.completed_at,
        "output": {
            "title": None,
            "summary": None,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{api}/annotations",
        },
        "name": run.name,
        "check_suite": {"id": run.id},
        "app": None,
        "pull_requests": [],
    }
