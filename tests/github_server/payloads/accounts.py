"""Users, organisations and teams."""

from __future__ import annotations

import functools
from typing import Any

from tests.github_server.seeds import rebased, user_template
from tests.github_server.state import Account, Team, now
from tests.github_server.urls import Urls, node_id

_SEED_LOGIN = "octocat"


@functools.cache
def _template() -> dict[str, Any]:
    return user_template()


def user(urls: Urls, account: Account) -> dict[str, Any]:
    """``simple-user``: GitHub's template with its URLs moved to ``account``."""
    login = account.login
    body = rebased(
        _template(),
        [
            (f"https://api.github.com/users/{_SEED_LOGIN}", urls.user_api(login)),
            (
                f"https://github.com/images/error/{_SEED_LOGIN}_happy.gif",
                urls.web("avatars", login),
            ),
            (f"https://github.com/{_SEED_LOGIN}", urls.web(login)),
        ],
    )
    body.update(login=login, id=account.id, node_id=account.node_id, type=account.kind)
    body.update(site_admin=False, user_view_type="public")
    return body


def authenticated_user(urls: Urls, account: Account, owned: int) -> dict[str, Any]:
    """What ``GET /user`` and ``GET /users/{login}`` add to the simple user."""
    body = user(urls, account)
    body.update(name=account.login, company=None, blog="", location=None, email=None)
    body.update(hireable=None, bio=None, twitter_username=None, public_repos=owned)
    body.update(public_gists=0, followers=0, following=0, created_at=now(), updated_at=now())
    return body


def organization(urls: Urls, account: Account, owned: int) -> dict[str, Any]:
    """``organization-full``."""
    login = account.login
    api = f"{urls.api}/orgs/{login}"
    return {
        "login": login,
        "id": account.id,
        "node_id": account.node_id,
        "url": api,
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events",
        "hooks_url": f"{api}/hooks",
        "issues_url": f"{api}/issues",
        "members_url": f"{api}/members{{/member}}",
        "public_members_url": f"{api}/public_members{{/member}}",
        "avatar_url": urls.web("avatars", login),
        "description": None,
        "name": login,
        "html_url": urls.web(login),
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": owned,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "type": "Organization",
        "created_at": now(),
        "updated_at": now(),
        "archived_at": None,
    }


def team(urls: Urls, entry: Team) -> dict[str, Any]:
    """``team`` as listed in a pull request's ``requested_teams``."""
    api = f"{urls.api}/teams/{entry.id}"
    return {
        "id": entry.id,
        "node_id": node_id("Team", entry.id),
        "url": api,
        "html_url": urls.web("orgs", entry.org, "teams", entry.slug),
        "name": entry.slug,
        "slug": entry.slug,
        "description": None,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": f"{api}/members{{/member}}",
        "repositories_url": f"{api}/repos",
        "type": "organization",
        "parent": None,
    }
