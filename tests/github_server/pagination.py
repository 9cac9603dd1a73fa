"""GitHub's page-number pagination: ``per_page`` and ``page`` in, a ``Link`` header out."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from typing import TypeVar

from tests.github_server.messages import ApiError

T = TypeVar("T")
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


def _number(query: Mapping[str, str], name: str, default: int) -> int:
    text = query.get(name, "")
    if not text:
        return default
    if not text.isdigit():
        raise ApiError(422, f"Invalid value for {name}")
    return int(text)


def paginate(
    items: Sequence[T], query: Mapping[str, str], url: str
) -> tuple[list[T], dict[str, str]]:
    """One page of ``items`` and the headers that link to the others (``url`` has no query)."""
    per_page = min(max(_number(query, "per_page", DEFAULT_PER_PAGE), 1), MAX_PER_PAGE)
    page = max(_number(query, "page", 1), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = list(items[(page - 1) * per_page : page * per_page])
    links = []
    if page < last:
        links += [(page + 1, "next"), (last, "last")]
    if page > 1:
        links += [(1, "first"), (min(page - 1, last), "prev")]
    if not links:
        return chunk, {}
    header = ", ".join(f'<{_page_url(url, query, n)}>; rel="{rel}"' for n, rel in links)
    return chunk, {"Link": header}


def _page_url(url: str, query: Mapping[str, str], page: int) -> str:
    params = {**query, "page": str(page)}
    return f"{url}?{urllib.parse.urlencode(params)}"
