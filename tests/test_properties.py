"""Every built-in codemod, on modules it has never seen: its own examples at random places.

A module is built from a codemod's example ``before`` snippets, each put at top level or
inside a function, method, class, ``if``, ``for``, ``try`` or ``with`` block, between
unrelated statements, functions, classes, comments and blank lines. Whatever the codemod
does with it, the output must compile, applying the codemod again must change nothing,
and every line of the surrounding code must still be there, in order.

Profiles: FLEETMOD_HYPOTHESIS_PROFILE=fleetmod-thorough for a long search; the default
keeps the whole file to a few seconds per codemod.
"""

from __future__ import annotations

import json
import os
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from codemods.base import Codemod, CodemodTransformer, Version
from codemods.registry import builtin_codemods
from codemods.results import Status
from tests.helpers import apply_codemod

settings.register_profile(
    "fleetmod-fast",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fleetmod-thorough", parent=settings.get_profile("fleetmod-fast"), max_examples=500
)
PROFILE = settings.get_profile(os.environ.get("FLEETMOD_HYPOTHESIS_PROFILE", "fleetmod-fast"))

# Containers a snippet can be put in: the lines before it, its indentation, the lines after.
CONTAINERS: dict[str, tuple[str, int, str]] = {
    "module": ("", 0, ""),
    "function": ("def _fm_wrap{n}(_fm_arg=None):\n", 4, "    pass\n"),
    "method": ("class _FmHolder{n}:\n    def _fm_method(self):\n", 8, "        pass\n"),
    "class": ("class _FmBox{n}(object):\n", 4, "    pass\n"),
    "if": ("if _fm_flag{n}:\n", 4, "    pass\nelse:\n    _fm_other{n} = {n}\n"),
    "for": ("for _fm_i{n} in range({n}):\n", 4, "    pass\n"),
    "try": ("try:\n", 4, "    pass\nexcept Exception:\n    _fm_failed{n} = True\n"),
    "with": ("with _fm_context{n}() as _fm_ctx{n}:\n", 4, "    pass\n"),
}
FILLERS: list[str] = [
    "_fm_value{n} = {n}\n",
    "_fm_items{n} = [_fm_x * {n} for _fm_x in range(3)]\n",
    "# an unrelated comment {n}\n",
    "\n",
    "def _fm_helper{n}(_fm_a, *_fm_rest, _fm_key=None, **_fm_extra):\n"
    '    """Unrelated filler {n}."""\n'
    "    return _fm_a\n",
    "class _FmThing{n}:\n"
    "    _fm_attr = {n}\n\n"
    "    def _fm_get(self):\n"
    "        return self._fm_attr\n",
    "if _fm_value{n} if False else True:\n    _fm_branch{n} = 1\nelse:\n    _fm_branch{n} = 2\n",
    "_fm_text{n} = 'filler %s' % ({n},)  # trailing comment\n",
    "@_fm_decorate\ndef _fm_decorated{n}():\n    yield {n}\n",
    "while _fm_value{n} < 0:\n    break\n",
]


@dataclass(frozen=True)
class Snippet:
    code: str
    places: tuple[str, ...]  # the containers in which it still compiles
    future: bool  # has a `from __future__` import: must open the module


@dataclass(frozen=True)
class Group:
    """The examples of one codemod that share options and target: one configuration."""

    codemod: type[Codemod]
    options: dict[str, Any]
    target: Version
    snippets: tuple[Snippet, ...]


