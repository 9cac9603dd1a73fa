"""unittest-deprecated-aliases: the TestCase method aliases that Python 3.12 removed."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.metadata import PositionProvider, QualifiedNameProvider

from codemods.base import Codemod, CodemodTransformer, Example, FileContext
from codemods.inplace import transform_in_place

ALIASES: dict[str, str] = {
    "assertEquals": "assertEqual",
    "assertNotEquals": "assertNotEqual",
    "assertAlmostEquals": "assertAlmostEqual",
    "assertNotAlmostEquals": "assertNotAlmostEqual",
    "assert_": "assertTrue",
    "failUnless": "assertTrue",
    "failIf": "assertFalse",
    "failUnlessEqual": "assertEqual",
    "failIfEqual": "assertNotEqual",
    "failUnlessAlmostEqual": "assertAlmostEqual",
    "failIfAlmostEqual": "assertNotAlmostEqual",
    "failUnlessRaises": "assertRaises",
    "assertRegexpMatches": "assertRegex",
    "assertNotRegexpMatches": "assertNotRegex",
    "assertRaisesRegexp": "assertRaisesRegex",
}
NO_REPLACEMENT: dict[str, str] = {
    "assertDictContainsSubset": (
        "assertDictContainsSubset was removed in Python 3.12 and has no replacement: "
        "compare the items, e.g. self.assertLessEqual(subset.items(), actual.items())"
    ),
}


KNOWN = frozenset({*ALIASES, *NO_REPLACEMENT})
# TestCase classes that inherit unittest.TestCase's methods, as their modules name them.
TEST_CASES = frozenset(
    {
        "unittest.TestCase",
        "unittest.case.TestCase",
        "unittest.IsolatedAsyncioTestCase",
        "unittest2.TestCase",
        "django.test.TestCase",
        "django.test.SimpleTestCase",
        "django.test.TransactionTestCase",
        "django.test.LiveServerTestCase",
        "twisted.trial.unittest.TestCase",
        "twisted.trial.unittest.SynchronousTestCase",
        "testtools.TestCase",
        "tornado.testing.AsyncTestCase",
        "tornado.testing.AsyncHTTPTestCase",
    }
)
# Methods only a unittest TestCase has: a class calling them on self is one.
UNITTEST_ONLY = frozenset(
    {
        "assertEqual",
        "assertNotEqual",
        "assertTrue",
        "assertFalse",
        "assertIs",
        "assertIsNot",
        "assertIsNone",
        "assertIsNotNone",
        "assertIn",
        "assertNotIn",
        "assertIsInstance",
        "assertRaises",
        "assertAlmostEqual",
        "assertCountEqual",
        *(alias for alias in KNOWN if alias != "assert_"),
    }
)
SELF_UNITTEST = m.Attribute(
    value=m.Name("self"), attr=m.Name(m.MatchIfTrue(UNITTEST_ONLY.__contains__))
)
SELF_ALIAS = m.Attribute(value=m.Name("self"), attr=m.Name(m.MatchIfTrue(KNOWN.__contains__)))


class _ClassMembers(cst.CSTVisitor):
    """Names some class of the module defines itself: `self.<name>` then means that method."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.classes: dict[str, cst.ClassDef] = {}

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.setdefault(node.name.value, node)
        for statement in node.body.body:
            if isinstance(statement, cst.FunctionDef):
                self.names.add(statement.name.value)
            elif isinstance(statement, cst.SimpleStatementLine):
                self.names.update(_assigned_names(statement))


def _assigned_names(line: cst.SimpleStatementLine) -> set[str]:
    targets: list[cst.BaseExpression] = []
    for small in line.body:
        if isinstance(small, cst.Assign):
            targets.extend(t.target for t in small.targets)
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
            targets.append(small.target)
    return {t.value for t in targets if isinstance(t, cst.Name)}


