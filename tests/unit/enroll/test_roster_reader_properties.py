"""Properties of the roster file reader (EN-07, X-05): whatever bytes a union sends, the reader
answers a roster or the service's own refusal (``RosterRefused``, naming a line), never another
exception; and a file's line endings (CRLF, LF, or CR alone as old Mac Excel writes them) never
change what is read, nor which line a refusal names."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.enroll.domain.refusals import RosterRefused
from services.enroll.domain.roster import Restrictions
from services.enroll.usecases import roster_encoding, roster_files

TODAY = date(2026, 4, 1)
INSURER = "06123456"
ENDINGS = ("\r\n", "\n", "\r")
HEADERS = (
    ["記号", "番号", "氏名カナ", "生年月日", "続柄"],
    ["保険者番号", "記号", "番号", "氏名カナ", "生年月日", "続柄"],
    ["symbol", "number", "name_kana", "birth_date", "relationship", "備考"],
)
PLAIN = {
    "記号": st.sampled_from(["1234", "71-1234", "７１－１２３４", "ア-12"]),
    "symbol": st.sampled_from(["1234", "71-1234"]),
    "番号": st.sampled_from(["2345678", "12345678", "１２３"]),
    "number": st.sampled_from(["2345678", "12345678"]),
    "氏名カナ": st.sampled_from(["ケンコムタロウ", "ｹﾝｺﾑ ﾊﾅｺ", "ケンコム　ジロウ"]),
    "name_kana": st.sampled_from(["ケンコムタロウ"]),
    "生年月日": st.sampled_from(["1980-05-17", "1982/1/2", "19900303"]),
    "birth_date": st.sampled_from(["1980-05-17"]),
    "続柄": st.sampled_from(["本人", "家族", "1", "2"]),
    "relationship": st.sampled_from(["insured", "dependant"]),
    "保険者番号": st.just(INSURER),
    "備考": st.sampled_from(["", "メモ"]),
}
"""Values the domain accepts, per column."""
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
QUOTED = st.text(alphabet=st.sampled_from('ab,"\r\n ア'), max_size=8).map(
    lambda t: '"' + t.replace('"', '""') + '"'
)


def read(raw: bytes, encoding: str, block: int = roster_files.BLOCK) -> roster_files.Spooled:
    """The reader as the import uses it: the file on disk, its encoding probed, spooled; read
    in blocks of ``block`` bytes (small ones cut lines, characters and CRLFs in two)."""
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(roster_files, "BLOCK", block):
        path = Path(tmp) / "roster.csv"
        path.write_bytes(raw)
        chosen, _ = roster_encoding.probe(path, encoding)
        parts = Path(tmp) / "parts"
        parts.mkdir()
        spool = roster_files.Spool(INSURER, TODAY, 8, 12345, parts)
        return roster_files.spool_file(path, chosen, spool, Restrictions())


def outcome(raw: bytes, encoding: str, block: int) -> roster_files.Spooled | RosterRefused:
    """The roster read, or the service's refusal; any other exception fails the test."""
    try:
        return read(raw, encoding, block)
    except RosterRefused as refused:
        return refused


@st.composite
def roster_text(draw: st.DrawFn, valid: bool, least: int = 0) -> tuple[list[str], list[list[str]]]:
    """A header and rows: every field valid, or any mix of valid values, any text and quotes."""
    header = draw(st.sampled_from(HEADERS))
    rows = []
    for _ in range(draw(st.integers(least, 6))):
        fields = [draw(PLAIN[name]) for name in header]
        if not valid:
            width = draw(st.integers(0, len(header) + 1))
            fields = [draw(st.one_of(st.just(f), ANY_TEXT, QUOTED)) for f in fields[:width]]
        rows.append(fields)
    return header, rows


def joined(header: list[str], rows: list[list[str]], ending: str, last: bool) -> str:
    text = ending.join(",".join(fields) for fields in [header, *rows])
    return text + ending if last else text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=roster_text(valid=False),
    ending=st.sampled_from(ENDINGS),
    mixed=st.booleans(),
    encoding=st.sampled_from(["cp932", "utf-8", "utf-8-sig"]),
    told=st.sampled_from(["auto", "cp932", "utf-8"]),
    noise=st.binary(max_size=16),
    at=st.floats(0, 1),
    block=st.sampled_from([5, 64, roster_files.BLOCK]),
)
@example(
    text=(list(HEADERS[0]), [["1234", "2345678", "ケンコムタロウ", "1980-05-17", "本人"]]),
    ending="\r",
    mixed=False,
    encoding="cp932",
    told="auto",
    noise=b"",
    at=0.0,
    block=roster_files.BLOCK,
)
def test_x_05_en_07_any_bytes_are_read_or_refused_by_the_service_never_raised_otherwise(
    text: tuple[list[str], list[list[str]]],
    ending: str,
    mixed: bool,
    encoding: str,
    told: str,
    noise: bytes,
    at: float,
    block: int,
) -> None:
    header, rows = text
    body = joined(header, rows, ending, last=True)
    if mixed:  # endings of every kind in one file
        body = body.replace(ending, "\r\n", 1).replace(ending, "\r", 1)
    raw = body.encode(encoding, errors="replace")
    cut = int(len(raw) * at)
    raw = raw[:cut] + noise + raw[cut:]
    lines = raw.count(b"\n") + raw.count(b"\r") + 1  # at most
    answer = outcome(raw, told, block)
    if isinstance(answer, RosterRefused):
        assert 1 <= answer.line <= lines and answer.detail, "names its line and says why"
    else:
        assert 0 <= answer.rows < lines, "a roster of the file's lines, the header not one"


@settings(max_examples=150, deadline=None)
@given(
    text=roster_text(valid=True),
    ending=st.sampled_from(ENDINGS),
    last=st.booleans(),
    encoding=st.sampled_from(["cp932", "utf-8", "utf-8-sig"]),
    block=st.integers(1, 80),
)
def test_en_07_line_endings_never_change_what_is_read(
    text: tuple[list[str], list[list[str]]], ending: str, last: bool, encoding: str, block: int
) -> None:
    header, rows = text
    crlf = read(joined(header, rows, "\r\n", True).encode(encoding), "auto")
    other = read(joined(header, rows, ending, last).encode(encoding), "auto", block)
    assert (other.rows, other.digest) == (crlf.rows, crlf.digest) == (len(rows), crlf.digest)


@settings(max_examples=100, deadline=None)
@given(
    text=roster_text(valid=True, least=1),
    bad=st.integers(0, 6),
    ending=st.sampled_from(ENDINGS),
    encoding=st.sampled_from(["cp932", "utf-8"]),
    undecodable=st.booleans(),
    block=st.integers(1, 80),
)
def test_en_07_a_refusal_names_the_same_line_whatever_the_line_endings(
    text: tuple[list[str], list[list[str]]],
    bad: int,
    ending: str,
    encoding: str,
    undecodable: bool,
    block: int,
) -> None:
    """A bad field, or bytes the file's encoding cannot read (0x81 before a comma or a line
    end is neither cp932 nor UTF-8), refused on its line whatever the endings."""
    header, rows = text
    at = min(bad, len(rows))
    rows.insert(at, ["\udc81" if undecodable else "x"] * len(header))  # 番号 never takes "x"
    lines = []
    for each in ("\r\n", ending):
        raw = joined(header, rows, each, True).encode(encoding, errors="surrogateescape")
        with pytest.raises(RosterRefused) as refused:
            read(raw, encoding, block)
        lines.append(refused.value.line)
    assert lines == [at + 2, at + 2], "the header is line 1"
