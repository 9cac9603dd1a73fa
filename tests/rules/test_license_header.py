"""license-header beyond its examples: layouts of a file's first lines, options, the engine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from codemods import engine
from codemods.files import discover
from codemods.registry import CodemodError, configure
from codemods.results import Status
from tests.helpers import apply_codemod, output_of

MIT = {"license": "MIT"}
SPDX = "# SPDX-License-Identifier: MIT\n"


def header(code: str, options: dict[str, str] = MIT) -> str:
    once = output_of(apply_codemod("license-header", code, options))
    assert output_of(apply_codemod("license-header", once, options)) == once
    return once


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("#!/usr/bin/env python3\n", f"#!/usr/bin/env python3\n{SPDX}"),
        ("# coding: latin-1\nx = 1\n", f"# coding: latin-1\n{SPDX}x = 1\n"),
        (
            "#!/bin/sh\n# vim: set fileencoding=utf-8 :\n\nx = 1\n",
            f"#!/bin/sh\n# vim: set fileencoding=utf-8 :\n{SPDX}\nx = 1\n",
        ),
        (
            "#!/bin/sh\n# hello\n# coding: utf-8\n",  # a cookie on line 3 is just a comment
            f"#!/bin/sh\n{SPDX}# hello\n# coding: utf-8\n",
        ),
        ("# just a note\n", f"{SPDX}# just a note\n"),
        ("\n\nimport os\n", f"{SPDX}\n\nimport os\n"),
        ("x = 1\r\ny = 2\r\n", "# SPDX-License-Identifier: MIT\r\nx = 1\r\ny = 2\r\n"),
    ],
)
def test_where_the_header_goes(before: str, after: str) -> None:
    assert header(before) == after


def test_docstring_stays_the_docstring() -> None:
    code = '"""The module."""\n\nimport os\n'
    after = header(code, {"license": "Apache-2.0", "copyright": "Copyright 2026 Example"})
    assert after.startswith("# Copyright 2026 Example\n# SPDX-License-Identifier: Apache-2.0\n")
    assert ast.get_docstring(ast.parse(after)) == "The module."


def test_identifier_after_the_docstring_counts() -> None:
    code = '"""Doc."""\n# SPDX-License-Identifier: GPL-2.0-or-later\nx = 1\n'
    result = apply_codemod("license-header", code, MIT)
    assert output_of(result) == code
    assert [(f.line, f.column) for f in result.findings] == [(2, 1)]
    assert "declares GPL-2.0-or-later, not MIT" in result.findings[0].message


def test_expression_spacing_and_case_do_not_matter() -> None:
    code = "# SPDX-License-Identifier: ( mit or apache-2.0 )\n"
    assert header(code, {"license": "(MIT OR Apache-2.0)"}) == code


def test_prose_notice_is_reported_where_it_is() -> None:
    code = "# Copyright 2010 A. Author\n#\n# Licensed under the Apache License 2.0\nx = 1\n"
    result = apply_codemod("license-header", code, MIT)
    assert result.status is Status.FINDINGS
    assert result.findings[0].line == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"license": "MIT/Apache"}, "not an SPDX licence expression"),
        ({"license": "MIT OR"}, "not an SPDX licence expression"),
        ({"license": "MIT", "copyright": "a\nb"}, "one non-empty line"),
        ({"license": "MIT", "copyright": "  "}, "one non-empty line"),
        ({"copyright": "Copyright 2026 X"}, "license"),
    ],
)
def test_options_are_validated(options: dict[str, str], message: str) -> None:
    with pytest.raises(CodemodError, match=message):
        configure("license-header", options)


def test_copyright_hash_is_not_doubled() -> None:
    codemod = configure("license-header", {"license": "MIT", "copyright": "# Copyright X"})
    assert codemod.options.copyright == "Copyright X"


def test_every_file_is_looked_at_and_written_once(tmp_path: Path) -> None:
    files = {
        "a.py": "x = 1\n",
        "empty/__init__.py": "",
        "done.py": SPDX + "y = 2\n",
        "bom.py": "\ufeffz = 3\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(text.encode("utf-8"))
    config = engine.EngineConfig([configure("license-header", MIT)], jobs=1)

    def apply() -> engine.Run:
        run = engine.run(discover([tmp_path], ["*.py"], [], base=tmp_path), config)
        assert not engine.write(run.results, lambda rel: tmp_path / rel)
        return run

    first = apply()
    assert first.summary.parsed == len(files)  # the empty trigger b"" matches every file
    changed = sorted(Path(r.path).name for r in first.results if r.status is Status.CHANGED)
    assert changed == ["a.py", "bom.py"]
    assert (tmp_path / "bom.py").read_bytes() == b"\xef\xbb\xbf" + SPDX.encode() + b"z = 3\n"
    assert (tmp_path / "empty/__init__.py").read_bytes() == b""
    assert not [r for r in apply().results if r.status is Status.CHANGED]
