"""mock-to-unittest-mock on whole test modules, and against ruff's UP026."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import apply_codemod, output_of, ruff_fix

NAME = "mock-to-unittest-mock"

MODULE = """import os, mock
import mock as m
import mock.mock
from mock import MagicMock, patch
from mock import mock as mm, sentinel
from mock import (
    ANY,
    call,
)
from mock.mock import create_autospec


@mock.patch("os.getcwd")
def test_cwd(getcwd):
    getcwd.return_value = sentinel.cwd
    assert os.getcwd() is sentinel.cwd
    assert mock.mock.ANY == m.mock.ANY == ANY == mm.ANY


def test_call():
    fake = MagicMock()
    fake(1)
    fake.assert_has_calls([call(1)])
    with patch.object(os, "sep", "|"):
        assert os.sep == "|"
    assert create_autospec(len)
"""


def test_agrees_with_ruff_where_ruff_fixes(tmp_path: Path) -> None:
    result = apply_codemod(NAME, MODULE)
    expected = ruff_fix(tmp_path, MODULE, "UP026", (3, 10))
    # ruff leaves `from mock.mock import` and `m.mock.ANY` (an alias) as they were: the first
    # still needs the backport, the second fails, unittest.mock has no `mock` attribute
    expected = expected.replace("from mock.mock import", "from unittest.mock import")
    expected = expected.replace("m.mock.ANY", "m.ANY")
    assert output_of(result) == expected
    assert result.counts == {NAME: 9}


def test_rewritten_module_runs_without_the_backport(tmp_path: Path) -> None:
    (tmp_path / "test_mod.py").write_text(output_of(apply_codemod(NAME, MODULE)))
    blocker = tmp_path / "mock.py"
    blocker.write_text("raise ImportError('the mock backport must not be used')\n")
    code = "import test_mod; test_mod.test_cwd(); test_mod.test_call()"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "try:\n    import mock\nexcept ImportError:\n    from unittest import mock\n",
            "from unittest import mock\n",
        ),
        (
            "# mocking\ntry:\n    from unittest.mock import patch\n"
            "except (ImportError, ModuleNotFoundError):\n    from mock import patch\n",
            "# mocking\nfrom unittest.mock import patch\n",
        ),
        (
            "try:\n    import mock  # backport\nexcept ImportError:  # py3\n"
            "    from unittest import mock  # stdlib\n",
            "from unittest import mock  # stdlib\n",
        ),
        (
            "try:\n    from unittest import mock\nexcept ImportError:  # py2\n    import mock\n",
            "from unittest import mock\n",
        ),
        (
            "try: import mock\nexcept ImportError: from unittest import mock\nx = 1\n",
            "from unittest import mock\nx = 1\n",
        ),
    ],
    ids=[
        "backport-first",
        "stdlib-first",
        "the stdlib branch keeps its comments, the backport's go",
        "comment on the backport's handler",
        "one-line branches",
    ],
)
def test_fallback_import_collapses(before: str, after: str) -> None:
    assert output_of(apply_codemod(NAME, before)) == after


@pytest.mark.parametrize(
    "code",
    [
        "try:\n    import mock\nexcept ImportError:\n    mock = None\n",
        "try:  # noqa\n    import mock\nexcept ImportError:\n    from unittest import mock\n",
        "try:\n    import mock\nexcept Exception:\n    from unittest import mock\n",
    ],
    ids=["other-fallback", "comment on try", "broad-except"],
)
def test_other_try_blocks_keep_their_shape(code: str) -> None:
    new = output_of(apply_codemod(NAME, code))
    assert new.startswith("try:")
    assert "import mock\n" not in new.replace("from unittest import mock", "")


@pytest.mark.parametrize(
    ("code", "target"),
    [
        ("from mock import AsyncMock\n", (3, 7)),
        ("import mock\nmock.seal(m)\n", (3, 6)),
        ("import mock\nx = mock.ThreadingMock()\n", (3, 12)),
        ("import mock\nmock.FakeServer()\n", (3, 13)),
        ("from mock.mock import version_info\n", (3, 13)),
    ],
    ids=["asyncmock", "seal", "threadingmock", "own-package", "backport-only"],
)
def test_missing_in_unittest_mock_is_reported_and_kept(code: str, target: tuple[int, int]) -> None:
    result = apply_codemod(NAME, code, target=target)
    assert result.new_text is None
    [finding] = result.findings
    assert "unittest.mock has no" in finding.message


def test_names_added_later_are_fine_on_newer_targets() -> None:
    code = "from mock import AsyncMock\n"
    assert output_of(apply_codemod(NAME, code, target=(3, 8))) == (
        "from unittest.mock import AsyncMock\n"
    )


def test_a_local_called_mock_is_not_the_module() -> None:
    code = "from unittest.mock import Mock\nmock = Mock()\nmock.mock.anything()\n"
    assert apply_codemod(NAME, code).new_text is None


def test_mixed_import_beside_another_statement_is_a_finding() -> None:
    result = apply_codemod(NAME, "import os, mock; x = 1\n")
    assert result.new_text is None
    assert len(result.findings) == 1
