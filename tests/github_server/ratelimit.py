"""GitHub's primary rate limit: a budget per account and resource, reported on every response."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

# resource -> (requests per window, window in seconds), as GitHub grants an authenticated user
BUDGETS = {"core": (5000, 3600), "search": (30, 60), "graphql": (5000, 3600)}
ANONYMOUS = (60, 3600)


@dataclass
class Bucket:
    limit: int
    used: int
    reset: int  # epoch seconds

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


class PrimaryLimitExceeded(Exception):
    def __init__(self, bucket: Bucket) -> None:
        super().__init__("API rate limit exceeded")
        self.bucket = bucket


class RateLimits:
    """Buckets by (account, resource); ``exhaust`` empties every core bucket until a reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._exhausted_until = 0

    def _bucket(self, who: str | None, resource: str) -> Bucket:
        key = (who or "", resource)
        limit, window = BUDGETS[resource] if who else ANONYMOUS
        clock = time.time()
        bucket = self._buckets.get(key)
        if bucket is None or clock >= bucket.reset:
            bucket = Bucket(limit, 0, math.ceil(clock + window))
            if resource == "core" and clock < self._exhausted_until:
                bucket = Bucket(limit, limit, self._exhausted_until)
            self._buckets[key] = bucket
        return bucket

    def charge(self, who: str | None, resource: str) -> Bucket:
        """Spend one request; raises when the budget is gone. Returns a snapshot."""
        with self._lock:
            bucket = self._bucket(who, resource)
            if bucket.remaining == 0:
                raise PrimaryLimitExceeded(Bucket(bucket.limit, bucket.used, bucket.reset))
            bucket.used += 1
            return Bucket(bucket.limit, bucket.used, bucket.reset)

    def peek(self, who: str | None, resource: str) -> Bucket:
        with self._lock:
            bucket = self._bucket(who, resource)
            return Bucket(bucket.limit, bucket.used, bucket.reset)

    def exhaust(self, reset_in_seconds: float) -> None:
        """Every core budget reads remaining 0 until ``reset_in_seconds`` from now."""
        with self._lock:
            self._exhausted_until = math.ceil(time.time() + reset_in_seconds)
            for (_, resource), bucket in self._buckets.items():
                if resource == "core":
                    bucket.used = bucket.limit
                    bucket.reset = self._exhausted_until


def headers(bucket: Bucket, resource: str) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(bucket.limit),
        "x-ratelimit-remaining": str(bucket.remaining),
        "x-ratelimit-reset": str(bucket.reset),
        "x-ratelimit-used": str(bucket.used),
        "x-ratelimit-resource": resource,
    }
