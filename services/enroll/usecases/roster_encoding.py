"""A roster file's encoding (EN-07): which one, and the line a wrong one first fails on.

A union sends ``cp932`` (Excel in Japan) or UTF-8. Each line ends in CRLF, LF or a lone CR, and
the decoder reads every kind as LF, so every later step, and every line number a refusal names,
sees only one kind (``roster_files`` reads the lines).
"""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path

BLOCK = 1 << 20
_AFTER_CR_OR_LF = re.compile(rb"(?<=[\r\n])")


def detect(path: Path, sample_bytes: int = 1 << 20) -> str:
    """``utf-8`` when the file starts with a BOM or its first MiB is valid UTF-8, else
    ``cp932``: a Japanese cp932 file is almost never valid UTF-8."""
    with path.open("rb") as f:
        head = f.read(sample_bytes)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp932"
    return "utf-8"


def probe(path: Path, encoding: str) -> tuple[str, int]:
    """The file's encoding (``auto``: detected) and its size in bytes."""
    return (detect(path) if encoding == "auto" else encoding), path.stat().st_size


def universal(encoding: str) -> io.IncrementalNewlineDecoder:
    """A decoder that ends a line at CRLF, LF or a lone CR (old Mac Excel's CSV), each read as
    LF: every later step sees one kind of line end, and a CRLF cut between two blocks is still
    one line end (the decoder keeps a block's last CR until it sees what follows)."""
    return io.IncrementalNewlineDecoder(
        codecs.getincrementaldecoder(encoding)(errors="strict"), translate=True
    )


def undecodable_line(path: Path, encoding: str) -> int:
    """The first line the encoding cannot read (only on the error path: a second reading,
    block by block, counting line ends as the reader does: CRLF, LF, or a lone CR).

    The bytes are decoded a line at a time to find the line; neither cp932 nor UTF-8 has a CR
    or LF byte inside a character, so cutting the bytes there cuts no character in two.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line, after_cr = 1, False
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            for piece in _AFTER_CR_OR_LF.split(block):
                if not piece:
                    continue
                try:
                    decoder.decode(piece)
                except UnicodeDecodeError:
                    return line
                crlf_end = piece == b"\n" and after_cr  # the LF of a CRLF: one line end
                line += piece.endswith((b"\r", b"\n")) and not crlf_end
                after_cr = piece.endswith(b"\r")
    try:
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return line
    return 1
