"""license-header: every module starts with an SPDX licence identifier (and a copyright line)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import PositionProvider
from pydantic import Field, field_validator

from codemods import base
from codemods.base import Codemod, CodemodTransformer, Example, FileContext, Safety
from codemods.inplace import transform_in_place

TAG = "SPDX-License-Identifier:"
DECLARED = re.compile(r"^#\s*SPDX-License-Identifier:\s*(?P<id>.*?)\s*$", re.IGNORECASE)
PROSE = re.compile(r"\blicen[cs]e[ds]?\b|permission is hereby granted", re.IGNORECASE)
# A licence stated in a module docstring: a field, or the words of a notice (a docstring
# that only mentions licences, in a licensing tool say, is not one).
DOCSTRING_NOTICE = re.compile(
    r"^\s*:?licen[cs]e:|licensed under|permission is hereby granted|general public licen[cs]e"
    r"|SPDX-License-Identifier",
    re.IGNORECASE | re.MULTILINE,
)
COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")  # PEP 263
_TOKEN = re.compile(r"\s*(\(|\)|[A-Za-z0-9][A-Za-z0-9.+-]*(?::[A-Za-z0-9.+-]+)?)")
_OPERATORS = {"AND", "OR", "WITH"}


def check_expression(value: str) -> str:
    """``value`` if it has the form of an SPDX licence expression (`MIT`, `Apache-2.0`,
    `GPL-2.0-only WITH Classpath-exception-2.0`, `(MIT OR Apache-2.0)`), else a ValueError."""
    tokens, position = [], 0
    while position < len(value.rstrip()):
        match = _TOKEN.match(value, position)
        if match is None:
            raise _not_expression(value, value[position:].strip())
        tokens.append(match.group(1))
        position = match.end()
    depth, expect_id = 0, True
    for token in tokens:
        if expect_id and token == "(":
            depth += 1
        elif expect_id and token not in (*_OPERATORS, ")"):
            expect_id = False
        elif not expect_id and token == ")" and depth:
            depth -= 1
        elif not expect_id and token in _OPERATORS:
            expect_id = True
        else:
            raise _not_expression(value, token)
    if expect_id or depth:
        raise _not_expression(value, "the end")
    return " ".join(tokens).replace("( ", "(").replace(" )", ")")


def _not_expression(value: str, where: str) -> ValueError:
    return ValueError(f"{value!r} is not an SPDX licence expression (at {where!r})")


class Options(base.Options):
    license: str = Field(
        ...,
        description="SPDX licence expression, e.g. `MIT`, `Apache-2.0`, `GPL-3.0-or-later`, "
        "`MIT OR Apache-2.0`.",
    )
    copyright: str | None = Field(
        None,
        description="A copyright line to write above the identifier, e.g. "
        "`Copyright (c) 2026 Example Corp` (one line, without the `#`). Added only where the "
        "header has no copyright line yet: existing ones (other years, other holders) stay.",
    )

    @field_validator("license")
    @classmethod
    def _license(cls, value: str) -> str:
        return check_expression(value)

    @field_validator("copyright")
    @classmethod
    def _copyright(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip() or "\n" in value or "\r" in value:
            raise ValueError("must be one non-empty line")
        return value.strip().removeprefix("#").strip()


def _comment(line: cst.EmptyLine) -> str:
    return line.comment.value if line.comment is not None else ""


def _same(declared: str, wanted: str) -> bool:
    """SPDX identifiers match case-insensitively (SPDX spec, annex D), spacing aside."""
    return [t.lower() for t in _TOKEN.findall(declared)] == [
        t.lower() for t in _TOKEN.findall(wanted)
    ]


@dataclass(frozen=True)
class Plan:
    """What one module needs: lines to insert at ``at``, or a conflicting declaration."""

    at: int = 0
    lines: tuple[str, ...] = ()
    conflict: cst.CSTNode | None = None  # another declaration, or a notice in prose
    declared: str = ""


def plan(module: cst.Module, options: Options) -> Plan | None:
    """None when the module is fine as it is (or empty: nothing to license)."""
    header = list(module.header)
    if not module.body and not any(_comment(line) for line in [*header, *module.footer]):
        return None
    leading = [*header, *(line for s in module.body[:2] for line in s.leading_lines)]
    declared = [(line, m["id"]) for line in leading if (m := DECLARED.match(_comment(line)))]
    for line, spdx in declared:
        if not _same(spdx, options.license):
            return Plan(conflict=line, declared=spdx)
    if not declared:
        notice = next((line for line in leading if PROSE.search(_comment(line))), None)
        if notice is not None:
            return Plan(conflict=notice)
        docstring = _docstring_notice(module)
        if docstring is not None:
            return Plan(conflict=docstring)
    has_copyright = any("copyright" in _comment(line).lower() for line in leading)
    copyright_line = () if has_copyright or not options.copyright else (f"# {options.copyright}",)
    if declared:
        spdx_line = declared[0][0]
        at = header.index(spdx_line) if spdx_line in header else 0
        return Plan(at, copyright_line) if copyright_line else None
    at = _after_preamble(header)
    if has_copyright:  # an existing notice: the identifier goes right under its comment block
        while at < len(header) and _comment(header[at]):
            at += 1
    return Plan(at, (*copyright_line, f"# {TAG} {options.license}"))


def _docstring_notice(module: cst.Module) -> cst.CSTNode | None:
    """The module docstring, when it states a licence (Sphinx's and Pygments'
    ``:license: BSD, see LICENSE for details.``)."""
    text = module.get_docstring(clean=False)
    if text is None or not DOCSTRING_NOTICE.search(text):
        return None
    return cst.ensure_type(module.body[0], cst.SimpleStatementLine).body[0]


def _after_preamble(header: list[cst.EmptyLine]) -> int:
    """The first line after a shebang and an encoding cookie, which must stay first."""
    at = 1 if header and _comment(header[0]).startswith("#!") else 0
    if at < 2 and at < len(header) and COOKIE.match(_comment(header[at])):
        at += 1
    return at


class Transformer(CodemodTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)  # resolved only for a finding

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        needed = plan(tree, self.options)
        if needed is None:
            return tree
        if needed.conflict is not None:
            self.report(needed.conflict, self._conflict(needed.declared))
            return tree
        added = [cst.EmptyLine(comment=cst.Comment(text)) for text in needed.lines]
        header = list(tree.header)
        self.changed()
        return tree.with_changes(header=[*header[: needed.at], *added, *header[needed.at :]])

    def _conflict(self, declared: str) -> str:
        wanted = self.options.license
        if declared:
            return f"declares {declared}, not {wanted}: a licence is never changed automatically"
        return (
            f"a licence notice without an SPDX identifier: check that it is {wanted} "
            "(it may be a vendored file's own licence) and add the identifier by hand"
        )


class LicenseHeader(Codemod):
    name = "license-header"
    summary = "Start every module with an SPDX-License-Identifier comment (and a copyright line)"
    explanation = (
        "Licence compliance tools (REUSE, ScanCode, FOSSology) read a file's licence from an "
        "`SPDX-License-Identifier:` comment at its top; without it a copied file carries no "
        "licence. The header goes after a shebang and an encoding cookie (which must stay on "
        "the first lines) and before the docstring, which stays the module's docstring. A "
        "file that declares another licence, or carries a licence notice in its comments or "
        "docstring (often vendored code under its own licence), is reported, never changed: "
        "relicensing is a human decision. Empty files (an empty `__init__.py`) are left "
        "alone: they hold nothing to license, and editing them all is noise in review."
    )
    url = "https://reuse.software/spec/"
    version = 2
    safety = Safety.SAFE
    triggers = (b"",)  # every file: what is checked is the absence of a header
    Options = Options
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Files that already comply are answered without building a transformer."""
        if plan(module, self.options) is None:
            return module
        return transform_in_place(self, module, file)

    examples = (
        Example(
            "import os\n",
            "# SPDX-License-Identifier: MIT\nimport os\n",
            options={"license": "MIT"},
        ),
        Example(
            '#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n"""Tool."""\n',
            "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# Copyright (c) 2026 Example Corp\n"
            '# SPDX-License-Identifier: Apache-2.0\n"""Tool."""\n',
            options={"license": "Apache-2.0", "copyright": "Copyright (c) 2026 Example Corp"},
            title="after shebang and cookie, before the docstring",
        ),
        Example(
            "# Copyright 2019 Someone Else\n# All rights reserved.\n\nx = 1\n",
            "# Copyright 2019 Someone Else\n# All rights reserved.\n"
            "# SPDX-License-Identifier: MIT\n\nx = 1\n",
            options={"license": "MIT", "copyright": "Copyright (c) 2026 Example Corp"},
            title="an existing copyright notice stays",
        ),
        Example(
            "# SPDX-License-Identifier: MIT\nx = 1\n",
            "# Copyright (c) 2026 Example Corp\n# SPDX-License-Identifier: MIT\nx = 1\n",
            options={"license": "MIT", "copyright": "Copyright (c) 2026 Example Corp"},
            title="identifier present, copyright missing",
        ),
        Example(
            "# spdx-license-identifier: mit\nx = 1\n",
            options={"license": "MIT"},
            title="already there (matched case-insensitively)",
        ),
        Example(
            "# SPDX-License-Identifier: GPL-3.0-only\nx = 1\n",
            options={"license": "MIT"},
            findings=1,
            title="another licence is reported, not replaced",
        ),
        Example(
            "# Copyright 2008 Someone\n# Released under the New BSD license.\nx = 1\n",
            options={"license": "MIT"},
            findings=1,
            title="a licence notice in prose is reported",
        ),
        Example(
            '# -*- coding: utf-8 -*-\n"""\n    sphinx.directives\n\n'
            "    :copyright: Copyright 2007-2019 by the Sphinx team.\n"
            '    :license: BSD, see LICENSE for details.\n"""\n',
            options={"license": "MIT"},
            findings=1,
            title="a licence stated in the module docstring is reported (Sphinx 1.8.5)",
        ),
        Example(
            '"""Check the licence of each installed package."""\n',
            '# SPDX-License-Identifier: MIT\n"""Check the licence of each installed package."""\n',
            options={"license": "MIT"},
            title="a docstring that only mentions licences",
        ),
        Example("", options={"license": "MIT"}, title="empty file"),
        Example("\n\n", options={"license": "MIT"}, title="blank file"),
    )
