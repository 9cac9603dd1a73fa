"""GitHub App authentication: an app's JWT buys an installation access token."""

from __future__ import annotations

import datetime as dt
import secrets

import jwt

from tests.github_server.call import Call
from tests.github_server.messages import ApiError, Reply
from tests.github_server.router import Route
from tests.github_server.state import App, Token

PERMISSIONS = {
    "contents": "write",
    "pull_requests": "write",
    "issues": "write",
    "metadata": "read",
    "checks": "read",
    "statuses": "read",
}


def _app(call: Call) -> App:
    """The app whose key signed the request's JWT (401 as GitHub answers a bad one)."""
    scheme, _, token = call.request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "A JSON web token could not be decoded")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        app = call.state.apps.get(str(claims.get("iss")))
        if app is None:
            raise ApiError(401, "Integration not found")
        jwt.decode(token, app.public_key, algorithms=["RS256"])
    except jwt.PyJWTError as error:
        raise ApiError(401, "A JSON web token could not be decoded") from error
    return app


def create_installation_token(call: Call) -> Reply:
    app = _app(call)
    installation = call.number("installation_id")
    if installation not in app.installations:
        raise ApiError(404, "Not Found")
    value = "ghs_" + secrets.token_hex(18)
    call.state.add_account(app.bot_login, "Bot")
    call.state.tokens[value] = Token(value, app.bot_login, installation=True)
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    body = {
        "token": value,
        "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "permissions": PERMISSIONS,
        "repository_selection": "all",
    }
    return Reply(201, body)


ROUTES = [
    Route(
        "POST",
        "/app/installations/{installation_id}/access_tokens",
        "apps/create-installation-access-token",
        create_installation_token,
        resource=None,
        app_auth=True,
    )
]
