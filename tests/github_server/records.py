"""The request log: what clients asked, so a test can count a run's writes."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
REDACTED = "<redacted>"


@dataclass(frozen=True)
class RequestRecord:
    """One request. ``kind`` is "api" (REST), "graphql" or "git" (smart HTTP)."""

    method: str
    path: str  # as received, without the query string
    status: int
    headers_sent_redacted: Mapping[str, str]  # the client's headers, Authorization hidden
    body_len: int
    kind: str = "api"
    query: str = ""
    operation: str | None = None  # e.g. "pulls/create"; None for git and unknown routes
    body: bytes = b""  # the request body (API requests only; git packs are not kept)
    dropped: bool = False  # the connection was reset instead of answering (status 0: not run)

    @property
    def is_write(self) -> bool:
        """A write on the API (REST or a GraphQL mutation); git pushes are counted apart."""
        return self.kind != "git" and self.method in WRITE_METHODS


def redact(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name: REDACTED if name.lower() in ("authorization", "proxy-authorization") else value
        for name, value in headers.items()
    }


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def all(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
