"""auth-gateway: weak hashes where they matter, on a repository whose default is `master`."""

from __future__ import annotations

from bot.demo_fleet.sample import GITIGNORE, SampleRepo, pyproject

README = """
# auth-gateway

Login, session tokens and the JWKS cache in front of the internal services.

Password hashes are still the salted digests the old PHP admin wrote; moving them to a
real key-derivation function is ticket AUTH-142.

```
python -m pytest -q
```
"""

PASSWORDS = r'''
"""Password hashing for the legacy user table.

Hashes are salted MD5 ("salt$hexdigest"), kept for compatibility with the PHP admin that
wrote them; the move to hashlib.scrypt is tracked in AUTH-142.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Optional

SALT_BYTES = 8


def hash_password(password: str, salt: Optional[str] = None) -> str:
    salt = salt or secrets.token_hex(SALT_BYTES)
    digest = hashlib.md5((salt + password).encode("utf-8")).hexdigest()
    return f"{salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    salt, _, expected = stored.partition("$")
    if not expected:
        return False
    actual = hash_password(password, salt).partition("$")[2]
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    salt, _, digest = stored.partition("$")
    return len(salt) < SALT_BYTES * 2 or len(digest) != 32
'''

TOKENS = r'''
"""Session tokens: base64url(claims) "." base64url(HMAC-SHA256(claims))."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Dict, Optional


class InvalidToken(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def issue(secret: bytes, subject: str, ttl: int = 3600, now: Optional[float] = None) -> str:
    issued = int(time.time() if now is None else now)
    claims = {"sub": subject, "iat": issued, "exp": issued + ttl}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_sign(secret, payload)}"


def verify(secret: bytes, token: str, now: Optional[float] = None) -> Dict[str, Any]:
    payload, dot, signature = token.partition(".")
    if not dot:
        raise InvalidToken("malformed token")
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        raise InvalidToken("bad signature")
    claims = json.loads(_unb64(payload))
    if claims["exp"] <= (time.time() if now is None else now):
        raise InvalidToken("expired")
    return claims


def cache_key(token: str) -> str:
    """Sessions are cached under a digest of the token, so the cache never holds a token."""
    return "session:" + hashlib.sha1(token.encode("ascii")).hexdigest()
'''

JWKS = r'''
"""The identity provider's signing keys (JWKS), fetched on demand and kept for an hour."""

from __future__ import annotations

import time
from typing import Any, Dict, Optional

import requests


class KeySet:
    def __init__(self, url: str, max_age: float = 3600) -> None:
        self.url = url
        self.max_age = max_age
        self._keys: Dict[str, Dict[str, Any]] = {}
        self._fetched_at = float("-inf")

    def key(self, kid: str, now: Optional[float] = None) -> Dict[str, Any]:
        now = time.time() if now is None else now
        if kid not in self._keys or now - self._fetched_at > self.max_age:
            self.refresh(now)
        try:
            return self._keys[kid]
        except KeyError:
            raise LookupError(f"no key {kid!r} at {self.url}") from None

    def refresh(self, now: float) -> None:
        response = requests.get(self.url, headers={"Accept": "application/json"})
        response.raise_for_status()
        self._keys = {key["kid"]: key for key in response.json()["keys"]}
        self._fetched_at = now
'''

RATELIMIT = r'''
"""A token bucket per client: `rate` requests per second, bursts up to `capacity`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    rate: float
    capacity: float
    buckets: Dict[str, Bucket] = field(default_factory=dict)

    def allow(self, client: str, now: float) -> bool:
        bucket = self.buckets.setdefault(client, Bucket(self.capacity, now))
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.rate)
        bucket.updated = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True
'''

TEST_PASSWORDS = r"""
from gateway.passwords import hash_password, needs_rehash, verify_password


def test_a_hash_verifies_only_its_password():
    stored = hash_password("correct horse")
    assert verify_password("correct horse", stored)
    assert not verify_password("Correct horse", stored)


def test_each_hash_has_its_own_salt():
    assert hash_password("same") != hash_password("same")


def test_short_salts_need_a_rehash():
    assert needs_rehash("ab$" + "0" * 32)
    assert not needs_rehash(hash_password("x"))


def test_garbage_does_not_verify():
    assert not verify_password("x", "not-a-hash")
"""

TEST_TOKENS = r"""
import pytest

from gateway.ratelimit import RateLimiter
from gateway.tokens import InvalidToken, cache_key, issue, verify

SECRET = b"test-secret"


def test_round_trip():
    token = issue(SECRET, "user-7", ttl=60, now=1_000)
    assert verify(SECRET, token, now=1_030)["sub"] == "user-7"


@pytest.mark.parametrize(
    ("secret", "now", "reason"),
    [(b"other", 1_030, "bad signature"), (SECRET, 1_060, "expired")],
)
def test_rejected_tokens(secret, now, reason):
    token = issue(SECRET, "user-7", ttl=60, now=1_000)
    with pytest.raises(InvalidToken, match=reason):
        verify(secret, token, now=now)


def test_cache_key_does_not_contain_the_token():
    token = issue(SECRET, "user-7", now=1_000)
    assert token not in cache_key(token)
    assert cache_key(token) == cache_key(token)


def test_rate_limiter_allows_bursts_then_refills():
    limiter = RateLimiter(rate=1.0, capacity=2)
    assert [limiter.allow("a", now=0) for _ in range(3)] == [True, True, False]
    assert limiter.allow("a", now=1.0)
"""

REPOSITORY = SampleRepo(
    name="auth-gateway",
    description="default branch `master`; salted md5 passwords, sha1 cache keys, JWKS fetch",
    branch="master",
    files={
        ".gitignore": GITIGNORE,
        "README.md": README,
        "pyproject.toml": pyproject(
            "auth-gateway",
            "3.2.0",
            "Login, session tokens and JWKS caching for the internal services.",
            ["requests>=2.31"],
        ),
        "src/gateway/__init__.py": "",
        "src/gateway/jwks.py": JWKS,
        "src/gateway/passwords.py": PASSWORDS,
        "src/gateway/ratelimit.py": RATELIMIT,
        "src/gateway/tokens.py": TOKENS,
        "tests/test_passwords.py": TEST_PASSWORDS,
        "tests/test_tokens.py": TEST_TOKENS,
    },
)
