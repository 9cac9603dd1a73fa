"""Issues and what pull requests share with them: labels and comments."""

from __future__ import annotations

from typing import Any

from tests.github_server.call import Call
from tests.github_server.messages import ApiError, Reply, invalid
from tests.github_server.payloads.issues import comment, issue, labels_of
from tests.github_server.router import Route
from tests.github_server.state import Comment, Issue, Label, Repository, now


def create_issue(call: Call) -> Reply:
    repo = call.writable_repo()
    data = call.body()
    if not data.get("title"):
        raise invalid("Issue", "title", "missing_field")
    stamp = now()
    entry = Issue(
        number=call.state.next_number(repo),
        id=call.state.next_id(),
        title=str(data["title"]),
        body=data.get("body") or None,
        author=call.login,
        created_at=stamp,
        updated_at=stamp,
    )
    repo.issues[entry.number] = entry
    _add_labels(call, repo, entry, data.get("labels") or [])
    body = issue(call.urls, call.state, repo, entry)
    return Reply(201, body, {"Location": body["url"]})


def get_issue(call: Call) -> Reply:
    repo = call.repo()
    return Reply(200, issue(call.urls, call.state, repo, repo.issue(call.number())))


def _label_names(data: Any) -> list[str]:
    items = data.get("labels", []) if isinstance(data, dict) else data
    return [item["name"] if isinstance(item, dict) else str(item) for item in items]


def _add_labels(call: Call, repo: Repository, entry: Issue, names: list[Any]) -> None:
    """Attach labels, creating the missing ones in the repository as GitHub does."""
    for name in _label_names(names):
        key = name.lower()
        if key not in repo.labels:
            repo.labels[key] = Label(call.state.next_id(), name)
        if key not in (label.lower() for label in entry.labels):
            entry.labels.append(repo.labels[key].name)
            entry.touch()


def add_labels(call: Call) -> Reply:
    repo = call.writable_repo()
    entry = repo.issue(call.number())
    _add_labels(call, repo, entry, call.body())
    return Reply(200, labels_of(call.urls, repo, entry))


def list_labels(call: Call) -> Reply:
    repo = call.repo()
    return call.page(labels_of(call.urls, repo, repo.issue(call.number())))


def set_labels(call: Call) -> Reply:
    repo = call.writable_repo()
    entry = repo.issue(call.number())
    entry.labels = []
    _add_labels(call, repo, entry, call.request.json())
    entry.touch()
    return Reply(200, labels_of(call.urls, repo, entry))


def remove_label(call: Call) -> Reply:
    repo = call.writable_repo()
    entry = repo.issue(call.number())
    name = call.params["name"].lower()
    if name not in (label.lower() for label in entry.labels):
        raise ApiError(404, "Label does not exist")
    entry.labels = [label for label in entry.labels if label.lower() != name]
    entry.touch()
    return Reply(200, labels_of(call.urls, repo, entry))


def create_comment(call: Call) -> Reply:
    repo = call.writable_repo()
    entry = repo.issue(call.number())
    data = call.body()
    added = call.state.add_comment(repo, entry, call.login, data["body"])
    body = comment(call.urls, call.state, repo, added)
    return Reply(201, body, {"Location": body["url"]})


def list_comments(call: Call) -> Reply:
    repo = call.repo()
    entry = repo.issue(call.number())
    since = call.query.get("since", "")
    found = [item for item in call.state.comments_of(entry) if item.updated_at >= since]
    return call.page([comment(call.urls, call.state, repo, item) for item in found])


def _comment(call: Call, repo: Repository) -> Comment:
    found = call.state.comment_index.get(call.number("comment_id"))
    if found is None or found[0] is not repo:
        raise ApiError(404, "Not Found")
    return found[1]


def get_comment(call: Call) -> Reply:
    repo = call.repo()
    return Reply(200, comment(call.urls, call.state, repo, _comment(call, repo)))


def update_comment(call: Call) -> Reply:
    repo = call.writable_repo()
    target = _comment(call, repo)
    text = call.body()["body"]
    if text != target.body:
        target.body = text
        target.updated_at = now()
    return Reply(200, comment(call.urls, call.state, repo, target))


_ISSUE = "/repos/{owner}/{repo}/issues/{number}"
_COMMENT = "/repos/{owner}/{repo}/issues/comments/{comment_id}"
_LABELS_SCHEMA = ("issues/add-labels", 200)
ROUTES = [
    Route("POST", "/repos/{owner}/{repo}/issues", "issues/create", create_issue),
    Route(
        "GET",
        _COMMENT,
        "issues/get-comment",
        get_comment,
        checked_as=("issues/update-comment", 200),
    ),
    Route("PATCH", _COMMENT, "issues/update-comment", update_comment),
    Route("GET", _ISSUE, "issues/get", get_issue, checked_as=("issues/create", 201)),
    Route("POST", f"{_ISSUE}/labels", "issues/add-labels", add_labels),
    Route(
        "GET",
        f"{_ISSUE}/labels",
        "issues/list-labels-on-issue",
        list_labels,
        checked_as=_LABELS_SCHEMA,
    ),
    Route("PUT", f"{_ISSUE}/labels", "issues/set-labels", set_labels, checked_as=_LABELS_SCHEMA),
    Route(
        "DELETE",
        f"{_ISSUE}/labels/{{name}}",
        "issues/remove-label",
        remove_label,
        checked_as=_LABELS_SCHEMA,
    ),
    Route("POST", f"{_ISSUE}/comments", "issues/create-comment", create_comment),
    Route("GET", f"{_ISSUE}/comments", "issues/list-comments", list_comments),
]
