"""Reading and writing Python source without changing what the codemods did not change.

Text is decoded with the file's own encoding (BOM or PEP 263 cookie) and without newline
translation, so that the text the codemods see re-encodes to the same bytes; writes are
atomic and keep the file's mode.
"""

from __future__ import annotations

import codecs
import io
import os
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path

GENERATED_MARKER = b"@" + b"generated"  # spelled apart so this file is not itself "generated"
GENERATED_SCAN_BYTES = 2048


class NotText(ValueError):
    """The bytes are not text in the encoding the file declares; ``line``/``column`` say where."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Source:
    text: str
    encoding: str
    bom: bool

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data


def decode(data: bytes) -> Source:
    """Decode ``data`` as Python source, or raise NotText."""
    if b"\0" in data:
        raise NotText("contains NUL bytes")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # an unknown cookie, or a first line that is not UTF-8
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise _undecodable(data, "utf-8", bad) from exc
        raise NotText(str(exc)) from exc
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        return Source(body.decode(codec), codec, bom)
    except UnicodeDecodeError as exc:
        raise _undecodable(body, codec, exc) from exc
    except LookupError as exc:
        raise NotText(f"unknown encoding {codec!r}") from exc


def _undecodable(body: bytes, codec: str, exc: UnicodeDecodeError) -> NotText:
    """Where decoding failed, as Python reports it: 1-based line and column."""
    line_start = body.rfind(b"\n", 0, exc.start) + 1
    line = body.count(b"\n", 0, exc.start) + 1
    hint = " and no PEP 263 coding comment declares another encoding" * (codec == "utf-8")
    message = f"not valid {codec} (byte 0x{body[exc.start]:02x}){hint}"
    return NotText(message, line, exc.start - line_start + 1)


def is_generated(data: bytes) -> bool:
    """Files that say they are generated are regenerated, not edited by hand or by us."""
    return GENERATED_MARKER in data[:GENERATED_SCAN_BYTES]


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename, keeping its permission bits."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".fleetmod")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