class Transformer(CodemodTransformer):
    # Resolved on demand (transform_in_place): positions for a finding, qualified names for
    # the bases of a class that calls `self.assert_`; the rest is matched on `self`.
    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    def visit_Module(self, node: cst.Module) -> None:
        members = _ClassMembers()
        node.visit(members)
        self.own_methods = members.names
        self.classes = members.classes
        self.class_stack: list[cst.ClassDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.class_stack.append(node)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.class_stack.pop()
        return updated

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        name = original.attr.value
        if not self._is_inherited_method(original, name):
            return updated
        if name in NO_REPLACEMENT:
            self.report(original, NO_REPLACEMENT[name])
            return updated
        self.changed()
        return updated.with_changes(attr=cst.Name(ALIASES[name]))

    def _is_inherited_method(self, node: cst.Attribute, name: str) -> bool:
        """`self.<alias>` inside a class, where no class of this module defines `<alias>`.

        `assert_` is also a common helper of test bases that are not TestCases (SQLAlchemy's
        fixtures.TestBase, which has no assertTrue): it needs a TestCase among the bases.
        """
        if not (
            name in KNOWN
            and self.class_stack
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
            and name not in self.own_methods
        ):
            return False
        if name != "assert_":
            return True
        klass = self.class_stack[-1]
        return self._is_test_case(klass, set()) or bool(m.findall(klass, SELF_UNITTEST))

    def _is_test_case(self, node: cst.ClassDef, seen: set[str]) -> bool:
        """Whether a base of the class, or of a class of this module it derives from, is one
        of the TestCase classes that inherit unittest's methods."""
        seen.add(node.name.value)
        for base in node.bases:
            if self.qualified_names(base.value) & TEST_CASES:
                return True
            local = self.classes.get(base.value.value) if isinstance(base.value, cst.Name) else None
            if (
                local is not None
                and local.name.value not in seen
                and self._is_test_case(local, seen)
            ):
                return True
        return False


class UnittestDeprecatedAliases(Codemod):
    name = "unittest-deprecated-aliases"
    summary = "self.assertEquals(...) and the other TestCase aliases removed in 3.12 are renamed"
    explanation = (
        "Python 3.12 removed the deprecated `unittest.TestCase` aliases (`assertEquals`, "
        "`failUnless`, `assert_`, `assertRegexpMatches`, ...): a test suite that still uses "
        "them fails with AttributeError. Each alias is renamed to the method it always "
        "stood for (`assertEqual`, `assertTrue`, `assertRegex`, ...), the same rename as "
        "pyupgrade and ruff UP005. Only `self.<alias>` inside a class is touched, and not "
        "when a class of the module defines a method or attribute of that name itself; "
        "`assert_`, a common helper name, only in a class derived from a known TestCase "
        "or calling other TestCase methods (`self.assertEqual`...). "
        "`assertDictContainsSubset` has no replacement and is reported instead."
    )
    url = "https://docs.python.org/3/whatsnew/3.12.html#unittest"
    version = 2
    triggers = (b"Equals", b"assert_", b"failUnless", b"failIf", b"Regexp", b"ContainsSubset")
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Most test modules match the triggers (`assert_called_with`) but use no alias:
        one walk over the tree finds that out before positions are computed."""
        if not m.findall(module, SELF_ALIAS):
            return module
        return transform_in_place(self, module, file)

    examples = (
        Example(
            "class T(TestCase):\n    def test(self):\n        self.assertEquals(a, 1)\n",
            "class T(TestCase):\n    def test(self):\n        self.assertEqual(a, 1)\n",
        ),
        Example(
            "from unittest import TestCase\n\n"
            "class T(TestCase):\n"
            "    def test(self):\n"
            "        self.failUnless(x)  # failIf\n"
            "        with self.assertRaisesRegexp(ValueError, 'bad'):\n"
            "            self.assert_(f())\n",
            "from unittest import TestCase\n\n"
            "class T(TestCase):\n"
            "    def test(self):\n"
            "        self.assertTrue(x)  # failIf\n"
            "        with self.assertRaisesRegex(ValueError, 'bad'):\n"
            "            self.assertTrue(f())\n",
            title="context manager and comment",
        ),
        Example(
            "class T(TestCase):\n    def test(self):\n"
            "        self.assertDictContainsSubset(a, b)\n",
            findings=1,
            title="no replacement is a finding",
        ),
        Example(
            "class Base(TestCase):\n"
            "    def assertEquals(self, a, b):\n"
            "        return compare(a, b)\n"
            "class T(Base):\n"
            "    def test(self):\n"
            "        self.assertEquals(a, 1)\n",
            title="a class of the module defines the name",
        ),
        Example(
            "import unittest\nfrom sqlalchemy.testing import fixtures\n\n"
            "class Base(unittest.TestCase):\n    pass\n\nclass T(Base):\n"
            "    def test(self):\n        self.assert_(x)\n\n"
            "class S(fixtures.TestBase):\n    def test(self):\n        self.assert_(x)\n",
            "import unittest\nfrom sqlalchemy.testing import fixtures\n\n"
            "class Base(unittest.TestCase):\n    pass\n\nclass T(Base):\n"
            "    def test(self):\n        self.assertTrue(x)\n\n"
            "class S(fixtures.TestBase):\n    def test(self):\n        self.assert_(x)\n",
            title="assert_ only on a TestCase: SQLAlchemy's TestBase has its own, no assertTrue",
        ),
        Example(
            "class T(TestCase):\n    failIf = custom_check\n    def test(self):\n"
            "        self.failIf(x)\n",
            title="class attribute of that name",
        ),
        Example("def check(self):\n    self.assertEquals(a, 1)\n", title="outside a class"),
        Example(
            "class T(TestCase):\n    def test(self):\n        other.assertEquals(a, 1)\n",
            title="not self",
        ),
        Example(
            "class T(TestCase):\n    def test(self):\n        log('self.assertEquals(a, b)')\n",
            title="string",
        ),
        Example(
            "class T(TestCase):\n    def test(self):\n        self.assertEqual(a, 1)\n",
            title="already fixed",
        ),
    )
