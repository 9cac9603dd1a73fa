"""Every codemod's documented examples hold: the documentation is the first test suite."""

from __future__ import annotations

import pytest

from codemods.base import Codemod, Example
from codemods.registry import builtin_codemods
from codemods.results import Status
from tests.helpers import apply_codemod, output_of

CASES = [
    pytest.param(cls, example, id=f"{cls.name}[{i}]{'-' + example.title if example.title else ''}")
    for cls in builtin_codemods().values()
    for i, example in enumerate(cls.examples)
]


@pytest.mark.parametrize(("cls", "example"), CASES)
def test_example(cls: type[Codemod], example: Example) -> None:
    result = apply_codemod(cls.name, example.before, example.options, example.target)
    expected = example.before if example.after is None else example.after
    assert output_of(result) == expected
    assert len(result.findings) == example.findings, result.findings
    if example.after is None or example.after == example.before:
        assert result.status in (Status.UNCHANGED, Status.FINDINGS)


@pytest.mark.parametrize(("cls", "example"), CASES)
def test_example_is_fixed_point(cls: type[Codemod], example: Example) -> None:
    once = output_of(apply_codemod(cls.name, example.before, example.options, example.target))
    twice = output_of(apply_codemod(cls.name, once, example.options, example.target))
    assert twice == once


@pytest.mark.parametrize("cls", builtin_codemods().values(), ids=lambda c: c.name)
def test_codemod_is_documented(cls: type[Codemod]) -> None:
    assert cls.name == cls.name.lower() and " " not in cls.name
    assert cls.summary and "\n" not in cls.summary
    assert len(cls.explanation) > 80
    assert cls.triggers and all(isinstance(t, bytes) for t in cls.triggers)
    assert any(e.after not in (None, e.before) for e in cls.examples) or any(
        e.findings for e in cls.examples
    ), "at least one example must show a rewrite or a finding"
    assert any(e.after is None for e in cls.examples), "show a case that must not change"
