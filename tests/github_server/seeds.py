"""GitHub's own example payloads as templates for the server's responses.

A user or repository object carries dozens of URL templates and settings that the server
has no state for; starting from GitHub's example (with its URLs moved under the server's
address) keeps those fields exactly as GitHub spells them. The tests check that nothing of
the examples' accounts ("octocat", "Hello-World", api.github.com) ever reaches a client.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from tests.github_server.schemas import examples


def example(operation: str, status: str = "200", name: str = "default") -> Any:
    """A fresh copy of GitHub's example response for ``operation``."""
    return copy.deepcopy(examples()[operation]["responses"][status][name])


def rebased(value: Any, prefixes: Sequence[tuple[str, str]]) -> Any:
    """``value`` with every string that starts with an old prefix moved to the new one."""
    if isinstance(value, dict):
        return {key: rebased(item, prefixes) for key, item in value.items()}
    if isinstance(value, list):
        return [rebased(item, prefixes) for item in value]
    if isinstance(value, str):
        for old, new in prefixes:
            if value.startswith(old):
                return new + value[len(old) :]
    return value


def user_template() -> dict[str, Any]:
    """``simple-user`` for octocat, from the pull-request example."""
    return example("pulls/get")["user"]


def repository_template() -> dict[str, Any]:
    """``full-repository`` for octocat/Hello-World, from the repos/get example."""
    return example("repos/get", name="default-response")
