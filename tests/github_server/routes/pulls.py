"""Pull requests: create, list, get, update, reviewers, merge."""

from __future__ import annotations

from typing import Any

from tests.github_server import gitstore, pulls
from tests.github_server.call import Call
from tests.github_server.messages import ApiError, Reply, custom, invalid
from tests.github_server.payloads.accounts import team, user
from tests.github_server.payloads.issues import pull
from tests.github_server.router import Route
from tests.github_server.state import Issue, Pull, Repository, now

STATES = ("open", "closed", "all")
NOT_COLLABORATOR = (
    "Reviews may only be requested from collaborators. One or more of the users or teams you "
    "specified is not a collaborator of the {repo} repository."
)


def _render(call: Call, repo: Repository, issue: Issue, *, full: bool = True) -> dict[str, Any]:
    return pull(call.urls, call.state, repo, issue, pulls.live(repo, issue, full=full))


def _head_branch(repo: Repository, head: str) -> str:
    """``branch`` or ``owner:branch``; heads from forks are not modelled."""
    owner, _, branch = head.rpartition(":")
    if owner and owner.lower() != repo.owner.lower():
        raise invalid("PullRequest", "head")
    return branch


def create_pull(call: Call) -> Reply:
    repo = call.writable_repo()
    data = call.body()
    if not data.get("title"):
        raise invalid("PullRequest", "title", "missing_field")
    branch, base = _head_branch(repo, data["head"]), data["base"]
    head_sha = gitstore.branch_sha(repo.path, branch)
    base_sha = gitstore.branch_sha(repo.path, base)
    if head_sha is None:
        raise invalid("PullRequest", "head")
    if base_sha is None:
        raise invalid("PullRequest", "base")
    pulls.refuse_duplicate(repo, branch, base)
    if gitstore.is_ancestor(repo.path, head_sha, base_sha):
        raise custom("PullRequest", f"No commits between {base} and {branch}")
    stamp = now()
    issue = Issue(
        number=call.state.next_number(repo),
        id=call.state.next_id(),
        title=data["title"],
        body=data.get("body") or None,
        author=call.login,
        created_at=stamp,
        updated_at=stamp,
        pull=Pull(
            head_ref=branch,
            base_ref=base,
            draft=bool(data.get("draft", False)),
            maintainer_can_modify=bool(data.get("maintainer_can_modify", False)),
        ),
    )
    repo.issues[issue.number] = issue
    body = _render(call, repo, issue)
    return Reply(201, body, {"Location": body["url"]})


def _listed(repo: Repository, query: dict[str, str]) -> list[Issue]:
    state = query.get("state", "open")
    if state not in STATES:
        raise invalid("PullRequest", "state")
    found = [issue for issue in repo.pulls() if state == "all" or issue.state == state]
    head = query.get("head", "")
    if ":" in head:  # GitHub ignores a head filter without its "owner:" prefix
        owner, _, branch = head.partition(":")
        if owner.lower() != repo.owner.lower():
            return []
        found = [issue for issue in found if issue.pull and issue.pull.head_ref == branch]
    if "base" in query:
        found = [issue for issue in found if issue.pull and issue.pull.base_ref == query["base"]]
    sort = query.get("sort", "created")
    key = (lambda issue: issue.updated_at) if sort == "updated" else (lambda issue: issue.number)
    descending = query.get("direction", "desc" if sort == "created" else "asc") == "desc"
    return sorted(found, key=key, reverse=descending)


def list_pulls(call: Call) -> Reply:
    repo = call.repo()
    heads = gitstore.refs(repo.path, "refs/heads/")
    bodies = [
        pull(call.urls, call.state, repo, issue, pulls.live(repo, issue, heads=heads))
        for issue in _listed(repo, call.query)
    ]
    return call.page(bodies)


def get_pull(call: Call) -> Reply:
    repo = call.repo()
    return Reply(200, _render(call, repo, repo.pull(call.number())))


def _edit(repo: Repository, issue: Issue, data: dict[str, Any]) -> bool:
    """Apply title, body, base and maintainer_can_modify; whether anything visible changed."""
    assert issue.pull is not None
    changed = False
    if "title" in data and data["title"] != issue.title:
        if not data["title"]:
            raise invalid("PullRequest", "title", "missing_field")
        issue.title, changed = data["title"], True
    if "body" in data and (data["body"] or None) != issue.body:
        issue.body, changed = data["body"] or None, True
    if "base" in data and data["base"] != issue.pull.base_ref:
        if gitstore.branch_sha(repo.path, data["base"]) is None:
            raise invalid("PullRequest", "base")
        issue.pull.base_ref, changed = data["base"], True
    if "maintainer_can_modify" in data:
        issue.pull.maintainer_can_modify = bool(data["maintainer_can_modify"])
    return changed


