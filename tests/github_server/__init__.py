"""A local GitHub for tests: REST API, GraphQL mutations and git smart HTTP (see server.py)."""

from tests.github_server.records import RequestRecord
from tests.github_server.server import GitHubServer

__all__ = ["GitHubServer", "RequestRecord"]
