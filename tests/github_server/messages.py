"""A REST request as the handlers see it, their reply, and GitHub's error bodies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """An error reply: ``basic-error``, or ``validation-error`` when ``errors`` are given."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "documentation_url": DOCS}
        if self.errors is not None:
            body["errors"] = self.errors
        body["status"] = str(self.status)
        return body


def invalid(resource: str, field_name: str, code: str = "invalid", message: str = "") -> ApiError:
    """GitHub's 422 "Validation Failed" for one field."""
    error = {"resource": resource, "field": field_name, "code": code}
    if message:
        error["message"] = message
    return ApiError(422, "Validation Failed", [error])


def custom(resource: str, message: str) -> ApiError:
    """GitHub's 422 with a ``custom`` error, e.g. a duplicate pull request."""
    return ApiError(
        422, "Validation Failed", [{"resource": resource, "code": "custom", "message": message}]
    )


@dataclass
class Request:
    method: str
    api_path: str  # path under the API prefix, percent-encoded as received
    query: dict[str, str]
    body: bytes
    headers: Mapping[str, str]
    login: str | None = None
    installation: bool = False  # authenticated with a GitHub App installation token

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise ApiError(400, "Problems parsing JSON") from error

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise ApiError(400, "Problems parsing JSON")
        return data


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """What goes back on the wire: REST, GraphQL and git answers alike."""

    status: int
    headers: dict[str, str]
    body: bytes
