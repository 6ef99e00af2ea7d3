"""Reading roster files (EN-07): both ways of reading a line agree, bad lines are named by
their line and field, cp932 and UTF-8 (with or without a BOM) alike."""

from __future__ import annotations

import csv
import zlib
from datetime import date
from pathlib import Path

import pytest
from roster_maker import write_roster

from services.enroll.domain import roster
from services.enroll.domain.refusals import RosterRefused
from services.enroll.domain.roster import Restrictions, RosterPerson
from services.enroll.usecases import roster_encoding, roster_files

TODAY = date(2026, 4, 1)
INSURER = "06123456"


def spooled(
    path: Path, tmp: Path, encoding: str = "auto"
) -> tuple[roster_files.Spooled, list[str]]:
    chosen, _ = roster_encoding.probe(path, encoding)
    parts = tmp / "parts"
    parts.mkdir(exist_ok=True)
    spool = roster_files.Spool(INSURER, TODAY, 8, 12345, parts)
    done = roster_files.spool_file(path, chosen, spool, Restrictions())
    lines = [
        line
        for p in done.partitions
        for _, text in roster_files.partition_buckets(p)
        for line in zlib.decompress(text).decode().split("\n")
    ]
    return done, lines


def careful(path: Path, encoding: str) -> list[str]:
    """Every line the slow way: csv and the domain's rules."""

    with path.open(encoding=encoding, newline="") as f:
        rows = list(csv.reader(f))
    columns = roster.header(rows[0])
    return [
        roster.row(r, columns, i, INSURER, TODAY).packed()
        for i, r in enumerate(rows[1:], start=2)
        if r
    ]


@pytest.mark.parametrize("encoding", ["cp932", "utf-8", "utf-8-sig"])
def test_en_07_the_fast_and_the_careful_way_read_every_line_alike(
    tmp_path: Path, encoding: str
) -> None:
    path = write_roster(tmp_path / "r.csv", INSURER, 500, encoding)
    done, lines = spooled(path, tmp_path)
    assert done.rows == 500
    assert sorted(lines) == sorted(careful(path, encoding))
    again, _ = spooled(path, tmp_path)
    assert again.digest == done.digest, "the same file, the same roster"


def test_en_07_unusual_lines_go_the_careful_way_and_still_count(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "記号,番号,氏名カナ,生年月日,続柄,備考\r\n"
        '"71-1234","12345678","ケンコム タロウ",1980/05/17,本人,"複数\r\n行の備考"\r\n'
        "\r\n"
        "７１－１２３５,２３４５６７８,ｹﾝｺﾑ ﾊﾅｺ,1982-1-2,家族,\r\n"
        "1236, 1111111 ,ケンコムジロウ,19900303,Insured,x",
        encoding="cp932",
    )
    done, lines = spooled(path, tmp_path)
    assert done.rows == 3
    assert sorted(lines) == sorted(
        [
            RosterPerson.unpacked("1234\t2345678\tケンコムタロウ\t19800517\t1").packed(),
            "1235\t2345678\tケンコムハナコ\t19820102\t2",
            "1236\t1111111\tケンコムジロウ\t19900303\t1",
        ]
    )


@pytest.mark.parametrize(
    ("line", "value", "field"),
    [
        (2, (3, "健康太郎"), "name_kana"),
        (41, (4, "1980/02/30"), "birth_date"),
        (777, (5, "親戚"), "relationship"),
        (1000, (0, "06999999"), "insurer_number"),
        (12, (2, "12-34"), "number"),
    ],
)
def test_en_07_a_bad_line_is_refused_with_its_number_and_field(
    tmp_path: Path, line: int, value: tuple[int, str], field: str
) -> None:
    path = write_roster(tmp_path / "r.csv", INSURER, 2000, bad={line: value})
    with pytest.raises(RosterRefused) as refused:
        spooled(path, tmp_path)
    assert (refused.value.line, refused.value.field) == (line, field)
    assert f"{line}行目" in (refused.value.detail or "")


def test_en_07_bytes_the_encoding_cannot_read_are_refused_with_their_line(tmp_path: Path) -> None:
    path = write_roster(tmp_path / "r.csv", INSURER, 50, "utf-8")
    raw = path.read_bytes().split(b"\r\n")
    raw[30] = raw[30] + "ケンコム".encode("cp932")
    path.write_bytes(b"\r\n".join(raw))
    with pytest.raises(RosterRefused) as refused:
        spooled(path, tmp_path, "utf-8")
    assert refused.value.line == 31