def update_pull(call: Call) -> Reply:
    repo = call.writable_repo()
    issue = repo.pull(call.number())
    assert issue.pull is not None
    data = call.body()
    changed = _edit(repo, issue, data)
    if data.get("state") == "closed" and issue.state == "open":
        pulls.close(repo, issue, call.login)
    elif data.get("state") == "open" and issue.state == "closed":
        if issue.pull.merged_at:
            message = "state cannot be changed. The pull request has been merged."
            raise custom("PullRequest", message)
        pulls.reopen(repo, issue)
    elif changed:
        issue.touch()
    return Reply(200, _render(call, repo, issue))


def _reviewer_names(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    return list(data.get("reviewers") or []), list(data.get("team_reviewers") or [])


def request_reviewers(call: Call) -> Reply:
    repo = call.writable_repo()
    issue = repo.pull(call.number())
    assert issue.pull is not None
    logins, slugs = _reviewer_names(call.body())
    if any(login.lower() == issue.author.lower() for login in logins):
        raise ApiError(422, "Review cannot be requested from pull request author.")
    known_teams = {slug for org, slug in call.state.teams if org == repo.owner.lower()}
    users = [call.state.accounts.get(login.lower()) for login in logins]
    if any(account is None for account in users) or any(
        s.lower() not in known_teams for s in slugs
    ):
        raise ApiError(422, NOT_COLLABORATOR.format(repo=repo.full_name))
    for account in users:
        assert account is not None
        if account.login not in issue.pull.reviewers:
            issue.pull.reviewers.append(account.login)
    for slug in slugs:
        if slug.lower() not in issue.pull.teams:
            issue.pull.teams.append(slug.lower())
    issue.touch()
    return Reply(201, _render(call, repo, issue, full=False))


def list_requested_reviewers(call: Call) -> Reply:
    repo = call.repo()
    issue = repo.pull(call.number())
    assert issue.pull is not None
    users = [user(call.urls, call.state.account(login)) for login in issue.pull.reviewers]
    teams = [
        team(call.urls, call.state.teams[(repo.owner.lower(), slug)]) for slug in issue.pull.teams
    ]
    return Reply(200, {"users": users, "teams": teams})


def remove_requested_reviewers(call: Call) -> Reply:
    repo = call.writable_repo()
    issue = repo.pull(call.number())
    assert issue.pull is not None
    logins, slugs = _reviewer_names(call.request.json_object())
    gone = {login.lower() for login in logins}
    issue.pull.reviewers = [login for login in issue.pull.reviewers if login.lower() not in gone]
    issue.pull.teams = [slug for slug in issue.pull.teams if slug not in {s.lower() for s in slugs}]
    issue.touch()
    return Reply(200, _render(call, repo, issue, full=False))


def merge_pull(call: Call) -> Reply:
    repo = call.writable_repo()
    issue = repo.pull(call.number())
    sha = pulls.merge(repo, issue, call.login)
    return Reply(200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


def check_merged(call: Call) -> Reply:
    """204 when merged, 404 otherwise: what PyGithub's ``is_merged()`` reads."""
    issue = call.repo().pull(call.number())
    assert issue.pull is not None
    if issue.pull.merged_at is None:
        raise ApiError(404, "Not Found")
    return Reply(204)


_PULL = "/repos/{owner}/{repo}/pulls/{number}"
ROUTES = [
    Route("GET", "/repos/{owner}/{repo}/pulls", "pulls/list", list_pulls),
    Route("POST", "/repos/{owner}/{repo}/pulls", "pulls/create", create_pull),
    Route("GET", _PULL, "pulls/get", get_pull),
    Route("PATCH", _PULL, "pulls/update", update_pull),
    Route("POST", f"{_PULL}/requested_reviewers", "pulls/request-reviewers", request_reviewers),
    Route(
        "GET",
        f"{_PULL}/requested_reviewers",
        "pulls/list-requested-reviewers",
        list_requested_reviewers,
    ),
    Route(
        "DELETE",
        f"{_PULL}/requested_reviewers",
        "pulls/remove-requested-reviewers",
        remove_requested_reviewers,
        checked_as=("pulls/request-reviewers", 201),
    ),
    Route("GET", f"{_PULL}/merge", "pulls/check-if-merged", check_merged),
    Route("PUT", f"{_PULL}/merge", "pulls/merge", merge_pull),
]
