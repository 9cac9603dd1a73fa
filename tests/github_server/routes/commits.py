"""Commits and what hangs on them: statuses, check runs, comparisons."""

from __future__ import annotations

from tests.github_server import gitstore
from tests.github_server.call import Call
from tests.github_server.messages import ApiError, Reply
from tests.github_server.pagination import paginate
from tests.github_server.payloads.commits import (
    check_run,
    combined_state,
    commit,
    diff_entry,
    status,
)
from tests.github_server.payloads.repos import repository
from tests.github_server.router import Route
from tests.github_server.state import Repository
from tests.github_server.urls import quote

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _sha(repo: Repository, ref: str, status_code: int = 404) -> str:
    sha = gitstore.resolve(repo.path, ref)
    if sha is None:
        message = f"No commit found for SHA: {ref}" if status_code == 422 else "Not Found"
        raise ApiError(status_code, message)
    return sha


def get_commit(call: Call) -> Reply:
    repo = call.repo()
    sha = _sha(repo, call.params["ref"], 422)
    info = gitstore.commit_info(repo.path, sha)
    files = gitstore.diff(repo.path, info.parents[0] if info.parents else EMPTY_TREE, sha)
    return Reply(200, commit(call.urls, repo, info, files))


def get_combined_status(call: Call) -> Reply:
    repo = call.repo()
    sha = _sha(repo, call.params["ref"])
    latest = {}
    for entry in repo.statuses.get(sha, []):
        latest[entry.context] = entry  # later statuses of a context replace earlier ones
    statuses = [status(call.urls, repo, entry) for entry in latest.values()]
    api = call.urls.commit_api(repo.full_name, sha)
    body = {
        "state": combined_state([entry.state for entry in latest.values()]),
        "statuses": statuses,
        "sha": sha,
        "total_count": len(statuses),
        "repository": repository(call.urls, repo, call.state.account(repo.owner)),
        "commit_url": api,
        "url": f"{api}/status",
    }
    return Reply(200, body)


def list_check_runs(call: Call) -> Reply:
    repo = call.repo()
    sha = _sha(repo, call.params["ref"])
    runs = list(repo.check_runs.get(sha, []))
    if call.query.get("filter", "latest") == "latest":
        runs = list({run.name: run for run in runs}.values())
    if "check_name" in call.query:
        runs = [run for run in runs if run.name == call.query["check_name"]]
    if "status" in call.query:
        runs = [run for run in runs if run.status == call.query["status"]]
    bodies = [check_run(call.urls, repo, run) for run in runs]
    chunk, headers = paginate(bodies, call.query, call.urls.api + call.request.api_path)
    return Reply(200, {"total_count": len(bodies), "check_runs": chunk}, headers)


def _side(repo: Repository, text: str) -> str:
    """``ref`` or ``owner:ref`` (the same repository only) as a commit sha."""
    owner, _, ref = text.rpartition(":")
    if owner and owner.lower() != repo.owner.lower():
        raise ApiError(404, "Not Found")
    return _sha(repo, ref)


def _status(repo: Repository, base: str, head: str) -> str:
    if base == head:
        return "identical"
    if gitstore.is_ancestor(repo.path, base, head):
        return "ahead"
    if gitstore.is_ancestor(repo.path, head, base):
        return "behind"
    return "diverged"


def compare(call: Call) -> Reply:
    """``BASE...HEAD``: commits and files of HEAD since it forked from BASE."""
    repo = call.repo()
    base_text, dots, head_text = call.params["basehead"].partition("...")
    if not dots:
        raise ApiError(404, "Not Found")
    base, head = _side(repo, base_text), _side(repo, head_text)
    fork_point = gitstore.merge_base(repo.path, base, head)
    if fork_point is None:
        raise ApiError(404, f"No common ancestor between {base_text} and {head_text}.")
    shas = gitstore.rev_list(repo.path, head, base)
    info = gitstore.commit_info
    web = call.urls.web(repo.owner, repo.name, "compare", f"{base_text}...{head_text}")
    api = f"{call.urls.repo_api(repo.full_name)}/compare"
    body = {
        "url": f"{api}/{quote(base_text)}...{quote(head_text)}",
        "html_url": web,
        "permalink_url": call.urls.web(repo.owner, repo.name, "compare", f"{base}...{head}"),
        "diff_url": f"{web}.diff",
        "patch_url": f"{web}.patch",
        "base_commit": commit(call.urls, repo, info(repo.path, base)),
        "merge_base_commit": commit(call.urls, repo, info(repo.path, fork_point)),
        "status": _status(repo, base, head),
        "ahead_by": gitstore.count(repo.path, head, base),
        "behind_by": gitstore.count(repo.path, base, head),
        "total_commits": gitstore.count(repo.path, head, base),
        "commits": [commit(call.urls, repo, info(repo.path, sha)) for sha in shas],
        "files": [
            diff_entry(call.urls, repo, head, change)
            for change in gitstore.diff(repo.path, fork_point, head)
        ],
    }
    return Reply(200, body)


_COMMIT = "/repos/{owner}/{repo}/commits/{ref+}"
ROUTES = [
    Route("GET", f"{_COMMIT}/status", "repos/get-combined-status-for-ref", get_combined_status),
    Route("GET", f"{_COMMIT}/check-runs", "checks/list-for-ref", list_check_runs),
    Route("GET", _COMMIT, "repos/get-commit", get_commit),
    Route("GET", "/repos/{owner}/{repo}/compare/{basehead+}", "repos/compare-commits", compare),
]
