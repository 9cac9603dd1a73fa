"""Every REST route of the test server, most specific first where templates overlap."""

from __future__ import annotations

from tests.github_server.router import Route
from tests.github_server.routes import (
    accounts,
    apps,
    commits,
    discovery,
    graphql,
    issues,
    pulls,
    refs,
    repos,
)

ROUTES: list[Route] = [
    *accounts.ROUTES,
    *apps.ROUTES,
    *discovery.ROUTES,
    *repos.ROUTES,
    *pulls.ROUTES,
    *issues.ROUTES,
    *refs.ROUTES,
    *commits.ROUTES,
    *graphql.ROUTES,
]
