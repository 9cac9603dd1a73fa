"""GitHub's published request and response schemas, as a checker for the test server.

A fake server only proves something if what it sends is what GitHub sends, so every JSON
body goes through ``SchemaBook.check_response`` and every request body through
``check_request``. The schemas are the compact OpenAPI 3.0 ones in ``data/endpoints.json``.
``to_jsonschema`` is copied from the shared ``github-api/check_examples.py`` (same project).

GitHub's own examples break their schemas in a few fields (shared README, "Known drift");
those, and only those, stop being required (``RELAXED``).
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

DATA = Path(__file__).parent / "data"

# (schema name, property) that GitHub marks required although its own examples omit it:
# the shared README's four fields, named as the schemas name them (requested_teams items
# are `team` in the simple pull request and `team-simple` in the full one; repos/get's
# `parent` and `source` are `repository`; the get-commit example's file lacks `sha` too).
# tests/test_github_server.py proves each one necessary.
RELAXED: tuple[tuple[str, str], ...] = (
    ("team", "type"),
    ("team-simple", "type"),
    ("full-repository", "language"),
    ("repository", "language"),
    ("organization-full", "archived_at"),
    ("diff-entry", "contents_url"),
    ("diff-entry", "sha"),
)


@dataclass(frozen=True)
class Violation:
    """One place where a body does not match its schema."""

    operation: str
    status: int
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.operation} {self.status} at {self.location or '/'}: {self.message}"


def to_jsonschema(s: Any) -> Any:
    """OpenAPI 3.0 compact schema -> JSON Schema (nullable -> anyOf null, $ref -> #/defs/NAME).

    Copied from ../shared/github-api/check_examples.py.
    """
    if isinstance(s, list):
        return [to_jsonschema(x) for x in s]
    if not isinstance(s, dict):
        return s
    s = dict(s)
    s.pop("breaking_changes", None)
    s.pop("discriminator", None)
    if "$ref" in s:
        return {"$ref": "#/defs/" + s["$ref"]}
    if s.pop("nullable", False):
        return {"anyOf": [to_jsonschema(s), {"type": "null"}]}
    if "properties" in s:
        s["properties"] = {k: to_jsonschema(v) for k, v in s["properties"].items() if v is not None}
    for k in ("items", "additionalProperties", "not"):
        if isinstance(s.get(k), dict):
            s[k] = to_jsonschema(s[k])
    for k in ("oneOf", "anyOf", "allOf"):
        if k in s:
            s[k] = [to_jsonschema(x) for x in s[k]]
    return s


@functools.cache
def endpoints() -> dict[str, Any]:
    return json.loads((DATA / "endpoints.json").read_text())


@functools.cache
def examples() -> dict[str, Any]:
    return json.loads((DATA / "examples.json").read_text())


def _relax(schemas: dict[str, Any], relaxed: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    schemas = copy.deepcopy(schemas)
    for name, prop in relaxed:
        required = schemas[name]["required"]
        required.remove(prop)
    return schemas


class SchemaBook:
    """Validators for each operation's request body and responses, built once and cached."""

    def __init__(self, relaxed: tuple[tuple[str, str], ...] = RELAXED) -> None:
        data = endpoints()
        self.operations: dict[str, Any] = data["operations"]
        schemas = _relax(data["schemas"], relaxed)
        self._defs = {name: to_jsonschema(value) for name, value in schemas.items()}
        self._validators: dict[tuple[str, str], jsonschema.Draft7Validator] = {}

    def _validator(
        self, key: tuple[str, str], schema: dict[str, Any]
    ) -> jsonschema.Draft7Validator:
        """A cached validator for ``schema`` (already JSON Schema) with every component."""
        if key not in self._validators:
            self._validators[key] = jsonschema.Draft7Validator({"defs": self._defs, **schema})
        return self._validators[key]

    def check_response(self, operation: str, status: int, body: Any) -> list[Violation]:
        """Where ``body`` breaks the schema GitHub documents for ``operation`` at ``status``.

        An error status the operation does not list is checked as ``basic-error``, the shape
        of every GitHub error; an undocumented success status is itself a violation.
        """
        declared = self.operations[operation]["responses"].get(str(status))
        if declared is None:
            if status < 400:
                return [Violation(operation, status, "", "status not documented")]
            return self.check_error(operation, status, body)
        if declared.get("schema") is None:
            return []
        key, schema = (operation, str(status)), to_jsonschema(declared["schema"])
        if operation == "repos/get-content" and isinstance(body, list):
            # endpoints.json keeps only the object media type (`content-tree`); with the
            # default media type GitHub lists a directory as an array of the same entries.
            schema = self._defs["content-tree"]["properties"]["entries"]
            key = (operation, "directory")
        return self._violations(operation, status, self._validator(key, schema), body)

    def check_error(self, label: str, status: int, body: Any) -> list[Violation]:
        """Where an error body breaks ``basic-error``, the shape of every GitHub error."""
        validator = self._validator(("basic-error", ""), {"$ref": "#/defs/basic-error"})
        return self._violations(label, status, validator, body)

    @staticmethod
    def _violations(
        label: str, status: int, validator: jsonschema.Draft7Validator, body: Any
    ) -> list[Violation]:
        return [
            Violation(label, status, "/".join(map(str, error.absolute_path)), error.message)
            for error in validator.iter_errors(body)
        ]

    def check_request(self, operation: str, body: Any) -> list[str]:
        """Why GitHub would refuse ``body`` for ``operation`` (empty when it is acceptable)."""
        request = self.operations[operation].get("request_body")
        if request is None:
            return []
        if operation == "issues/add-labels" and isinstance(body, list):
            body = {"labels": body}  # PyGithub posts a bare array; GitHub accepts both forms
        validator = self._validator((operation, "request"), to_jsonschema(request["schema"]))
        return [error.message for error in validator.iter_errors(body)]


@functools.cache
def book() -> SchemaBook:
    """The shared, relaxed schema book (building validators is the slow part)."""
    return SchemaBook()
