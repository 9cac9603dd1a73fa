"""Faults a test switches on: what GitHub sends when it is down, busy or strict.

Each call returns at once and arms a fault for the next matching requests. The bodies and
headers are GitHub's, so that a client's own retry logic (PyGithub's ``GithubRetry``
included) reacts as it would to GitHub.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tests.github_server.messages import ApiError
from tests.github_server.ratelimit import RateLimits

SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)


@dataclass(frozen=True)
class _Target:
    """Which API requests a fault applies to: all, or those under a path and with a method."""

    path_prefix: str | None = None
    methods: frozenset[str] | None = None

    def matches(self, method: str, api_path: str) -> bool:
        if self.methods is not None and method not in self.methods:
            return False
        return self.path_prefix is None or api_path.startswith(self.path_prefix)


ALL = _Target()


@dataclass
class _Burst:
    remaining: int
    status: int
    message: str
    headers: dict[str, str]
    target: _Target = ALL


@dataclass
class _Countdown:
    remaining: int
    action: Callable[[], None]


@dataclass
class _Slow:
    seconds: float
    remaining: int
    target: _Target = ALL


@dataclass
class _Reset:
    remaining: int
    handled: bool
    target: _Target = ALL


class Faults:
    """The armed faults of one server; thread-safe."""

    def __init__(
        self,
        limits: RateLimits,
        revoke: Callable[[str | None], None],
        delete: Callable[[str, str], None],
    ) -> None:
        self._limits = limits
        self._revoke = revoke
        self._delete = delete
        self._lock = threading.Lock()
        self._bursts: list[_Burst] = []
        self._countdowns: list[_Countdown] = []
        self._slow: list[_Slow] = []
        self._resets: list[_Reset] = []
        self._push_rejections: dict[tuple[str, str], int] = {}

    # --- what a test calls -------------------------------------------------------------

    def server_errors(
        self,
        count: int,
        status: int = 502,
        path_prefix: str | None = None,
        *,
        methods: Iterable[str] | None = None,
    ) -> None:
        """The next ``count`` API requests (under ``path_prefix``, e.g. "/repos/o/r/pulls") fail."""
        message = {502: "Server Error", 503: "Service Unavailable"}.get(
            status, "Internal Server Error"
        )
        self._arm(_Burst(count, status, message, {}, _target(path_prefix, methods)))

    def secondary_rate_limit(
        self, count: int, retry_after: int | None = 1, *, methods: Iterable[str] | None = None
    ) -> None:
        """403 with GitHub's secondary-limit message, and ``retry-after`` unless None."""
        headers = {} if retry_after is None else {"retry-after": str(retry_after)}
        self._arm(_Burst(count, 403, SECONDARY_MESSAGE, headers, _target(None, methods)))

    def too_many_requests(
        self, count: int, retry_after: int = 1, *, methods: Iterable[str] | None = None
    ) -> None:
        """429 with the secondary-limit message and ``retry-after``."""
        headers = {"retry-after": str(retry_after)}
        self._arm(_Burst(count, 429, SECONDARY_MESSAGE, headers, _target(None, methods)))

    def exhaust_primary(self, reset_in_seconds: float = 2) -> None:
        """The primary budget reads remaining 0; requests get 403 until the reset."""
        self._limits.exhaust(reset_in_seconds)

    def slow(
        self,
        seconds: float,
        count: int,
        path_prefix: str | None = None,
        *,
        methods: Iterable[str] | None = None,
    ) -> None:
        """The next ``count`` API requests (under ``path_prefix``) wait ``seconds`` before they
        are carried out and answered: a client that gives up first loses the answer, not the
        work, as with GitHub."""
        with self._lock:
            self._slow.append(_Slow(seconds, count, _target(path_prefix, methods)))

    def reset_connections(
        self,
        count: int,
        path_prefix: str | None = None,
        *,
        methods: Iterable[str] | None = None,
        handled: bool = False,
    ) -> None:
        """The next ``count`` API requests (under ``path_prefix``) get no answer: the server
        resets the connection (TCP RST). With ``handled`` the request is carried out first, so
        the client cannot tell whether its write happened."""
        with self._lock:
            self._resets.append(_Reset(count, handled, _target(path_prefix, methods)))

    def reject_push(self, owner: str, name: str, count: int = 1) -> None:
        """The next ``count`` pushes to the repository are declined by its pre-receive hook."""
        key = (owner.lower(), name.lower())
        with self._lock:
            self._push_rejections[key] = self._push_rejections.get(key, 0) + count

    def revoke_token(self, after_requests: int, token: str | None = None) -> None:
        """After ``after_requests`` more requests the token (default: ``server.token``) is bad."""
        self._countdown(after_requests, lambda: self._revoke(token))

    def delete_repo(self, owner: str, name: str, after_requests: int) -> None:
        """After ``after_requests`` more requests the repository is gone (404)."""
        self._countdown(after_requests, lambda: self._delete(owner, name))

    def clear(self) -> None:
        with self._lock:
            self._bursts.clear()
            self._countdowns.clear()
            self._slow.clear()
            self._resets.clear()
            self._push_rejections.clear()

    # --- what the server calls ---------------------------------------------------------

    def tick(self) -> None:
        """Count one request (REST or git) towards the armed countdowns."""
        due = []
        with self._lock:
            for countdown in list(self._countdowns):
                if countdown.remaining == 0:
                    self._countdowns.remove(countdown)
                    due.append(countdown.action)
                else:
                    countdown.remaining -= 1
        for action in due:
            action()

    def delay(self, method: str, api_path: str) -> float:
        with self._lock:
            for slow in self._slow:
                if slow.remaining > 0 and slow.target.matches(method, api_path):
                    slow.remaining -= 1
                    return slow.seconds
            return 0.0

    def reset(self, method: str, api_path: str) -> _Reset | None:
        """The armed reset this API request meets, if any (it uses one up)."""
        with self._lock:
            for reset in self._resets:
                if reset.remaining > 0 and reset.target.matches(method, api_path):
                    reset.remaining -= 1
                    return reset
        return None

    def injected(self, method: str, api_path: str, request_id: str) -> ApiError | None:
        """The error an armed burst answers this request with, if any (it uses one up)."""
        with self._lock:
            for burst in self._bursts:
                if burst.remaining > 0 and burst.target.matches(method, api_path):
                    burst.remaining -= 1
                    message = burst.message.format(request_id=request_id)
                    return ApiError(burst.status, message, headers=burst.headers)
        return None

    def push_rejected(self, owner: str, name: str) -> bool:
        key = (owner.lower(), name.lower())
        with self._lock:
            if self._push_rejections.get(key, 0) > 0:
                self._push_rejections[key] -= 1
                return True
        return False

    def _arm(self, burst: _Burst) -> None:
        with self._lock:
            self._bursts.append(burst)

    def _countdown(self, after: int, action: Callable[[], None]) -> None:
        if after <= 0:
            action()
            return
        with self._lock:
            self._countdowns.append(_Countdown(after, action))


def _target(path_prefix: str | None, methods: Iterable[str] | None) -> _Target:
    wanted = None if methods is None else frozenset(method.upper() for method in methods)
    return _Target(path_prefix, wanted)
