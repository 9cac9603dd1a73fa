"""The REST (and GraphQL) pipeline: faults, authentication, rate limits, route, schema check.

Each step answers as GitHub does at that point, with GitHub's headers on every response;
every JSON body leaving here is checked against GitHub's schema and any mismatch is kept
in ``violations`` for the tests to assert on.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.github_server.call import Call
from tests.github_server.faults import Faults
from tests.github_server.messages import Answer, ApiError, Reply, Request
from tests.github_server.ratelimit import Bucket, PrimaryLimitExceeded, RateLimits, headers
from tests.github_server.router import Route, Router
from tests.github_server.routes import ROUTES
from tests.github_server.schemas import SchemaBook, Violation
from tests.github_server.state import State, Token
from tests.github_server.urls import Urls

PRIMARY_MESSAGE = (
    "API rate limit exceeded for user ID {user_id}. If you reach out to GitHub Support for "
    "help, please include the request ID {request_id} and timestamp {timestamp}."
)


def bearer_token(header: str) -> str | None:
    """The token in ``Authorization: token X``, ``Bearer X`` or ``Basic base64(user:X)``."""
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme in ("token", "bearer"):
        return value.strip() or None
    if scheme == "basic":
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return None
        return password if password and password != "x-oauth-basic" else user or None
    return None


@dataclass
class RestApi:
    state: State
    urls: Urls
    limits: RateLimits
    faults: Faults
    book: SchemaBook
    router: Router = field(default_factory=lambda: Router(ROUTES))
    violations: list[Violation] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(
        self, method: str, api_path: str, query: dict[str, str], hdrs: dict[str, str], body: bytes
    ) -> tuple[Answer, str | None]:
        """The answer to one API request, and the operation id of the route that took it."""
        request_id = uuid.uuid4().hex[:20].upper()
        delay = self.faults.delay(method, api_path)
        if delay:
            time.sleep(delay)
        matched = self.router.match(method, api_path)
        route = matched[0] if matched else None
        token = self._token(hdrs)
        login = token.login if token else None
        installation = bool(token and token.installation)
        request = Request(method, api_path, query, body, hdrs, login, installation)
        resource = route.resource if route else "core"
        try:
            self._admit(route, request, request_id)
            assert matched is not None
            bucket = self._charge(request, resource, request_id)
            reply = self._run(matched[0], matched[1], request)
        except ApiError as error:
            bucket = self.limits.peek(request.login, resource or "core")
            reply = Reply(error.status, error.body(), error.headers)
        answer = self._respond(route, reply, bucket, resource or "core", request_id)
        return answer, route.operation if route else None

    def _admit(self, route: Route | None, request: Request, request_id: str) -> None:
        """401 without a valid token, 404 for no route, then any armed fault."""
        if request.login is None and not (route and route.app_auth):
            missing = "authorization" not in request.headers
            raise ApiError(401, "Requires authentication" if missing else "Bad credentials")
        if route is None:
            raise ApiError(404, "Not Found")
        injected = self.faults.injected(request.method, request.api_path, request_id)
        if injected is not None:
            raise injected

    def _token(self, hdrs: dict[str, str]) -> Token | None:
        value = bearer_token(hdrs.get("authorization", ""))
        return self.state.tokens.get(value) if value else None

    def _charge(self, request: Request, resource: str | None, request_id: str) -> Bucket:
        if resource is None:
            return self.limits.peek(request.login, "core")
        try:
            return self.limits.charge(request.login, resource)
        except PrimaryLimitExceeded as exceeded:
            account = self.state.accounts.get((request.login or "").lower())
            stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
            message = PRIMARY_MESSAGE.format(
                user_id=account.id if account else 0, request_id=request_id, timestamp=stamp
            )
            limit_headers = headers(exceeded.bucket, resource)
            raise ApiError(403, message, headers=limit_headers) from None

    def _run(self, route: Route, params: dict[str, str], request: Request) -> Reply:
        call = Call(request, params, route.operation, self.state, self.urls, self.limits, self.book)
        with self.state.lock:
            try:
                return route.handler(call)
            except ApiError:
                raise
            except Exception:
                with self._lock:
                    self.crashes.append(
                        f"{request.method} {request.api_path}\n{traceback.format_exc()}"
                    )
                raise ApiError(500, "Server Error") from None

    def _respond(
        self, route: Route | None, reply: Reply, bucket: Bucket, resource: str, request_id: str
    ) -> Answer:
        out = {
            **headers(bucket, resource),
            "x-github-request-id": request_id,
            "x-github-api-version-selected": "2022-11-28",
            "x-github-media-type": "github.v3; format=json",
        }
        out.update(reply.headers)
        payload = b""
        if reply.status != 204 and reply.body is not None:
            payload = json.dumps(reply.body).encode()
            out["Content-Type"] = "application/json; charset=utf-8"
            self._check(route, reply.status, reply.body)
        return Answer(reply.status, out, payload)

    def _check(self, route: Route | None, status: int, body: Any) -> None:
        if route is None:
            return
        if route.operation in self.book.operations:
            found = self.book.check_response(route.operation, status, body)
        elif route.checked_as and status < 400:
            found = self.book.check_response(*route.checked_as, body)
        elif status >= 400:
            found = self.book.check_error(route.operation, status, body)
        else:
            return
        if found:
            with self._lock:
                self.violations.extend(found)
