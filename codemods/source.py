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
    """The bytes are not text in the encoding the file declares."""


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
    except SyntaxError as exc:
        raise NotText(str(exc)) from exc
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        return Source(body.decode(codec), codec, bom)
    except (UnicodeDecodeError, LookupError) as exc:
        raise NotText(f"not valid {codec}: {exc}") from exc


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
