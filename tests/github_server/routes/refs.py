"""Git references through REST: create, read, move, delete, list by prefix.

They act on the bare repository itself, with GitHub's checks: protected branches refuse
writes (403), a move must be a fast-forward unless forced, the default branch stays.
"""

from __future__ import annotations

from tests.github_server import gitstore, pulls
from tests.github_server.call import Call
from tests.github_server.messages import ApiError, Reply
from tests.github_server.payloads.commits import git_ref
from tests.github_server.router import Route
from tests.github_server.state import Repository

HEADS = "refs/heads/"


def _render(call: Call, repo: Repository, ref: str, sha: str) -> dict[str, object]:
    kind = gitstore.object_type(repo.path, sha) if ref.startswith("refs/tags/") else "commit"
    return git_ref(call.urls, repo, ref, sha, kind or "commit")


def _refuse_protected(repo: Repository, ref: str) -> None:
    if ref.startswith(HEADS) and ref[len(HEADS) :] in repo.protected:
        raise ApiError(403, f"Protected branch update failed for {ref}.")


def _existing(repo: Repository, ref: str) -> str:
    sha = gitstore.refs(repo.path, ref).get(ref)
    if sha is None:
        raise ApiError(422, "Reference does not exist")
    return sha


def _object(repo: Repository, sha: str) -> str:
    if len(sha) != 40 or gitstore.object_type(repo.path, sha) is None:
        raise ApiError(422, "Object does not exist")
    return sha


def create_ref(call: Call) -> Reply:
    repo = call.writable_repo()
    data = call.body()
    ref = data["ref"]
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, f"{ref} is not a valid ref name.")
    sha = _object(repo, data["sha"])
    if ref in gitstore.refs(repo.path, ref):
        raise ApiError(422, "Reference already exists")
    gitstore.update_ref(repo.path, ref, sha, gitstore.ZERO)
    body = _render(call, repo, ref, sha)
    return Reply(201, body, {"Location": body["url"]})


def get_ref(call: Call) -> Reply:
    repo = call.repo()
    ref = "refs/" + call.params["ref"]
    sha = gitstore.refs(repo.path, ref).get(ref)
    if sha is None:
        raise ApiError(404, "Not Found")
    return Reply(200, _render(call, repo, ref, sha))


def update_ref(call: Call) -> Reply:
    repo = call.writable_repo()
    ref = "refs/" + call.params["ref"]
    data = call.body()
    old = _existing(repo, ref)
    _refuse_protected(repo, ref)
    new = _object(repo, data["sha"])
    if not data.get("force") and not gitstore.is_ancestor(repo.path, old, new):
        raise ApiError(422, "Update is not a fast forward")
    gitstore.update_ref(repo.path, ref, new, old)
    return Reply(200, _render(call, repo, ref, new))


def delete_ref(call: Call) -> Reply:
    repo = call.writable_repo()
    ref = "refs/" + call.params["ref"]
    old = _existing(repo, ref)
    _refuse_protected(repo, ref)
    if ref == HEADS + repo.default_branch:
        raise ApiError(422, "Cannot delete the default branch")
    gitstore.delete_ref(repo.path, ref)
    if ref.startswith(HEADS):
        pulls.branch_deleted(call.state, repo, ref[len(HEADS) :], old)
    return Reply(204)


def list_matching_refs(call: Call) -> Reply:
    repo = call.repo()
    prefix = "refs/" + call.params["ref"]
    found = {ref: sha for ref, sha in gitstore.refs(repo.path).items() if ref.startswith(prefix)}
    return Reply(200, [_render(call, repo, ref, sha) for ref, sha in sorted(found.items())])


_REFS = "/repos/{owner}/{repo}/git"
ROUTES = [
    Route("POST", f"{_REFS}/refs", "git/create-ref", create_ref),
    Route("GET", f"{_REFS}/ref/{{ref+}}", "git/get-ref", get_ref),
    Route("PATCH", f"{_REFS}/refs/{{ref+}}", "git/update-ref", update_ref),
    Route("DELETE", f"{_REFS}/refs/{{ref+}}", "git/delete-ref", delete_ref),
    Route("GET", f"{_REFS}/matching-refs/{{ref+}}", "git/list-matching-refs", list_matching_refs),
]
