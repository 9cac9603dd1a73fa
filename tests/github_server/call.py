"""What a route handler receives: the request, its path parameters, and the server's parts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests.github_server.messages import ApiError, Reply, Request
from tests.github_server.pagination import paginate
from tests.github_server.ratelimit import RateLimits
from tests.github_server.schemas import SchemaBook
from tests.github_server.state import Account, Repository, State
from tests.github_server.urls import Urls


@dataclass
class Call:
    request: Request
    params: dict[str, str]
    operation: str
    state: State
    urls: Urls
    limits: RateLimits
    book: SchemaBook

    @property
    def login(self) -> str:
        assert self.request.login is not None
        return self.request.login

    @property
    def account(self) -> Account:
        return self.state.account(self.login)

    @property
    def query(self) -> dict[str, str]:
        return self.request.query

    def repo(self) -> Repository:
        return self.state.repo(self.params["owner"], self.params["repo"])

    def writable_repo(self) -> Repository:
        """The repository, refusing writes to an archived one as GitHub does."""
        repo = self.repo()
        if repo.archived:
            raise ApiError(403, "Repository was archived so is read-only.")
        return repo

    def number(self, name: str = "number") -> int:
        text = self.params[name]
        if not text.isdigit():
            raise ApiError(404, "Not Found")
        return int(text)

    def body(self) -> Any:
        """The JSON body, refused with 422 where GitHub's request schema refuses it."""
        data = self.request.json()
        problems = (
            self.book.check_request(self.operation, data)
            if self.operation in self.book.operations
            else []
        )
        if problems:
            raise ApiError(422, "Invalid request.\n\n" + "\n".join(problems))
        return data

    def page(self, items: Sequence[Any]) -> Reply:
        """One page of ``items`` with the ``Link`` header to the others."""
        chunk, headers = paginate(items, self.query, self.urls.api + self.request.api_path)
        return Reply(200, chunk, headers)
