"""Just enough DER to take a structure apart and put it back with one part changed: for the tests
that send what ``cryptography``'s builders refuse to make (a duplicated OCSP extension, a name
that does not decode). Tags of one byte only, which is all X.509 and OCSP use."""

from __future__ import annotations

SEQUENCE = 0x30
SET = 0x31
OID = 0x06
OCTET_STRING = 0x04
BOOLEAN = 0x01
UTF8_STRING = 0x0C
T61_STRING = 0x14


def tlv(tag: int, content: bytes) -> bytes:
    """One DER element: its tag, its length (short or long form) and ``content``."""
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def element(der: bytes) -> tuple[int, bytes, bytes]:
    """The first element of ``der``: its tag, its content, and what follows it."""
    tag, first = der[0], der[1]
    if first < 0x80:
        start, size = 2, first
    else:
        count = first & 0x7F
        start, size = 2 + count, int.from_bytes(der[2 : 2 + count], "big")
    return tag, der[start : start + size], der[start + size :]


def items(content: bytes) -> list[tuple[int, bytes]]:
    """The elements of a constructed element's ``content``: (tag, content) each."""
    found = []
    while content:
        tag, inner, content = element(content)
        found.append((tag, inner))
    return found


def encoded(parts: list[tuple[int, bytes]]) -> bytes:
    return b"".join(tlv(tag, content) for tag, content in parts)
