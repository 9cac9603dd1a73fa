"""The GraphQL mutations PyGithub sends for pull requests (draft state and auto-merge).

Only these named mutations are understood; anything else gets a GraphQL error, as GitHub
answers a query it cannot resolve (HTTP 200 with ``errors``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.github_server.call import Call
from tests.github_server.messages import Reply
from tests.github_server.router import Route
from tests.github_server.state import Issue, Repository

_MUTATION = re.compile(r"^\s*mutation\b[^{]*\{\s*(\w+)\s*\(")


class GraphQLError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _actor(call: Call) -> dict[str, str]:
    login = call.login
    return {
        "avatarUrl": call.urls.web("avatars", login),
        "login": login,
        "resourcePath": f"/{login}",
        "url": call.urls.web(login),
    }


def _set_draft(draft: bool) -> Callable[[Call, Repository, Issue, dict[str, Any]], dict[str, Any]]:
    def mutate(call: Call, repo: Repository, issue: Issue, data: dict[str, Any]) -> dict[str, Any]:
        assert issue.pull is not None
        if issue.state != "open":
            raise GraphQLError("UNPROCESSABLE", "Pull request is closed")
        if issue.pull.draft != draft:
            issue.pull.draft = draft
            issue.touch()
        return {"clientMutationId": data.get("clientMutationId"), "pullRequest": {"isDraft": draft}}

    return mutate


def _enable_auto_merge(
    call: Call, repo: Repository, issue: Issue, data: dict[str, Any]
) -> dict[str, Any]:
    assert issue.pull is not None
    if not repo.allow_auto_merge:
        raise GraphQLError(
            "UNPROCESSABLE", "Pull request Auto merge is not allowed for this repository"
        )
    if issue.state != "open":
        raise GraphQLError(
            "UNPROCESSABLE", "Pull request is not in the correct state to enable auto-merge"
        )
    issue.pull.auto_merge = str(data.get("mergeMethod", "MERGE")).lower()
    issue.pull.auto_merge_by = call.login
    issue.touch()
    return {"actor": _actor(call), "clientMutationId": data.get("clientMutationId")}


def _disable_auto_merge(
    call: Call, repo: Repository, issue: Issue, data: dict[str, Any]
) -> dict[str, Any]:
    assert issue.pull is not None
    issue.pull.auto_merge = issue.pull.auto_merge_by = None
    issue.touch()
    return {"actor": _actor(call), "clientMutationId": data.get("clientMutationId")}


MUTATIONS = {
    "convertPullRequestToDraft": _set_draft(True),
    "markPullRequestReadyForReview": _set_draft(False),
    "enablePullRequestAutoMerge": _enable_auto_merge,
    "disablePullRequestAutoMerge": _disable_auto_merge,
}


def graphql(call: Call) -> Reply:
    data = call.request.json_object()
    found = _MUTATION.match(str(data.get("query", "")))
    name = found.group(1) if found else None
    mutate = MUTATIONS.get(name or "")
    if name is None or mutate is None:
        message = f"The test server does not implement this GraphQL document ({name or 'a query'})"
        return Reply(200, {"errors": [{"type": "UNSUPPORTED", "message": message}]})
    inputs = (data.get("variables") or {}).get("input") or {}
    global_id = str(inputs.get("pullRequestId", ""))
    node = call.state.node(global_id)
    try:
        if node is None or node[1].pull is None:
            message = f"Could not resolve to a node with the global id of '{global_id}'"
            raise GraphQLError("NOT_FOUND", message)
        if node[0].archived:
            raise GraphQLError("FORBIDDEN", "Repository was archived so is read-only.")
        result = mutate(call, node[0], node[1], inputs)
    except GraphQLError as error:
        errors = [{"type": error.kind, "path": [name], "message": error.message}]
        return Reply(200, {"data": {name: None}, "errors": errors})
    return Reply(200, {"data": {name: result}})


ROUTES = [Route("POST", "/graphql", "graphql", graphql, resource="graphql")]
