"""unittest-deprecated-aliases on whole test modules, and against ruff's UP005."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.rules.unittest_deprecated_aliases import ALIASES
from tests.helpers import apply_codemod, output_of, ruff_fix

NAME = "unittest-deprecated-aliases"


def _test_case(body: str) -> str:
    lines = "".join(f"        {line}\n" for line in body.splitlines())
    return f"import unittest\n\n\nclass T(unittest.TestCase):\n    def test(self):\n{lines}"


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_every_alias_agrees_with_ruff(alias: str, tmp_path: Path) -> None:
    code = _test_case(f"self.{alias}(a, b)\nwith self.{alias}(E):\n    pass")
    result = apply_codemod(NAME, code)
    assert output_of(result) == ruff_fix(tmp_path, code, "UP005", (3, 12))
    assert result.counts == {NAME: 2}


def test_every_alias_is_gone_from_a_real_module(tmp_path: Path) -> None:
    code = _test_case("\n".join(f"self.{alias}(x)" for alias in ALIASES))
    new = output_of(apply_codemod(NAME, code))
    assert new == ruff_fix(tmp_path, code, "UP005", (3, 12))
    assert not any(f".{alias}(" in new for alias in ALIASES)
    compile(new, "t.py", "exec")


def test_bound_method_reference_is_renamed() -> None:
    code = _test_case("check = self.failUnlessEqual\ncheck(a, b)")
    assert "check = self.assertEqual\n" in output_of(apply_codemod(NAME, code))


def test_nested_function_and_class_inside_a_method() -> None:
    code = _test_case(
        "def inner():\n    self.assertEquals(a, b)\nclass Local:\n    pass\nself.failIf(c)"
    )
    new = output_of(apply_codemod(NAME, code))
    assert "self.assertEqual(a, b)" in new and "self.assertFalse(c)" in new


def test_own_method_in_another_class_of_the_module_blocks_the_rename() -> None:
    code = (
        "class Mixin:\n"
        "    def assertDictContainsSubset(self, sub, full):\n"
        "        self.assertLessEqual(sub.items(), full.items())\n\n"
        "class T(Mixin, TestCase):\n"
        "    def test(self):\n"
        "        self.assertDictContainsSubset(a, b)\n"
        "        self.assertEquals(a, b)\n"
    )
    result = apply_codemod(NAME, code)
    assert result.findings == []
    assert "self.assertDictContainsSubset(a, b)" in output_of(result)
    assert "self.assertEqual(a, b)" in output_of(result)


def test_finding_points_at_the_call() -> None:
    code = _test_case("x = 1\nself.assertDictContainsSubset({'a': 1}, d)")
    [finding] = apply_codemod(NAME, code).findings
    assert (finding.line, finding.column) == (7, 9)
    assert "assertDictContainsSubset" in finding.message


def test_assert_on_a_base_of_another_module_needs_evidence_of_a_test_case() -> None:
    """paramiko's KerberosTestCase (a TestCase) and SQLAlchemy's TestBase (not one, with
    its own assert_ and no assertTrue) both come from other modules."""
    code = (
        "from .util import KerberosTestCase\nfrom sqlalchemy.testing import fixtures\n\n"
        "class K(KerberosTestCase):\n    def test(self):\n"
        "        self.assert_(ok)\n        self.assertEquals(a, b)\n\n"
        "class S(fixtures.TestBase):\n    def test(self):\n        self.assert_(ok)\n"
    )
    new = output_of(apply_codemod(NAME, code))
    assert new == code.replace(
        "self.assert_(ok)\n        self.", "self.assertTrue(ok)\n        self."
    ).replace("assertEquals", "assertEqual")
