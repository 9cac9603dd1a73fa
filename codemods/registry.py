"""Where codemods come from: the built-in rules, installed plugins, and `module:Class` paths.

Built-ins are discovered by importing every module of `codemods.rules`, so adding a rule
is adding a file. Plugins register a `Codemod` subclass under the entry-point group
`fleetmod.codemods`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from codemods import rules
from codemods.base import Codemod

ENTRY_POINT_GROUP = "fleetmod.codemods"


class CodemodError(ValueError):
    """A codemod that cannot be found or configured; the message is one line for the user."""


def _subclasses_in(module: object) -> list[type[Codemod]]:
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Codemod)
        and obj is not Codemod
        and obj.__module__ == getattr(module, "__name__", None)
        and "name" in vars(obj)
    ]


@cache
def builtin_codemods() -> dict[str, type[Codemod]]:
    found: dict[str, type[Codemod]] = {}
    for info in pkgutil.iter_modules(rules.__path__, rules.__name__ + "."):
        for cls in _subclasses_in(importlib.import_module(info.name)):
            found[cls.name] = cls
    return dict(sorted(found.items()))


@cache
def plugin_codemods() -> dict[str, type[Codemod]]:
    found: dict[str, type[Codemod]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Codemod)):
            raise CodemodError(f"entry point {ep.name!r} ({ep.value}) is not a Codemod class")
        found[cls.name] = cls
    return found


def all_codemods() -> dict[str, type[Codemod]]:
    """Every codemod known by name: built-ins first, plugins may not shadow them."""
    return {**plugin_codemods(), **builtin_codemods()}


def load_class(ref: str) -> type[Codemod]:
    """Resolve a codemod name, or a `package.module:Class` path, to its class."""
    if ":" in ref:
        module_name, _, attr = ref.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            raise CodemodError(f"cannot load codemod {ref!r}: {exc}") from exc
        if not (isinstance(obj, type) and issubclass(obj, Codemod)):
            raise CodemodError(f"{ref!r} is not a Codemod class")
        return obj
    known = all_codemods()
    if ref not in known:
        raise CodemodError(
            f"unknown codemod {ref!r} (known: {', '.join(known)}; or give a module:Class path)"
        )
    return known[ref]


def configure(ref: str, options: Mapping[str, Any] | None = None) -> Codemod:
    """A codemod instance with validated options; errors name the codemod and the field."""
    cls = load_class(ref)
    try:
        return cls(options)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "options"
        raise CodemodError(f"{cls.name}.{where}: {first['msg']}") from exc