def _compiles(code: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(code, "<generated>", "exec", dont_inherit=True)
        except SyntaxError:
            return False
    return True


def _contained(kind: str, body: str, n: int) -> tuple[str, list[str]]:
    """``body`` put in a container of ``kind``; also the container's own lines."""
    head, indent, tail = CONTAINERS[kind]
    head, tail = head.format(n=n), tail.format(n=n)
    return head + textwrap.indent(body, " " * indent) + tail, [
        *head.splitlines(),
        *tail.splitlines(),
    ]


def _snippet(code: str) -> Snippet:
    future = "from __future__" in code
    places = (
        ("module",)
        if future
        else tuple(k for k in CONTAINERS if _compiles(_contained(k, code, 0)[0]))
    )
    return Snippet(code, places, future)


def _groups() -> list[Group]:
    groups: dict[tuple[str, str, Version], list[Snippet]] = {}
    for cls in builtin_codemods().values():
        for example in cls.examples:
            key = (cls.name, json.dumps(dict(example.options), sort_keys=True), example.target)
            groups.setdefault(key, []).append(_snippet(example.before))
    codemods = builtin_codemods()
    return [
        Group(codemods[name], json.loads(options), target, tuple(s for s in snippets if s.places))
        for (name, options, target), snippets in groups.items()
    ]


GROUPS = _groups()


@dataclass
class Built:
    code: str
    fixed: list[str]  # lines that are not the pattern's, in order; they must survive


@st.composite
def modules(draw: Callable[..., Any], group: Group) -> Built:
    chosen = draw(st.lists(st.sampled_from(group.snippets), min_size=1, max_size=4))
    futures = [s for s in chosen if s.future][:1]
    parts: list[str] = []
    fixed: list[str] = []
    counter = iter(range(1, 1000))

    def add_fillers(at_most: int, into: tuple[list[str], list[str]] = (parts, fixed)) -> None:
        for template in draw(st.lists(st.sampled_from(FILLERS), max_size=at_most)):
            text = template.format(n=next(counter))
            into[0].append(text)
            into[1].extend(line for line in text.splitlines() if line.strip())

    if draw(st.booleans()):
        parts.append('"""A module docstring."""\n')
        fixed.append('"""A module docstring."""')
    parts.extend(s.code for s in futures)
    for snippet in [s for s in chosen if not s.future]:
        add_fillers(3)
        kind = draw(st.sampled_from(snippet.places))
        inner: tuple[list[str], list[str]] = ([], [])
        add_fillers(2, inner)
        # A comment right above a statement goes where the statement goes (libcst keeps it
        # with the statement): a line of its own keeps the fillers' comments apart.
        separator = f"_fm_before{next(counter)} = 0"
        inner[0].append(separator + "\n")
        inner[1].append(separator)
        body = "".join(inner[0]) + snippet.code
        text, container_lines = _contained(kind, body, next(counter))
        parts.append(text)
        head, _, _ = CONTAINERS[kind]
        fixed.extend(container_lines[: len(head.splitlines())])
        indent = " " * CONTAINERS[kind][1]
        fixed.extend(indent + line for line in inner[1])
        fixed.extend(container_lines[len(head.splitlines()) :])
    add_fillers(3)
    return Built("".join(parts), fixed)


def _is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    remaining = iter(haystack)
    return all(any(line == candidate for candidate in remaining) for line in needles)


def _check(group: Group, built: Built) -> None:
    """The three properties; a failure message shows the module before and after."""
    name = f"{group.codemod.__module__}:{group.codemod.__qualname__}"
    first = apply_codemod(name, built.code, group.options, group.target)
    assert first.status is not Status.FAILED, f"{first.reason}\n--- input:\n{built.code}"
    output = first.new_text if first.new_text is not None else built.code
    shown = f"\n--- input:\n{built.code}\n--- output:\n{output}"
    assert _compiles(output), "output does not compile" + shown
    again = apply_codemod(name, output, group.options, group.target)
    assert again.status in (Status.UNCHANGED, Status.FINDINGS), (
        f"not a fixed point:\n{again.diff}" + shown
    )
    lines = output.splitlines()
    missing = [line for line in built.fixed if line not in lines]
    assert not missing, f"code outside the pattern changed: {missing}" + shown
    assert _is_subsequence(built.fixed, lines), "code outside the pattern moved" + shown


@pytest.mark.parametrize("name", list(builtin_codemods()))
@settings(PROFILE)
@given(data=st.data())
def test_codemod_on_generated_modules(name: str, data: st.DataObject) -> None:
    groups = [g for g in GROUPS if g.codemod.name == name and g.snippets]
    group = data.draw(st.sampled_from(groups), label="options and target")
    built = data.draw(modules(group), label="module")
    assume(_compiles(built.code))  # rare: snippets that clash with each other
    _check(group, built)


def test_every_builtin_codemod_is_covered() -> None:
    covered = {g.codemod.name for g in GROUPS if g.snippets}
    assert covered == set(builtin_codemods())


def test_the_generator_builds_modules_that_compile_around_every_container() -> None:
    snippet = _snippet("import os\nx = os.sep\n")
    assert snippet.places == tuple(CONTAINERS)
    future = _snippet("from __future__ import annotations\nx: int = 1\n")
    assert (future.places, future.future) == (("module",), True)
    assert _snippet("return 1\n").places == ("function", "method")


def test_the_fixed_lines_check_notices_a_lost_or_moved_line() -> None:
    assert _is_subsequence(["a", "c"], ["a", "b", "c"])
    assert not _is_subsequence(["c", "a"], ["a", "b", "c"])
    assert not _is_subsequence(["a", "d"], ["a", "b", "c"])


class _AppendStatement(CodemodTransformer):
    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        statement = cst.parse_statement("_fm_appended = 0\n")
        return updated_node.with_changes(body=[*updated_node.body, statement])


class NeverDone(Codemod):
    name = "never-done"
    summary = "appends a statement every time"
    explanation = "Not a fixed point: the property test must notice."
    triggers = (b"",)
    Transformer = _AppendStatement


class _RenameFillers(CodemodTransformer):
    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        if updated_node.value.startswith("_fm_value"):
            return updated_node.with_changes(value="_fm_renamed")
        return updated_node


class Overreach(Codemod):
    name = "overreach"
    summary = "renames code it has no business with"
    explanation = "Changes code outside its pattern: the property test must notice."
    triggers = (b"",)
    Transformer = _RenameFillers


@pytest.mark.parametrize(
    ("codemod", "complaint"),
    [(NeverDone, "not a fixed point"), (Overreach, "code outside the pattern changed")],
)
def test_the_check_catches_a_misbehaving_codemod(codemod: type[Codemod], complaint: str) -> None:
    group = Group(codemod, {}, (3, 13), (_snippet("x = 1\n"),))
    built = Built("_fm_value1 = 1\nx = 1\n", ["_fm_value1 = 1"])
    with pytest.raises(AssertionError, match=complaint):
        _check(group, built)
