"""logging-warn: which objects count as loggers, imports, and agreement with ruff's G010."""

from __future__ import annotations

import warnings
from pathlib import Path

import libcst
import pytest

from codemods.inplace import spells
from tests.helpers import apply_codemod, output_of, ruff_fix

NAME = "logging-warn"


def test_agrees_with_ruff_where_ruff_knows_the_logger(tmp_path: Path) -> None:
    code = (
        "import logging\n"
        "logger = logging.getLogger(__name__)\n"
        "log = logging.getLogger('x')\n\n\n"
        "def f():\n"
        "    logger.warn('a %s', 1)\n"
        "    logging.warn('b')\n"
        "    logging.getLogger().warn('c')\n"
        "    log.warn('d', exc_info=True)\n"
    )
    result = apply_codemod(NAME, code)
    assert output_of(result) == ruff_fix(tmp_path, code, "G010", (3, 9))
    assert result.counts == {NAME: 4}


def test_imported_function_keeps_the_module_importable() -> None:
    code = "from logging import warn\nwarn('e')\n"
    new = output_of(apply_codemod(NAME, code))
    assert new == "from logging import warning\nwarning('e')\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(new, "mod.py", "exec"), {})


def test_import_kept_while_still_used_elsewhere() -> None:
    code = "from logging import warn\nwarn('x')\nhandlers = [warn]\n"
    new = output_of(apply_codemod(NAME, code))
    assert new == "from logging import warn, warning\nwarning('x')\nhandlers = [warn]\n"


def test_name_warning_taken_is_a_finding() -> None:
    code = "from logging import warn\nfrom .ui import warning\nwarn('x')\n"
    result = apply_codemod(NAME, code)
    assert output_of(result) == code
    assert len(result.findings) == 1


@pytest.mark.parametrize(
    "binding",
    [
        "log: logging.Logger = make()",
        "log = logging.LoggerAdapter(logging.getLogger(), {})",
        "log = logging.Logger('x')",
    ],
)
def test_annotated_and_constructed_loggers(binding: str) -> None:
    code = f"import logging\n{binding}\nlog.warn('x')\n"
    assert output_of(apply_codemod(NAME, code)).endswith("log.warning('x')\n")


def test_logger_classes_and_root_through_the_module() -> None:
    code = "import logging\nlogging.root.warn('a')\nlogging.LoggerAdapter.warn(adapter, 'b')\n"
    new = output_of(apply_codemod(NAME, code))
    assert new == code.replace(".warn(", ".warning(")


@pytest.mark.parametrize(
    "code",
    [
        "import logging\n\nclass C:\n    def f(self):\n        self.logger.warn('x')\n",
        "import logging\nfrom distutils import log\nlog.warn('x')\n",
        "import logging\n\ndef f(log):\n    log.warn('x')\n",
        "import logging\nlog = make_logger()\nlog.warn('x')\n",
        "import logging\nfor log in loggers:\n    log.warn('x')\n",
        "import logging\nwith logging.getLogger() as log:\n    log.warn('x')\n",
        "import logging, warnings\nwarnings.warn('logger.warn(x)')\n",
    ],
    ids=["attribute", "distutils-log", "parameter", "factory", "loop", "with", "warnings"],
)
def test_objects_not_known_to_be_loggers_are_untouched(code: str) -> None:
    result = apply_codemod(NAME, code)
    assert output_of(result) == code
    assert result.findings == []


def test_files_that_write_no_warn_are_answered_without_scope_analysis() -> None:
    """`spells` sees names and attributes, not strings or comments."""
    written = libcst.parse_module("import logging\nlog.warn('x')\n")
    mentioned = libcst.parse_module("import logging\nlogging.info('warn')  # warn\n")
    assert spells(written, ("warn",))
    assert not spells(mentioned, ("warn",))
