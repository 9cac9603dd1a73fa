"""Routes: which handler answers a method and path, under which GitHub operation id."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.github_server.call import Call
    from tests.github_server.messages import Reply

_PARAM = re.compile(r"\{(\w+)(\+?)\}")


def _compile(template: str) -> re.Pattern[str]:
    parts, last = [], 0
    for match in _PARAM.finditer(template):
        parts.append(re.escape(template[last : match.start()]))
        name, greedy = match.groups()
        parts.append(f"(?P<{name}>{'.+' if greedy else '[^/]+'})")
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts) + "/?")


@dataclass(frozen=True)
class Route:
    """``{name}`` matches one path segment, ``{name+}`` one or more (refs, file paths).

    ``operation`` is the endpoints.json id whose schemas check the exchange; a route GitHub
    has but endpoints.json lacks names an id of its own and may borrow a documented
    response schema with ``checked_as``. ``resource`` is the rate-limit bucket it spends
    (None: free, as /rate_limit is). ``app_auth`` routes authenticate with an app JWT.
    """

    method: str
    template: str
    operation: str
    handler: Callable[[Call], Reply]
    checked_as: tuple[str, int] | None = None
    resource: str | None = "core"
    app_auth: bool = False
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", _compile(self.template))


class Router:
    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = list(routes)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The first route for ``method`` whose template matches ``path``, with its parameters."""
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.fullmatch(path)
            if found:
                params = {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
                return route, params
        return None