def test_en_07_a_file_without_a_header_or_a_column_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("\r\n\r\n", encoding="utf-8")
    with pytest.raises(RosterRefused):
        spooled(empty, tmp_path)
    no_name = tmp_path / "no-name.csv"
    no_name.write_text("記号,番号,生年月日,続柄\r\n1,2,1980-01-01,本人\r\n", encoding="utf-8")
    with pytest.raises(RosterRefused) as refused:
        spooled(no_name, tmp_path)
    assert (refused.value.line, refused.value.field) == (1, "name_kana")


def test_en_07_detects_cp932_and_utf_8(tmp_path: Path) -> None:
    for encoding, found in (("cp932", "cp932"), ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig")):
        path = write_roster(tmp_path / f"{encoding}.csv", INSURER, 10, encoding)
        assert roster_encoding.detect(path) == found


@pytest.mark.parametrize("ending", ["\r\n", "\n", "\r"])
def test_x_05_en_07_a_line_csv_cannot_read_is_refused_with_its_line_header_or_not(
    tmp_path: Path, ending: str
) -> None:
    """A field past csv's limit (128 KiB) is the service's refusal naming the line, in the
    header as in the data, whatever the line endings; never csv's own error."""
    huge = "ア" * 200_000
    header = "記号,番号,氏名カナ,生年月日,続柄"
    line = "1234,2345678,ケンコムタロウ,1980-05-17,本人"
    for text, at in ((f"{huge},{header}", 1), (f"{header}{ending}{line},{huge}", 2)):
        path = tmp_path / "r.csv"
        path.write_text(text + ending, encoding="utf-8")
        with pytest.raises(RosterRefused) as refused:
            spooled(path, tmp_path)
        assert refused.value.line == at and f"{at}行目" in (refused.value.detail or "")


def test_en_07_blank_lines_before_the_header_are_counted_once_whatever_the_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the reader's properties: a header cut by a block boundary made the blank lines
    before it count twice, and a refusal named a line past the end of the file."""
    path = tmp_path / "r.csv"
    path.write_text("\r\n\r\n記号,番号,氏名カナ,生年月日,続柄\r\n1234\r\n", encoding="utf-8")
    monkeypatch.setattr(roster_files, "BLOCK", 5)
    with pytest.raises(RosterRefused) as refused:
        spooled(path, tmp_path)
    assert refused.value.line == 4


def test_en_07_every_bad_line_is_named_up_to_the_bound_and_the_reading_is_tracked(
    tmp_path: Path,
) -> None:
    """The reading goes on past a bad line: the first is the refusal's, every kept one is
    listed (at most ``MAX_REFUSED_LINES``, X-14), all are counted; the tracker saw every byte
    and line."""
    bad = {n: (3, "ケンコム太郎") for n in range(3, 3 + roster_files.MAX_REFUSED_LINES + 5)}
    bad[2_500] = (5, "親")
    path = write_roster(tmp_path / "bad.csv", INSURER, 3_000, bad=bad)
    spool = roster_files.Spool(INSURER, TODAY, 8, 1, tmp_path)
    with pytest.raises(RosterRefused) as refused:
        roster_files.spool_file(path, "cp932", spool, Restrictions())
    found = refused.value
    assert (found.line, found.field) == (3, "name_kana")
    listed = found.extensions["refused_lines"]
    assert len(listed) == roster_files.MAX_REFUSED_LINES
    assert found.extensions["refused_count"] == roster_files.MAX_REFUSED_LINES + 6
    assert found.extensions["lines_read"] == 3_000
    assert spool.tracker.bytes_read == path.stat().st_size and spool.tracker.lines == 3_000


def test_en_07_a_file_that_cannot_be_read_on_keeps_the_bad_lines_before_it(
    tmp_path: Path,
) -> None:
    """(in an earlier block: a block is decoded whole before its lines are read)"""
    path = write_roster(tmp_path / "r.csv", INSURER, 40_000, "utf-8", bad={10: (5, "親")})
    assert path.stat().st_size > roster_files.BLOCK
    with path.open("ab") as f:
        f.write(b"\xff\xfe\r\n")
    with pytest.raises(RosterRefused) as refused:
        roster_files.spool_file(
            path, "utf-8", roster_files.Spool(INSURER, TODAY, 8, 1, tmp_path), Restrictions()
        )
    assert [r["line"] for r in refused.value.extensions["refused_lines"]] == [10, 40_002]
