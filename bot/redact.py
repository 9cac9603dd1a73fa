"""One redaction filter for every secret the program holds, over everything it writes.

Whoever obtains a secret (a token from the environment, a GitHub App key, an installation
token, the header git sends) registers it here; every writer (the consoles, log records,
tracebacks, the ledger, reports, pull request text) passes its text through `redact`.
Strings shaped like GitHub tokens are masked even when nobody registered them, so a token
that reaches the program some other way (a check's output, a file it reads) is hidden too.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

MASK = "***"
MIN_LENGTH = 8  # shorter values would mask ordinary words
SECRET_ENV = (
    "FLEETMOD_GITHUB_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "FLEETMOD_GITHUB_APP_KEY",
)
_SHAPES = r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern = re.compile(_SHAPES)
_installed = False


def register(secret: str | None) -> None:
    """Hide ``secret`` from now on; a multi-line secret (a PEM key) is hidden line by line too."""
    if not secret:
        return
    parts = {secret.strip(), *(line.strip() for line in secret.splitlines())}
    fresh = {p for p in parts if len(p) >= MIN_LENGTH and not p.startswith("-----")}
    global _pattern
    with _lock:
        if fresh <= _secrets:
            return
        _secrets.update(fresh)
        # Longest first, so a secret that contains another is masked whole.
        alternatives = [re.escape(s) for s in sorted(_secrets, key=len, reverse=True)]
        _pattern = re.compile("|".join([*alternatives, _SHAPES]))


def register_environment(environ: dict[str, str] | None = None) -> None:
    """Register the secrets the environment hands the program (see SECRET_ENV)."""
    env = os.environ if environ is None else environ
    for name in SECRET_ENV:
        register(env.get(name))


def redact(text: str) -> str:
    return _pattern.sub(MASK, text) if text else text


class RedactingStream:
    """A text stream that redacts, then writes to whatever ``target()`` is at that moment
    (so a test runner that swaps sys.stdout still captures)."""

    def __init__(self, target: Callable[[], TextIO]) -> None:
        self._target = target

    def write(self, text: str) -> int:
        self._target().write(redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)


def _redacting_factory(original: Callable[..., logging.LogRecord]) -> Callable[..., Any]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = original(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: keep its parts, redacted
            message = f"{record.msg} {record.args!r}"
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return record

    return factory


def _redacting_hook(
    original: Callable[[type[BaseException], BaseException, TracebackType | None], Any],
) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        stream = sys.stderr
        sys.stderr = RedactingStream(lambda: stream)  # type: ignore[assignment]
        try:
            original(kind, exc, tb)
        finally:
            sys.stderr = stream

    return hook


def install() -> None:
    """Redact every log record and uncaught traceback of this process; register the
    environment's secrets. Idempotent."""
    global _installed
    register_environment()
    with _lock:
        if _installed:
            return
        _installed = True
    logging.setLogRecordFactory(_redacting_factory(logging.getLogRecordFactory()))
    sys.excepthook = _redacting_hook(sys.excepthook)
