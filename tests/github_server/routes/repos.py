"""One repository: its metadata, branches, rules, topics and file contents."""

from __future__ import annotations

from tests.github_server import gitstore
from tests.github_server.call import Call
from tests.github_server.messages import ApiError, Reply
from tests.github_server.payloads import repos as shapes
from tests.github_server.payloads.commits import commit
from tests.github_server.router import Route

OBJECT_MEDIA_TYPE = "application/vnd.github.object"


def get_repo(call: Call) -> Reply:
    repo = call.repo()
    return Reply(200, shapes.repository(call.urls, repo, call.state.account(repo.owner)))


def get_branch(call: Call) -> Reply:
    repo = call.repo()
    name = call.params["branch"]
    sha = gitstore.branch_sha(repo.path, name)
    if sha is None:
        raise ApiError(404, "Branch not found")
    info = commit(call.urls, repo, gitstore.commit_info(repo.path, sha))
    return Reply(200, shapes.branch(call.urls, repo, name, info))


def get_branch_rules(call: Call) -> Reply:
    return Reply(200, shapes.branch_rules(call.repo(), call.params["branch"]))


def get_topics(call: Call) -> Reply:
    return Reply(200, {"names": list(call.repo().topics)})


def get_content(call: Call) -> Reply:
    """A file (base64 content) or a directory: an array of entries by default, or
    GitHub's ``content-tree`` object when the client asks for the object media type."""
    repo = call.repo()
    path = call.params.get("path", "").strip("/")
    ref = call.query.get("ref") or repo.default_branch
    sha = gitstore.resolve(repo.path, ref)
    if sha is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    entry = gitstore.lookup(repo.path, sha, path)
    if entry is None:
        raise ApiError(404, "Not Found")
    if entry.kind == "file":
        data = gitstore.blob(repo.path, entry.sha)
        return Reply(200, shapes.file_content(call.urls, repo, entry, ref, data))
    listing = [
        shapes.content(call.urls, repo, item, ref)
        for item in gitstore.entries(repo.path, sha, path)
    ]
    if OBJECT_MEDIA_TYPE not in call.request.headers.get("accept", ""):
        return Reply(200, listing)
    tree = shapes.content(call.urls, repo, entry, ref)
    tree.update(name=entry.name or repo.name, entries=listing)
    return Reply(200, tree)


ROUTES = [
    Route("GET", "/repos/{owner}/{repo}", "repos/get", get_repo),
    Route("GET", "/repos/{owner}/{repo}/branches/{branch+}", "repos/get-branch", get_branch),
    Route(
        "GET",
        "/repos/{owner}/{repo}/rules/branches/{branch+}",
        "repos/get-branch-rules",
        get_branch_rules,
    ),
    Route("GET", "/repos/{owner}/{repo}/topics", "repos/get-all-topics", get_topics),
    Route("GET", "/repos/{owner}/{repo}/contents", "repos/get-content", get_content),
    Route("GET", "/repos/{owner}/{repo}/contents/{path+}", "repos/get-content", get_content),
]
