"""How pull requests behave on top of git: live heads, duplicates, closing and merging.

As on GitHub, an open pull request's head is whatever its branch points at now (a push
shows at once); closing freezes it, and deleting the head branch closes the pull request.
"""

from __future__ import annotations

from collections.abc import Mapping

from tests.github_server import gitstore
from tests.github_server.messages import ApiError, custom
from tests.github_server.payloads.commits import combined_state
from tests.github_server.payloads.issues import PullLive, PullStats
from tests.github_server.state import Issue, Pull, Repository, State, now

MERGER = ("GitHub test server", "noreply@example.com")


def _pull(issue: Issue) -> Pull:
    assert issue.pull is not None
    return issue.pull


def head_sha(repo: Repository, issue: Issue, heads: Mapping[str, str] | None = None) -> str:
    """The live branch for an open pull request, the frozen sha for a closed one."""
    pr = _pull(issue)
    if issue.state == "open":
        branches = heads if heads is not None else gitstore.refs(repo.path, "refs/heads/")
        live_sha = branches.get(f"refs/heads/{pr.head_ref}")
        if live_sha:
            return live_sha
    return pr.closed_head_sha or gitstore.ZERO


def live(
    repo: Repository, issue: Issue, *, full: bool = False, heads: Mapping[str, str] | None = None
) -> PullLive:
    """What git says of ``issue`` now; ``full`` adds size and mergeability (more git calls).

    ``heads`` (all of ``refs/heads/``) saves a git call per pull request in a listing.
    """
    pr = _pull(issue)
    branches = heads if heads is not None else gitstore.refs(repo.path, "refs/heads/")
    head = head_sha(repo, issue, branches)
    base = branches.get(f"refs/heads/{pr.base_ref}", gitstore.ZERO)
    return PullLive(head, base, stats(repo, issue, head, base) if full else None)


def stats(repo: Repository, issue: Issue, head: str, base: str) -> PullStats:
    pr = _pull(issue)
    if gitstore.ZERO in (head, base):
        return PullStats(0, 0, 0, 0, None, "unknown")
    changes = gitstore.diff(repo.path, base, head, since_fork=True)
    commits = gitstore.count(repo.path, head, base)
    additions = sum(change.additions for change in changes)
    deletions = sum(change.deletions for change in changes)
    if issue.state != "open":
        return PullStats(commits, additions, deletions, len(changes), None, "unknown")
    mergeable = gitstore.merge_tree(repo.path, base, head) is not None
    return PullStats(
        commits,
        additions,
        deletions,
        len(changes),
        mergeable,
        _mergeable_state(repo, pr.draft, mergeable, head),
    )


def _mergeable_state(repo: Repository, draft: bool, mergeable: bool, head: str) -> str:
    if draft:
        return "draft"
    if not mergeable:
        return "dirty"
    states = [entry.state for entry in repo.statuses.get(head, [])]
    conclusions = [run.conclusion for run in repo.check_runs.get(head, [])]
    if states and combined_state(states) == "failure":
        return "unstable"
    if any(conclusion in ("failure", "timed_out", "cancelled") for conclusion in conclusions):
        return "unstable"
    return "clean"


def open_duplicate(repo: Repository, head_ref: str, base_ref: str) -> Issue | None:
    for issue in repo.pulls():
        pr = _pull(issue)
        if issue.state == "open" and pr.head_ref == head_ref and pr.base_ref == base_ref:
            return issue
    return None


def refuse_duplicate(repo: Repository, head_ref: str, base_ref: str) -> None:
    """GitHub's 422 for a second open pull request with the same head and base."""
    if open_duplicate(repo, head_ref, base_ref) is not None:
        raise custom("PullRequest", f"A pull request already exists for {repo.owner}:{head_ref}.")


def close(repo: Repository, issue: Issue, by: str) -> None:
    _pull(issue).closed_head_sha = head_sha(repo, issue)
    issue.state = "closed"
    issue.closed_at = now()
    issue.closed_by = by
    issue.touch()


def reopen(repo: Repository, issue: Issue) -> None:
    pr = _pull(issue)
    if gitstore.branch_sha(repo.path, pr.head_ref) is None:
        raise custom("PullRequest", "Cannot reopen: the head branch no longer exists.")
    refuse_duplicate(repo, pr.head_ref, pr.base_ref)
    issue.state = "open"
    issue.closed_at = None
    issue.closed_by = None
    pr.closed_head_sha = None
    issue.touch()


def merge(repo: Repository, issue: Issue, by: str) -> str:
    """Merge the head into the base with a merge commit, as the merge button does."""
    pr = _pull(issue)
    if issue.state != "open":
        raise ApiError(405, "Pull Request is not mergeable")
    head = head_sha(repo, issue)
    base = gitstore.branch_sha(repo.path, pr.base_ref)
    tree = gitstore.merge_tree(repo.path, base, head) if base else None
    if base is None or tree is None:
        raise ApiError(405, "Pull Request is not mergeable")
    message = f"Merge pull request #{issue.number} from {repo.owner}/{pr.head_ref}\n\n{issue.title}"
    sha = gitstore.commit_tree(repo.path, tree, [base, head], message, MERGER)
    gitstore.update_ref(repo.path, f"refs/heads/{pr.base_ref}", sha, base)
    close(repo, issue, by)
    pr.merged_at = issue.closed_at
    pr.merged_by = by
    pr.merge_commit_sha = sha
    return sha


def branch_deleted(state: State, repo: Repository, branch: str, last_sha: str) -> None:
    """GitHub closes the open pull requests whose head branch is deleted."""
    with state.lock:
        for issue in repo.pulls():
            pr = _pull(issue)
            if issue.state == "open" and pr.head_ref == branch:
                pr.closed_head_sha = last_sha
                issue.state = "closed"
                issue.closed_at = now()
                issue.touch()
