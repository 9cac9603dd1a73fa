"""The program's two output streams; everything a person reads goes through these, and
through the secret redaction filter (`bot.redact`), which also covers log records and
tracebacks from here on."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.text import Text

from bot.redact import RedactingStream, install

install()
out = Console(file=RedactingStream(lambda: sys.stdout), highlight=False, soft_wrap=True)
err = Console(file=RedactingStream(lambda: sys.stderr), highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop with one clear line on stderr: the contract for every bad input."""
    err.print(Text.assemble(("error:", "bold red"), " ", message))
    raise typer.Exit(code)


def warn(message: str) -> None:
    """Something a person should know that does not stop the command."""
    err.print(Text.assemble(("warning:", "bold yellow"), " ", message))


def interactive() -> bool:
    return sys.stderr.isatty()
