"""Who fleetmod is on GitHub: a token, or a GitHub App installation, and how git gets it.

Every secret read here is registered with `bot.redact` before anything can print it. Git
receives the token only through its environment (`GIT_CONFIG_COUNT` and friends carry an
`http.<origin>/.extraHeader` for that one command): never in a URL, never in .git/config,
never on a command line that `ps` shows.
"""

from __future__ import annotations

import base64
import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from github import Auth

from bot import redact
from bot.forges.base import ForgeError

TOKEN_ENV = ("FLEETMOD_GITHUB_TOKEN", "GITHUB_TOKEN")
APP_ID_ENV = "FLEETMOD_GITHUB_APP_ID"
APP_KEY_ENV = "FLEETMOD_GITHUB_APP_KEY"
APP_KEY_FILE_ENV = "FLEETMOD_GITHUB_APP_KEY_FILE"
INSTALLATION_ENV = "FLEETMOD_GITHUB_INSTALLATION_ID"
BASE_URL_ENV = ("FLEETMOD_GITHUB_API_URL", "GITHUB_API_URL")
DEFAULT_BASE_URL = "https://api.github.com"
GIT_USER = "x-access-token"  # what GitHub expects beside a token in HTTP Basic auth


def token_auth(token: str) -> Auth.Token:
    redact.register(token)
    return Auth.Token(token)


def app_auth(app_id: str | int, private_key: str, installation_id: int) -> Auth.AppInstallationAuth:
    """A GitHub App installation: PyGithub signs a JWT with the key and exchanges it for an
    installation token (refreshed before it expires)."""
    redact.register(private_key)
    return Auth.AppAuth(app_id, private_key).get_installation_auth(installation_id)


def auth_from_env(environ: Mapping[str, str] | None = None) -> Auth.Auth:
    """FLEETMOD_GITHUB_TOKEN or GITHUB_TOKEN; else FLEETMOD_GITHUB_APP_ID with
    FLEETMOD_GITHUB_APP_KEY (or _KEY_FILE) and FLEETMOD_GITHUB_INSTALLATION_ID."""
    env = os.environ if environ is None else environ
    for name in TOKEN_ENV:
        if env.get(name):
            return token_auth(env[name])
    app_id = env.get(APP_ID_ENV)
    if not app_id:
        names = " or ".join(TOKEN_ENV)
        raise ForgeError(f"no GitHub credentials: set {names}, or {APP_ID_ENV} for a GitHub App")
    installation = env.get(INSTALLATION_ENV, "")
    if not installation.isdigit():
        raise ForgeError(f"{INSTALLATION_ENV} must be the installation's number")
    return app_auth(app_id, _private_key(env), int(installation))


def _private_key(env: Mapping[str, str]) -> str:
    if env.get(APP_KEY_ENV):
        return env[APP_KEY_ENV]
    path = env.get(APP_KEY_FILE_ENV)
    if not path:
        raise ForgeError(f"a GitHub App needs {APP_KEY_ENV} or {APP_KEY_FILE_ENV}")
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ForgeError(f"{APP_KEY_FILE_ENV}: cannot read {path}: {exc.strerror}") from None


def base_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """FLEETMOD_GITHUB_API_URL, else GITHUB_API_URL (set by GitHub Actions, also on GitHub
    Enterprise Server), else api.github.com."""
    env = os.environ if environ is None else environ
    return next((env[name] for name in BASE_URL_ENV if env.get(name)), DEFAULT_BASE_URL)


def current_token(auth: Auth.Auth) -> str:
    """The token requests carry now (an installation token is fetched or refreshed here)."""
    token = auth.token
    redact.register(token)
    return token


def git_env(clone_url: str, token: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for one git command against ``clone_url``: an Authorization header
    scoped to that origin, appended after any GIT_CONFIG_* entries already in the
    environment, and no prompt if it is refused."""
    env = os.environ if environ is None else environ
    parts = urllib.parse.urlsplit(clone_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ForgeError(f"{clone_url}: GitHub repositories are cloned over HTTPS")
    if parts.username or parts.password:
        raise ForgeError("a clone URL must not carry credentials")
    basic = base64.b64encode(f"{GIT_USER}:{token}".encode()).decode()
    redact.register(basic)
    index = int(env.get("GIT_CONFIG_COUNT", "0") or "0")
    return {
        "GIT_CONFIG_COUNT": str(index + 1),
        f"GIT_CONFIG_KEY_{index}": f"http.{parts.scheme}://{parts.netloc}/.extraHeader",
        f"GIT_CONFIG_VALUE_{index}": f"Authorization: Basic {basic}",
        "GIT_TERMINAL_PROMPT": "0",
    }
