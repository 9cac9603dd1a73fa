"""Process-wide pacing and retries for every GitHub API request.

GitHub's rules, as documented for the REST API:

- the primary budget: every response says how many requests are left (`x-ratelimit-*`,
  per resource: core, search, graphql); below a reserve the requests are spread evenly
  until the reset, and at zero they wait for it;
- secondary limits: at most 80 content-creating requests (POST, PATCH, PUT, DELETE) a minute
  and 500 an hour, and (GitHub's advice, PyGithub's default) a second between two of them;
  a 403 or 429 that says "rate limit" is waited out (`retry-after`, else the reset when
  nothing is left, else at least a minute, doubling), and every thread waits;
- 5xx answers, timeouts and dropped connections are retried with a doubling backoff, except
  a write that GitHub could carry out twice (a comment) whose answer was lost: it may have
  been done, so it is not sent again (`AnswerLost`).

PyGithub paces per client object and its retry skips PATCH, so this lives below it: the
`Governor` sees every request of every client in the process (`route_pygithub` puts it in
PyGithub's connection classes). A wait longer than `Settings.max_wait` is not waited:
`RateLimited` says when to try again, the campaign records that repository as an error, and
the next run resumes it. Knobs come from the environment (see `Settings.from_env`), the
client's timeout among them (`FLEETMOD_GITHUB_TIMEOUT`).
"""

from __future__ import annotations

import collections
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

import requests
import urllib3
from github.Requester import (
    HTTPRequestsConnectionClass,
    HTTPSRequestsConnectionClass,
    Requester,
    RequestsResponse,
)

from bot.forges.base import ForgeError

log = logging.getLogger("fleetmod.github")

WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
RETRIED_STATUSES = frozenset({500, 502, 503, 504})
RATE_LIMIT_WORDS = ("rate limit", "abuse detection", "retry your request again later")
# POSTs that cannot do their work twice: labels and reviewers are added as sets, and GitHub
# refuses a second open pull request from the same branch (422, which the forge resolves).
REPEATABLE_POSTS = re.compile(r"/(?:pulls|issues/\d+/labels|pulls/\d+/requested_reviewers)$")
ENV = {
    "min_backoff": "FLEETMOD_GITHUB_MIN_BACKOFF",
    "error_backoff": "FLEETMOD_GITHUB_ERROR_BACKOFF",
    "max_wait": "FLEETMOD_GITHUB_MAX_WAIT",
    "write_interval": "FLEETMOD_GITHUB_WRITE_INTERVAL",
    "timeout": "FLEETMOD_GITHUB_TIMEOUT",
}


class RateLimited(ForgeError):
    """GitHub asked for a wait longer than the run may spend; the next run resumes."""


class AnswerLost(ForgeError):
    """A write that is not safe to repeat got no answer: GitHub may have carried it out, so
    it is not sent again; the caller checks before it writes again."""


class Response(Protocol):
    status: int
    headers: Mapping[str, str]

    def read(self) -> str: ...


R = TypeVar("R", bound=Response)


