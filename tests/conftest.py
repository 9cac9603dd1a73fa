"""Fixtures shared across test modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.github_server import GitHubServer


@pytest.fixture
def github_server(tmp_path: Path) -> Iterator[GitHubServer]:
    """A running local GitHub (REST + git over HTTP) under ``tmp_path / "github"``.

    At teardown it fails the test if any response broke GitHub's schemas or a handler crashed.
    (Imported here, not at the top, so that other test modules do not pay for it.)
    """
    from tests.github_server import GitHubServer

    with GitHubServer(tmp_path / "github") as server:
        yield server
        assert not server.errors, "\n".join(server.errors)
        assert not server.schema_violations, "\n".join(map(str, server.schema_violations))


@pytest.fixture(autouse=True)
def own_github_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test paces its GitHub writes as a process of its own would: the process-wide
    governor would otherwise carry earlier tests' writes over, and GitHub's 80 writes a
    minute would hold a later test for reasons of its neighbours."""
    from bot import ratelimit

    monkeypatch.setattr(ratelimit, "_governor", ratelimit.Governor())
