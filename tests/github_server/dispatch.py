"""Which part answers a request (REST, GraphQL, git or nothing), and the request log."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass

from tests.github_server.api import RestApi
from tests.github_server.faults import Faults
from tests.github_server.githttp import GitHttp
from tests.github_server.messages import DOCS, Answer
from tests.github_server.records import RequestLog, RequestRecord, redact
from tests.github_server.urls import API_PREFIX, GRAPHQL_PATH

NOT_FOUND = json.dumps({"message": "Not Found", "documentation_url": DOCS}).encode()
DROPPED = Answer(0, {}, b"")  # no answer: the handler resets the connection


@dataclass
class Dispatcher:
    api: RestApi
    git: GitHttp
    faults: Faults
    log: RequestLog

    def dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        path, _, query_string = target.partition("?")
        self.faults.tick()
        query = dict(urllib.parse.parse_qsl(query_string, keep_blank_values=True))
        kind, operation, reset = "api", None, None
        if path in (API_PREFIX, GRAPHQL_PATH) or path.startswith(API_PREFIX + "/"):
            kind = "graphql" if path == GRAPHQL_PATH else "api"
            api_path = "/graphql" if kind == "graphql" else path[len(API_PREFIX) :] or "/"
            reset = self.faults.reset(method, api_path)
            if reset is not None and not reset.handled:
                answer = DROPPED
            else:
                answer, operation = self.api.handle(method, api_path, query, headers, body)
        else:
            kind = "git"
            found = self.git.handle(method, path, query_string, headers, body)
            answer = found or Answer(404, {"Content-Type": "application/json"}, NOT_FOUND)
        record = RequestRecord(
            method=method,
            path=path,
            status=answer.status,
            headers_sent_redacted=redact(headers),
            body_len=len(body),
            kind=kind,
            query=query_string,
            operation=operation,
            body=b"" if kind == "git" else body,
            dropped=reset is not None,
        )
        self.log.add(record)
        return DROPPED if reset is not None else answer
