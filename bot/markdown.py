"""Markdown that stays inert whatever a repository puts in a file name or a message.

Text from repositories reaches pull request bodies and job summaries; it must never
become a link, an HTML tag, a table column or a heading there.
"""

from __future__ import annotations

import html
import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def text(value: object) -> str:
    """Plain text: HTML entities escaped, Markdown punctuation backslash-escaped, one line."""
    flat = " ".join(str(value).split())
    return _SPECIAL.sub(r"\\\1", html.escape(flat, quote=True))


def code(value: object) -> str:
    """Inline code that cannot be broken out of by backticks in the value."""
    flat = " ".join(str(value).split()).replace("|", "\\|")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def block(value: str, language: str = "") -> str:
    """A fenced block (literal inside, on GitHub too) fenced longer than any backtick run."""
    fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", value)), default=0) + 1)
    return f"{fence}{language}\n{value}\n{fence}"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table from cells that are already escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
