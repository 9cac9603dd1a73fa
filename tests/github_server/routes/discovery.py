"""Finding repositories: an organisation's, a user's, and repository search."""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from tests.github_server.call import Call
from tests.github_server.messages import ApiError, Reply, invalid
from tests.github_server.pagination import paginate
from tests.github_server.payloads.repos import repository
from tests.github_server.router import Route
from tests.github_server.state import Repository

SEARCH_CAP = 1000


def _listed(call: Call, repos: Iterable[Repository]) -> Reply:
    bodies = [repository(call.urls, repo, call.state.account(repo.owner)) for repo in repos]
    return call.page(bodies)


def _kind_filter(repo: Repository, kind: str) -> bool:
    return {
        "public": not repo.private,
        "private": repo.private,
        "forks": repo.fork,
        "sources": not repo.fork,
    }.get(kind, True)


def _sorted(repos: list[Repository], sort: str, direction: str | None) -> list[Repository]:
    if sort == "full_name":
        ordered = sorted(repos, key=lambda repo: repo.full_name.lower())
        return ordered[::-1] if direction == "desc" else ordered
    key = {"updated": "pushed_at", "pushed": "pushed_at"}.get(sort, "created_at")
    ordered = sorted(repos, key=lambda repo: (getattr(repo, key) or repo.created_at, repo.id))
    return ordered if direction == "asc" else ordered[::-1]


def list_org_repos(call: Call) -> Reply:
    org = call.state.account(call.params["org"])
    if org.kind != "Organization":
        raise ApiError(404, "Not Found")
    kind = call.query.get("type", "all")
    repos = [repo for repo in call.state.owned_by(org.login) if _kind_filter(repo, kind)]
    return _listed(
        call, _sorted(repos, call.query.get("sort", "created"), call.query.get("direction"))
    )


def list_user_repos(call: Call) -> Reply:
    account = call.state.account(call.params["user"])
    kind = call.query.get("type", "owner")
    repos = [repo for repo in call.state.owned_by(account.login) if _kind_filter(repo, kind)]
    return _listed(
        call, _sorted(repos, call.query.get("sort", "full_name"), call.query.get("direction"))
    )


def _matches(repo: Repository, qualifiers: dict[str, list[str]], words: list[str]) -> bool:
    """GitHub's repository search, for the qualifiers a fleet policy uses.

    Forks are left out unless ``fork:true`` or ``fork:only``; other qualifiers than these
    are accepted and ignored.
    """
    owner = repo.owner.lower()
    checks = {
        "org": lambda value: owner == value,
        "user": lambda value: owner == value,
        "repo": lambda value: repo.full_name.lower() == value,
        "topic": lambda value: value in (topic.lower() for topic in repo.topics),
        "archived": lambda value: repo.archived == (value == "true"),
        "is": lambda value: {"public": not repo.private, "private": repo.private}.get(value, True),
    }
    for name, values in qualifiers.items():
        check = checks.get(name)
        if check is None:
            continue
        any_of = name in ("org", "user", "repo")  # several owners widen; several topics narrow
        results = [check(value) for value in values]
        if not (any(results) if any_of else all(results)):
            return False
    fork = qualifiers.get("fork", ["false"])[-1]
    if repo.fork and fork not in ("true", "only"):
        return False
    if not repo.fork and fork == "only":
        return False
    text = f"{repo.name} {repo.description or ''}".lower()
    return all(word in text for word in words)


def search_repos(call: Call) -> Reply:
    query = call.query.get("q", "").strip()
    if not query:
        raise invalid("Search", "q", "missing")
    qualifiers: dict[str, list[str]] = {}
    words = []
    for token in shlex.split(query):
        name, colon, value = token.partition(":")
        if colon and name:
            qualifiers.setdefault(name.lower(), []).append(value.lower())
        else:
            words.append(token.lower())
    found = [repo for repo in call.state.repos.values() if _matches(repo, qualifiers, words)]
    found.sort(key=lambda repo: repo.full_name.lower())
    items = []
    for repo in found[:SEARCH_CAP]:
        item = repository(call.urls, repo, call.state.account(repo.owner))
        item["score"] = 1.0
        items.append(item)
    chunk, headers = paginate(items, call.query, call.urls.api + call.request.api_path)
    body = {"total_count": len(found), "incomplete_results": False, "items": chunk}
    return Reply(200, body, headers)


ROUTES = [
    Route("GET", "/orgs/{org}/repos", "repos/list-for-org", list_org_repos),
    Route(
        "GET",
        "/users/{user}/repos",
        "repos/list-for-user",
        list_user_repos,
        checked_as=("repos/list-for-org", 200),
    ),
    Route("GET", "/search/repositories", "search/repos", search_repos, resource="search"),
]