@dataclass(frozen=True)
class Settings:
    min_backoff: float = 60.0  # a secondary limit that gives no hint: at least this, doubling
    error_backoff: float = 1.0  # 5xx and connection errors: first wait, doubling
    attempts: int = 6  # tries of one request before its failure is returned
    max_wait: float = 900.0  # a longer wait is not waited: RateLimited
    write_limits: tuple[tuple[int, float], ...] = ((80, 60.0), (500, 3600.0))
    write_interval: float = 1.0  # between two content-creating requests, process-wide
    reserve: float = 0.05  # below this share of a budget, requests are spread until the reset
    timeout: float = 30.0  # whole seconds (PyGithub's rule) for one request; then it is retried

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, with FLEETMOD_GITHUB_MIN_BACKOFF, _ERROR_BACKOFF, _MAX_WAIT,
        _WRITE_INTERVAL and _TIMEOUT (seconds) from the environment."""
        env = os.environ if environ is None else environ
        given: dict[str, float] = {}
        for name, variable in ENV.items():
            if env.get(variable):
                try:
                    given[name] = float(env[variable])
                except ValueError:
                    raise ForgeError(f"{variable}={env[variable]!r}: expected seconds") from None
        timeout = given.get("timeout", 1.0)
        if timeout < 1 or not timeout.is_integer():
            raise ForgeError(f"{ENV['timeout']}={env[ENV['timeout']]!r}: expected whole seconds")
        return replace(cls(), **given)


@dataclass
class _Budget:
    limit: int
    remaining: int
    reset: float  # epoch seconds
    last_sent: float = 0.0  # monotonic


@dataclass
class Stats:
    requests: int = 0
    writes: int = 0
    retries: int = 0
    waited: float = 0.0
    by_status: collections.Counter[int] = field(default_factory=collections.Counter)


class Governor:
    """Decides when each request may go and whether a failed one is tried again."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.stats = Stats()
        self._lock = threading.Lock()
        self._paused_until = 0.0  # monotonic; a secondary limit stops every thread
        self._writes: collections.deque[float] = collections.deque()
        self._budgets: dict[str, _Budget] = {}

    def send(self, verb: str, path: str, request: Callable[[], R]) -> R:
        """Run ``request`` when its turn comes, again while GitHub says to retry."""
        resource = _resource(path)
        attempts = self.settings.attempts
        for attempt in range(1, attempts + 1):
            self._wait_turn(verb, resource)
            try:
                response = request()
            except (requests.ConnectionError, requests.Timeout) as exc:
                if not (_never_sent(exc) or _repeatable(verb, path)):
                    raise AnswerLost(
                        f"{verb} {path.partition('?')[0]}: no answer ({type(exc).__name__}); "
                        "not sent again, since GitHub may have done it"
                    ) from None
                if attempt == attempts:
                    raise
                self._retry(attempt, f"{verb} {path}: {type(exc).__name__}", pause=None)
                continue
            self._observe(resource, response.headers)
            with self._lock:
                self.stats.by_status[response.status] += 1
            pause = self._rate_limit_pause(response, attempt)
            if attempt == attempts or (pause is None and response.status not in RETRIED_STATUSES):
                return response
            self._retry(attempt, f"{verb} {path}: {response.status}", pause)
        raise AssertionError("unreachable: the last attempt returns or raises")

    # -- when a request may go ----------------------------------------------------------------

    def _wait_turn(self, verb: str, resource: str) -> None:
        while True:
            with self._lock:
                wait, why = self._wait_needed(verb, resource)
                if wait <= 0:
                    self._take_turn(verb, resource)
                    return
            if wait > self.settings.max_wait:
                raise RateLimited(
                    f"GitHub {why}: the next request may go in {wait:.0f} s, more than this "
                    f"run waits ({self.settings.max_wait:.0f} s); the next run resumes here"
                )
            log.info("waiting %.1f s: %s", wait, why)
            self._sleep(wait)

    def _wait_needed(self, verb: str, resource: str) -> tuple[float, str]:
        now = time.monotonic()
        waits = [(self._paused_until - now, "secondary rate limit")]
        if verb in WRITES:
            waits.append((self._write_wait(now), "content-creating requests are paced"))
        budget = self._budgets.get(resource)
        if budget is not None:
            waits.append((self._budget_wait(budget, now), f"{resource} rate limit budget"))
        return max(waits)

    def _write_wait(self, now: float) -> float:
        longest = max(window for _, window in self.settings.write_limits)
        while self._writes and self._writes[0] <= now - longest:
            self._writes.popleft()
        wait = self._writes[-1] + self.settings.write_interval - now if self._writes else 0.0
        for count, window in self.settings.write_limits:
            recent = [t for t in self._writes if t > now - window]
            if len(recent) >= count:
                wait = max(wait, recent[-count] + window - now)
        return wait

    def _budget_wait(self, budget: _Budget, now: float) -> float:
        until_reset = budget.reset - time.time()
        if until_reset <= 0:
            return 0.0
        if budget.remaining <= 0:
            return until_reset + 1.0
        if budget.remaining > budget.limit * self.settings.reserve:
            return 0.0
        spacing = until_reset / budget.remaining
        return budget.last_sent + spacing - now

    def _take_turn(self, verb: str, resource: str) -> None:
        now = time.monotonic()
        self.stats.requests += 1
        if verb in WRITES:
            self.stats.writes += 1
            self._writes.append(now)
        budget = self._budgets.get(resource)
        if budget is not None:
            budget.remaining -= 1  # until the response says otherwise
            budget.last_sent = now

    # -- what a response says -----------------------------------------------------------------

    def _observe(self, resource: str, headers: Mapping[str, str]) -> None:
        try:
            limit = int(float(headers["x-ratelimit-limit"]))
            remaining = int(float(headers["x-ratelimit-remaining"]))
            reset = float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            return
        resource = headers.get("x-ratelimit-resource", resource)
        with self._lock:
            budget = self._budgets.get(resource)
            if budget is None:
                self._budgets[resource] = _Budget(limit, remaining, reset, time.monotonic())
            else:
                budget.limit, budget.remaining, budget.reset = limit, remaining, reset

    def _rate_limit_pause(self, response: Response, attempt: int) -> float | None:
        """Seconds every thread must wait when ``response`` is a rate limit, else None."""
        limited = response.status == 429 or (response.status == 403 and _is_rate_limit(response))
        if not limited:
            return None
        headers = response.headers
        retry_after = _seconds(headers.get("retry-after"))
        if retry_after is not None:
            return retry_after
        if headers.get("x-ratelimit-remaining") == "0":
            return 0.0  # the budget wait holds the request until the reset
        return self.settings.min_backoff * 2 ** (attempt - 1)

    def _retry(self, attempt: int, what: str, pause: float | None) -> None:
        with self._lock:
            self.stats.retries += 1
            if pause is not None:
                self._paused_until = max(self._paused_until, time.monotonic() + pause)
        if pause is None:
            delay = self.settings.error_backoff * 2 ** (attempt - 1)
            log.info("retrying in %.1f s after %s", delay, what)
            self._sleep(delay)
        else:
            log.info("rate limited (%s): every request waits %.1f s", what, pause)

    def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            self.stats.waited += seconds
        time.sleep(seconds)


