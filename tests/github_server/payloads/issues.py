"""Issues, pull requests, labels and comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.github_server.payloads.accounts import team, user
from tests.github_server.payloads.repos import repository
from tests.github_server.state import Comment, Issue, Label, Repository, State
from tests.github_server.urls import Urls, node_id, quote


@dataclass(frozen=True)
class PullStats:
    """What only the single pull request shape carries: size and mergeability."""

    commits: int
    additions: int
    deletions: int
    changed_files: int
    mergeable: bool | None
    mergeable_state: str


@dataclass(frozen=True)
class PullLive:
    """What a pull request reads from git when it is rendered."""

    head_sha: str
    base_sha: str
    stats: PullStats | None = None


def label(urls: Urls, repo: Repository, entry: Label) -> dict[str, Any]:
    return {
        "id": entry.id,
        "node_id": node_id("Label", entry.id),
        "url": f"{urls.repo_api(repo.full_name)}/labels/{quote(entry.name)}",
        "name": entry.name,
        "description": entry.description,
        "color": entry.color,
        "default": False,
    }


def labels_of(urls: Urls, repo: Repository, issue: Issue) -> list[dict[str, Any]]:
    return [label(urls, repo, repo.labels[name.lower()]) for name in issue.labels]


def _association(repo: Repository, login: str) -> str:
    return "OWNER" if login.lower() == repo.owner.lower() else "MEMBER"


def comment(urls: Urls, state: State, repo: Repository, entry: Comment) -> dict[str, Any]:
    """``issue-comment``."""
    kind = "pull" if repo.issues[entry.number].pull else "issues"
    return {
        "id": entry.id,
        "node_id": node_id("IssueComment", entry.id),
        "url": f"{urls.repo_api(repo.full_name)}/issues/comments/{entry.id}",
        "html_url": urls.web(repo.owner, repo.name, kind, str(entry.number))
        + f"#issuecomment-{entry.id}",
        "issue_url": urls.issue_api(repo.full_name, entry.number),
        "body": entry.body,
        "user": user(urls, state.account(entry.author)),
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "author_association": _association(repo, entry.author),
        "performed_via_github_app": None,
    }


def issue(urls: Urls, state: State, repo: Repository, entry: Issue) -> dict[str, Any]:
    """``issue``; a pull request seen through the issues API carries ``pull_request``."""
    api = urls.issue_api(repo.full_name, entry.number)
    body: dict[str, Any] = {
        "id": entry.id,
        "node_id": entry.node_id,
        "url": api,
        "repository_url": urls.repo_api(repo.full_name),
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": urls.web(
            repo.owner, repo.name, "pull" if entry.pull else "issues", str(entry.number)
        ),
        "number": entry.number,
        "state": entry.state,
        "state_reason": "completed" if entry.state == "closed" else None,
        "title": entry.title,
        "body": entry.body,
        "user": user(urls, state.account(entry.author)),
        "labels": labels_of(urls, repo, entry),
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": len(entry.comments),
        "closed_at": entry.closed_at,
        "closed_by": user(urls, state.account(entry.closed_by)) if entry.closed_by else None,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "author_association": _association(repo, entry.author),
    }
    if entry.pull:
        web = urls.web(repo.owner, repo.name, "pull", str(entry.number))
        body["draft"] = entry.pull.draft
        body["pull_request"] = {
            "url": urls.pull_api(repo.full_name, entry.number),
            "html_url": web,
            "diff_url": f"{web}.diff",
            "patch_url": f"{web}.patch",
            "merged_at": entry.pull.merged_at,
        }
    return body


def _side(urls: Urls, state: State, repo: Repository, ref: str, sha: str) -> dict[str, Any]:
    owner = state.account(repo.owner)
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user(urls, owner),
        "repo": repository(urls, repo, owner),
    }


def pull(
    urls: Urls, state: State, repo: Repository, entry: Issue, live: PullLive
) -> dict[str, Any]:
    """``pull-request-simple``, or the full ``pull-request`` when ``live.stats`` is given."""
    assert entry.pull is not None
    pr = entry.pull
    api = urls.pull_api(repo.full_name, entry.number)
    issue_api = urls.issue_api(repo.full_name, entry.number)
    web = urls.web(repo.owner, repo.name, "pull", str(entry.number))
    statuses = f"{urls.repo_api(repo.full_name)}/statuses/{live.head_sha}"
    review_comment = f"{urls.repo_api(repo.full_name)}/pulls/comments{{/number}}"
    body: dict[str, Any] = {
        "url": api,
        "id": entry.id,
        "node_id": entry.node_id,
        "html_url": web,
        "diff_url": f"{web}.diff",
        "patch_url": f"{web}.patch",
        "issue_url": issue_api,
        "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": review_comment,
        "comments_url": f"{issue_api}/comments",
        "statuses_url": statuses,
        "number": entry.number,
        "state": entry.state,
        "locked": False,
        "title": entry.title,
        "user": user(urls, state.account(entry.author)),
        "body": entry.body,
        "labels": labels_of(urls, repo, entry),
        "milestone": None,
        "active_lock_reason": None,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "closed_at": entry.closed_at,
        "merged_at": pr.merged_at,
        "merge_commit_sha": pr.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [user(urls, state.account(login)) for login in pr.reviewers],
        "requested_teams": [team(urls, state.teams[key]) for key in _team_keys(repo, pr.teams)],
        "head": _side(urls, state, repo, pr.head_ref, live.head_sha),
        "base": _side(urls, state, repo, pr.base_ref, live.base_sha),
        "_links": {
            "self": {"href": api},
            "html": {"href": web},
            "issue": {"href": issue_api},
            "comments": {"href": f"{issue_api}/comments"},
            "review_comments": {"href": f"{api}/comments"},
            "review_comment": {"href": review_comment},
            "commits": {"href": f"{api}/commits"},
            "statuses": {"href": statuses},
        },
        "author_association": _association(repo, entry.author),
        "auto_merge": _auto_merge(urls, state, entry),
        "draft": pr.draft,
    }
    if live.stats is not None:
        body.update(_full(urls, state, entry, live.stats))
    return body


def _team_keys(repo: Repository, slugs: list[str]) -> list[tuple[str, str]]:
    return [(repo.owner.lower(), slug.lower()) for slug in slugs]


def _auto_merge(urls: Urls, state: State, entry: Issue) -> dict[str, Any] | None:
    assert entry.pull is not None
    if entry.pull.auto_merge is None or entry.pull.auto_merge_by is None:
        return None
    return {
        "enabled_by": user(urls, state.account(entry.pull.auto_merge_by)),
        "merge_method": entry.pull.auto_merge,
        "commit_title": entry.title,
        "commit_message": "",
    }


def _full(urls: Urls, state: State, entry: Issue, stats: PullStats) -> dict[str, Any]:
    assert entry.pull is not None
    merged_by = entry.pull.merged_by
    return {
        "merged": entry.pull.merged_at is not None,
        "mergeable": stats.mergeable,
        "rebaseable": stats.mergeable,
        "mergeable_state": stats.mergeable_state,
        "merged_by": user(urls, state.account(merged_by)) if merged_by else None,
        "comments": len(entry.comments),
        "review_comments": 0,
        "maintainer_can_modify": entry.pull.maintainer_can_modify,
        "commits": stats.commits,
        "additions": stats.additions,
        "deletions": stats.deletions,
        "changed_files": stats.changed_files,
    }
