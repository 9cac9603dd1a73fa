"""git over smart HTTP: ``git http-backend`` (CGI) for every repository, behind token auth.

Clone, fetch and push are real git. Pushes are policed by a pre-receive hook installed in
each bare repository: the server passes the protected branches (and an armed rejection)
in the environment, so a refused push fails exactly as git reports it from GitHub. A
post-receive hook lists the refs a push changed, for ``GitHubServer.git_pushes``.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.github_server.api import bearer_token
from tests.github_server.gitstore import ISOLATED
from tests.github_server.messages import Answer
from tests.github_server.state import Repository, State

PRE_RECEIVE = """#!/bin/sh
# Installed by the fleetmod GitHub test server; the server passes its rules in the environment.
if [ -n "$FLEETMOD_REJECT_PUSH" ]; then
  echo "$FLEETMOD_REJECT_PUSH" >&2
  exit 1
fi
status=0
while read old new ref; do
  case " $FLEETMOD_PROTECTED " in
    *" $ref "*)
      echo "error: GH006: Protected branch update failed for $ref." >&2
      status=1
      ;;
  esac
done
exit $status
"""

POST_RECEIVE = """#!/bin/sh
# Installed by the fleetmod GitHub test server: tell it which refs this push changed.
if [ -n "$FLEETMOD_PUSH_LOG" ]; then cat >> "$FLEETMOD_PUSH_LOG"; else cat > /dev/null; fi
"""

GIT_PATH = re.compile(
    r"^/(?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?"
    r"(?P<rest>/(?:info/refs|git-upload-pack|git-receive-pack|HEAD|objects/.+))$"
)
ARCHIVED = "ERROR: This repository was archived so it is read-only."
REJECTED = "error: push declined by the test server (faults.reject_push)"


def install_hooks(repo: Path) -> None:
    for name, text in (("pre-receive", PRE_RECEIVE), ("post-receive", POST_RECEIVE)):
        hook = repo / "hooks" / name
        hook.write_text(text)
        hook.chmod(0o755)


@dataclass(frozen=True)
class RefUpdate:
    old: str
    new: str
    ref: str


def _plain(status: int, text: str, extra: dict[str, str] | None = None) -> Answer:
    return Answer(status, {"Content-Type": "text/plain", **(extra or {})}, text.encode() + b"\n")


@dataclass
class GitHttp:
    root: Path
    state: State
    push_rejected: Callable[[str, str], bool]
    on_push: Callable[[Repository, list[RefUpdate]], None]

    def handle(
        self, method: str, path: str, query: str, hdrs: dict[str, str], body: bytes
    ) -> Answer | None:
        """The CGI's answer, or None when ``path`` is not a git URL."""
        found = GIT_PATH.match(path)
        if found is None:
            return None
        token = self.state.tokens.get(bearer_token(hdrs.get("authorization", "")) or "")
        if token is None:
            return _plain(
                401, "Authentication failed", {"WWW-Authenticate": 'Basic realm="GitHub"'}
            )
        with self.state.lock:
            repo = self.state.repos.get((found["owner"].lower(), found["name"].lower()))
        if repo is None:
            return _plain(404, "Repository not found.")
        pushing = found["rest"] == "/git-receive-pack"
        env = self._env(method, repo, found["rest"], query, hdrs, len(body), token.login)
        if pushing:
            env.update(self._push_rules(repo))
            with tempfile.NamedTemporaryFile(prefix="push-", dir=self.root, delete=False) as log:
                env["FLEETMOD_PUSH_LOG"] = log.name
            try:
                response = self._run(env, body)
                self._after_push(repo, Path(log.name))
            finally:
                os.unlink(log.name)
            return response
        return self._run(env, body)

    def _env(
        self,
        method: str,
        repo: Repository,
        rest: str,
        query: str,
        hdrs: dict[str, str],
        length: int,
        login: str,
    ) -> dict[str, str]:
        relative = repo.path.relative_to(self.root).as_posix()
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            **ISOLATED,
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": method,
            "PATH_INFO": f"/{relative}{rest}",
            "QUERY_STRING": query,
            "CONTENT_TYPE": hdrs.get("content-type", ""),
            "CONTENT_LENGTH": str(length),
            "HTTP_CONTENT_ENCODING": hdrs.get("content-encoding", ""),
            "GIT_PROTOCOL": hdrs.get("git-protocol", ""),
            "REMOTE_USER": login,
            "REMOTE_ADDR": "127.0.0.1",
        }

    def _push_rules(self, repo: Repository) -> dict[str, str]:
        with self.state.lock:
            protected = " ".join(f"refs/heads/{branch}" for branch in sorted(repo.protected))
            archived = repo.archived
        rules = {"FLEETMOD_PROTECTED": protected}
        if archived:
            rules["FLEETMOD_REJECT_PUSH"] = ARCHIVED
        elif self.push_rejected(repo.owner, repo.name):
            rules["FLEETMOD_REJECT_PUSH"] = REJECTED
        return rules

    def _run(self, env: dict[str, str], body: bytes) -> Answer:
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, separator, payload = done.stdout.partition(b"\r\n\r\n")
        if not separator:
            head, _, payload = done.stdout.partition(b"\n\n")
        status, headers = 200, {}
        for line in head.decode(errors="replace").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers[name.strip()] = value.strip()
        if done.returncode != 0 and not done.stdout:
            return _plain(500, done.stderr.decode(errors="replace").strip())
        return Answer(status, headers, payload)

    def _after_push(self, repo: Repository, log: Path) -> None:
        updates = []
        for line in log.read_text().splitlines():
            old, new, ref = line.split(" ", 2)
            updates.append(RefUpdate(old, new, ref))
        if updates:
            self.on_push(repo, updates)