def _repeatable(verb: str, path: str) -> bool:
    """Whether sending the request again cannot do its work twice: reads, and writes that set
    a state (PATCH, PUT, DELETE, the REPEATABLE_POSTS); not a comment, nor a GraphQL call."""
    return verb != "POST" or REPEATABLE_POSTS.search(path.partition("?")[0]) is not None


def _never_sent(exc: requests.RequestException) -> bool:
    """The connection was never made, so the request cannot have reached GitHub."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _resource(path: str) -> str:
    if "/search/" in path:
        return "search"
    return "graphql" if path.rstrip("/").endswith("/graphql") else "core"


def _seconds(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _is_rate_limit(response: Response) -> bool:
    headers = response.headers
    if headers.get("retry-after") is not None or headers.get("x-ratelimit-remaining") == "0":
        return True
    try:
        message = str(json.loads(response.read() or "{}").get("message", ""))
    except (ValueError, AttributeError):
        return False
    return any(word in message.lower() for word in RATE_LIMIT_WORDS)


# -- PyGithub: every connection goes through the governor ------------------------------------

_governor = Governor()
_sessions: dict[tuple[str, str, int], requests.Session] = {}
_sessions_lock = threading.Lock()


def governor() -> Governor:
    """The process's governor (one budget, one pacing, whatever the number of clients)."""
    return _governor


def configure(settings: Settings) -> None:
    """New settings for the process's governor; what it has counted so far stays."""
    _governor.settings = settings


class _Governed:
    """Mixed into PyGithub's connection classes: one shared keep-alive session per host
    (PyGithub opens a connection object per request once classes are injected), and every
    response obtained through the governor."""

    protocol: str
    host: str
    port: int
    verb: str
    url: str
    session: requests.Session

    def _share_session(self) -> None:
        key = (self.protocol, self.host, self.port)
        with _sessions_lock:
            self.session = _sessions.setdefault(key, self.session)

    def getresponse(self) -> RequestsResponse:
        fetch = super().getresponse  # type: ignore[misc]
        return _governor.send(self.verb, self.url, fetch)

    def close(self) -> None:
        """The shared session outlives the connection objects PyGithub discards."""


class _GovernedHTTP(_Governed, HTTPRequestsConnectionClass):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._share_session()


class _GovernedHTTPS(_Governed, HTTPSRequestsConnectionClass):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._share_session()


def route_pygithub() -> None:
    """Send every PyGithub request of this process through the governor. Idempotent."""
    Requester.injectConnectionClasses(_GovernedHTTP, _GovernedHTTPS)
