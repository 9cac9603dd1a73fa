"""insecure-hash: the same calls as ruff's S324 (plus file_digest), options, never a rewrite."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.registry import CodemodError, configure
from tests.helpers import apply_codemod, output_of, ruff_lines

NAME = "insecure-hash"
CALLS = (
    "import hashlib\n"
    "from hashlib import md5, new\n"
    "hashlib.md5(b'x')\n"
    "hashlib.sha1(b'x', usedforsecurity=False)\n"
    "hashlib.sha1(b'x', usedforsecurity=flag)\n"
    "new('MD5', b'x')\n"
    "hashlib.new('sha256')\n"
    "hashlib.new(name='sha1')\n"
    "md5()\n"
    "hashlib.md5(**kw)\n"
    "hashlib.new('md4')\n"
    "hashlib.sha1(usedforsecurity=True)\n"
    "hashlib.new(algorithm)\n"
)


def test_reports_what_ruff_reports_and_changes_nothing(tmp_path: Path) -> None:
    result = apply_codemod(NAME, CALLS)
    assert output_of(result) == CALLS
    lines = [f.line for f in result.findings]
    assert set(lines) == ruff_lines(tmp_path, CALLS, "S324")
    assert len(lines) == len(set(lines)) == 8


def test_messages_name_the_call_and_the_hidden_flag() -> None:
    messages = [f.message for f in apply_codemod(NAME, CALLS).findings]
    assert messages[0].startswith("hashlib.md5() without usedforsecurity=False:")
    assert messages[2].startswith("hashlib.new('md5') without")
    assert "(unless **kwargs passes it)" in messages[5]


def test_file_digest_with_a_name_or_a_constructor() -> None:
    code = (
        "import hashlib\n"
        "hashlib.file_digest(f, 'sha1')\n"
        "hashlib.file_digest(f, hashlib.md5)\n"
        "hashlib.file_digest(f, 'sha256')\n"
        "hashlib.file_digest(f, lambda: hashlib.md5(usedforsecurity=False))\n"
    )
    result = apply_codemod(NAME, code)
    assert [f.line for f in result.findings] == [2, 3]
    assert "usedforsecurity=False" in result.findings[0].message


def test_algorithms_option_narrows_and_widens_the_check() -> None:
    code = "import hashlib\nhashlib.md5()\nhashlib.sha1()\nhashlib.new('sha224')\n"
    only_sha = apply_codemod(NAME, code, {"algorithms": ["SHA1", "sha224"]})
    assert [f.line for f in only_sha.findings] == [3, 4]


@pytest.mark.parametrize("bad", [[], ["md5", "sha 1"], ["md5;rm"], "md5"])
def test_algorithms_option_is_validated(bad: object) -> None:
    with pytest.raises(CodemodError, match=r"^insecure-hash\.algorithms"):
        configure(NAME, {"algorithms": bad})


def test_other_modules_hashes_are_not_hashlib() -> None:
    code = "from Crypto.Hash import MD5\nimport mylib\nMD5.new(b'x')\nmylib.md5(b'x')\n"
    assert apply_codemod(NAME, code).findings == []
