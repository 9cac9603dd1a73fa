"""Reading and writing source: what the codemods did not change comes back byte for byte."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codemods.source import GENERATED_SCAN_BYTES, NotText, decode, is_generated, write_atomic

MARKER = "@" + "generated"


LATIN1 = b"# -*- coding: latin-1 -*-\n"
VIM_CP1252 = b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n"


@pytest.mark.parametrize(
    ("data", "text", "encoding", "bom"),
    [
        (b"x = 1\n", "x = 1\n", "utf-8", False),
        (b"\xef\xbb\xbfx = '\xc3\xa9'\n", "x = '\xe9'\n", "utf-8", True),
        (LATIN1 + b"x = '\xe9'\n", LATIN1.decode() + "x = '\xe9'\n", "iso-8859-1", False),
        (VIM_CP1252 + b"x = '\x80'\n", VIM_CP1252.decode() + "x = '\u20ac'\n", "cp1252", False),
        (b"x = 1\r\ny = 2\r\n", "x = 1\r\ny = 2\r\n", "utf-8", False),
        (b"x = 1\r\ny = 2\nz = 3\r", "x = 1\r\ny = 2\nz = 3\r", "utf-8", False),
        (b"", "", "utf-8", False),
    ],
    ids=["utf-8", "bom", "latin-1-cookie", "cookie-on-line-2", "crlf", "mixed-newlines", "empty"],
)
def test_decode_keeps_what_encode_needs(data: bytes, text: str, encoding: str, bom: bool) -> None:
    source = decode(data)
    assert (source.text, source.encoding, source.bom) == (text, encoding, bom)
    assert source.encode(source.text) == data


@pytest.mark.parametrize(
    ("data", "message", "line", "column"),
    [
        (b"x = 1\ny = 'caf\xe9'\n", "not valid utf-8 (byte 0xe9) and no PEP 263", 2, 9),
        (b"x = '\xe9'\n", "not valid utf-8 (byte 0xe9) and no PEP 263", 1, 6),
        (b"# coding: cp1252\nx = '\x81'\n", "not valid cp1252 (byte 0x81)", 2, 6),
        (b"# coding: klingon\nx = 1\n", "unknown encoding: klingon", 1, 1),
        (b"x = 1\0\n", "contains NUL bytes", 1, 1),
    ],
    ids=["line-2", "first-line", "wrong-cookie", "unknown-cookie", "nul"],
)
def test_undecodable_bytes_say_where(data: bytes, message: str, line: int, column: int) -> None:
    with pytest.raises(NotText) as raised:
        decode(data)
    assert str(raised.value).startswith(message)
    assert (raised.value.line, raised.value.column) == (line, column)


TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0"), max_size=60)
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(st.tuples(TEXT, NEWLINES), max_size=8), bom=st.booleans())
def test_utf8_text_round_trips_byte_for_byte(lines: list[tuple[str, str]], bom: bool) -> None:
    body = "".join(text.replace("\r", "").replace("\n", "") + nl for text, nl in lines)
    data = (codecs.BOM_UTF8 if bom else b"") + body.encode()
    source = decode(data)
    assert source.text == body
    assert source.encode(source.text) == data


@settings(max_examples=100, deadline=None)
@given(payload=st.binary(max_size=80).filter(lambda b: b"\0" not in b))
def test_latin1_with_a_cookie_round_trips_any_bytes(payload: bytes) -> None:
    data = LATIN1 + payload
    assert decode(data).encode(decode(data).text) == data


def test_generated_marker_counts_only_near_the_top() -> None:
    assert is_generated(f"# {MARKER} by protoc\nx = 1\n".encode())
    assert not is_generated(b"x = 1\n")
    late = b"#" * GENERATED_SCAN_BYTES + f"\n# {MARKER}\n".encode()
    assert not is_generated(late)


def test_write_atomic_replaces_the_content_and_keeps_the_mode(tmp_path: Path) -> None:
    script = tmp_path / "tool.py"
    script.write_bytes(b"old\r\n")
    script.chmod(0o755)
    before = script.stat().st_ino
    write_atomic(script, b"new\r\n")
    assert script.read_bytes() == b"new\r\n"
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert script.stat().st_ino != before, "replaced by a rename, not rewritten in place"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tool.py"]


def test_a_reader_holding_the_old_file_sees_old_or_new_never_half(tmp_path: Path) -> None:
    target = tmp_path / "m.py"
    target.write_bytes(b"a" * 100_000)
    with target.open("rb") as held:
        write_atomic(target, b"b" * 10)
        assert held.read() == b"a" * 100_000
    assert target.read_bytes() == b"b" * 10


def test_a_failed_write_leaves_the_file_and_no_temporary(tmp_path: Path) -> None:
    occupied = tmp_path / "pkg.py"
    occupied.mkdir()  # os.replace cannot put a file where a folder is
    (occupied / "inside").write_text("keep")
    with pytest.raises(OSError):
        write_atomic(occupied, b"x = 1\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg.py"]
    assert (occupied / "inside").read_text() == "keep"


def test_write_atomic_keeps_unusual_modes(tmp_path: Path) -> None:
    target = tmp_path / "m.py"
    target.write_bytes(b"x\n")
    os.chmod(target, 0o640)
    write_atomic(target, b"y\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
