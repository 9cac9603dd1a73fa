"""Who the token is, other accounts, and its rate-limit budget."""

from __future__ import annotations

from tests.github_server.call import Call
from tests.github_server.messages import ApiError, Reply
from tests.github_server.payloads.accounts import authenticated_user, organization
from tests.github_server.ratelimit import BUDGETS
from tests.github_server.router import Route


def get_authenticated_user(call: Call) -> Reply:
    if call.request.installation:
        raise ApiError(403, "Resource not accessible by integration")
    owned = len(call.state.owned_by(call.login))
    return Reply(200, authenticated_user(call.urls, call.account, owned))


def get_user(call: Call) -> Reply:
    account = call.state.account(call.params["user"])
    owned = len(call.state.owned_by(account.login))
    return Reply(200, authenticated_user(call.urls, account, owned))


def get_org(call: Call) -> Reply:
    account = call.state.account(call.params["org"])
    if account.kind != "Organization":
        raise ApiError(404, "Not Found")
    return Reply(200, organization(call.urls, account, len(call.state.owned_by(account.login))))


def get_rate_limit(call: Call) -> Reply:
    resources = {}
    for resource in BUDGETS:
        bucket = call.limits.peek(call.login, resource)
        resources[resource] = {
            "limit": bucket.limit,
            "used": bucket.used,
            "remaining": bucket.remaining,
            "reset": bucket.reset,
        }
    return Reply(200, {"resources": resources, "rate": resources["core"]})


ROUTES = [
    Route("GET", "/user", "users/get-authenticated", get_authenticated_user),
    Route("GET", "/users/{user}", "users/get-by-username", get_user),
    Route("GET", "/orgs/{org}", "orgs/get", get_org),
    Route("GET", "/rate_limit", "rate-limit/get", get_rate_limit, resource=None),
]
