"""Reading a roster in constant memory (EN-07): its encoding, its lines, and the spool.

A union sends CSV in ``cp932`` (Excel in Japan) or UTF-8, with a header line; its lines end in
CRLF, LF or a lone CR (what Excel for Mac wrote until 2016), read alike: the decoder turns each
into LF, so every later step, and every line number a refusal names, sees one kind. The file is
read once, in blocks: each line is checked and normalised, hashed into the roster's digest and
appended to the *partition* file of its bucket on disk. A bad line is noted with its line number,
field and reason, and the reading goes on, so that the union is told every bad line at once (up
to :data:`MAX_REFUSED_LINES`; the rest are counted); then the file is refused, naming the first.
What cannot be read on (a header, bytes of another encoding, CSV that does not parse) refuses it
at once. Then each partition, a few thousand lines, is grouped into its buckets' documents.
Memory holds one block or one partition, whatever the file's size. A :class:`Tracker` follows
the reading and the writing, for the console's progress bar.

Most lines are plain (no quotes, the usual forms), and one regular expression built from the
header checks and splits a whole block of them in C; a line it does not match (a quoted field,
a full-width digit, an error) goes the careful way: ``csv`` and the domain's rules, which name
what is wrong. Both ways write the same line (``tests/unit/enroll`` holds them to it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from servicekit.logs import get_logger
from services.enroll.domain import roster
from services.enroll.domain.card import NAME_MAX
from services.enroll.domain.refusals import RosterRefused
from services.enroll.domain.roster import RELATIONSHIP_CODES, RELATIONSHIPS, Restrictions
from services.enroll.usecases.roster_encoding import (
    BLOCK,
    undecodable_line,
    universal,
)

log = get_logger(__name__)

PROGRESS_EVERY = 100_000
MAX_REFUSED_LINES = 1000
"""Bad lines kept with their reasons (a file of bad lines costs no more than this, X-14)."""
BUCKETS_PER_PARTITION = 64
MAX_PARTITIONS = 512

_FAST = {
    "insurer_number": r"(?P<insurer>[0-9]{6}|[0-9]{8})",
    "symbol": r"(?:[0-9A-Za-z-]*-)?(?P<symbol>[0-9A-Za-z]{1,20})",
    "number": r"(?P<number>[0-9]{1,20})",
    "name_kana": r"(?P<name>[\u30a1-\u30fa\u30fc][\u30a1-\u30fa\u30fc \u3000]*)",
    "birth_date": r"(?P<y>[0-9]{4})[-/]?(?P<m>[0-9]{1,2})[-/]?(?P<d>[0-9]{1,2})",
    "relationship": "(?P<rel>"
    + "|".join(re.escape(w) for w in sorted(RELATIONSHIPS, key=len, reverse=True))
    + ")",
    "former_symbol": "",
    "former_number": "",
}
"""What a plain field is, per column: the forms the domain accepts unchanged (ASCII digits,
katakana, one of the usual words), so that both ways agree on every line this matches. A 特例退職
member's former card (EN-10) is plain only when empty: a line that has one goes the careful way."""
_OTHER = r'[^,\r\n"]*'
_CODES = {word: RELATIONSHIP_CODES[kind] for word, kind in RELATIONSHIPS.items()}
_EARLIEST = "19000101"


@dataclass(frozen=True)
class Spooled:
    rows: int
    digest: str
    buckets: int
    salt: int
    partitions: list[Path]


@dataclass
class Tracker:
    """How far an import is: written by the thread that reads (plain assignments of numbers,
    each whole), read by the loop that reports it. ``bytes_total`` is 0 for the API's rows."""

    bytes_total: int = 0
    bytes_read: int = 0
    lines: int = 0
    """Data lines read, good and bad."""
    refused: int = 0
    parts_total: int = 0
    parts_written: int = 0


@dataclass
class Spool:
    """Where checked lines go: their partition files, the digest, the count."""

    insurer: str
    today: date
    buckets: int
    salt: int
    directory: Path
    rows: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    files: list[TextIO] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    refused: list[RosterRefused] = field(default_factory=list)
    """The first :data:`MAX_REFUSED_LINES` bad lines, in the file's order."""
    refused_count: int = 0
    tracker: Tracker = field(default_factory=Tracker)

    def __post_init__(self) -> None:
        parts = min(MAX_PARTITIONS, -(-self.buckets // BUCKETS_PER_PARTITION))
        self.paths = [self.directory / f"part-{p:04d}" for p in range(parts)]
        self.files = [p.open("w", encoding="utf-8", buffering=1 << 16) for p in self.paths]

    def add(
        self,
        lines: Sequence[tuple[str, str, str]],
        former: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        """(symbol, number, packed line) of checked lines, in the file's order; ``former``:
        the entries of 特例退職 members' former cards (EN-10), routed to their own buckets but
        neither lines of the file nor of the digest (their person's line holds the card)."""
        routed = self.routes()
        for symbol, number, packed in (*lines, *former):
            bucket = roster.bucket_of(symbol, number, self.buckets, self.salt)
            routed[bucket % len(routed)].append(f"{bucket}\t{packed}\n")
        self.write(routed, [packed for _, _, packed in lines])

    def routes(self) -> list[list[str]]:
        """One list per partition, for the lines on their way to it."""
        return [[] for _ in self.files]

    def write(self, routed: list[list[str]], packed: list[str]) -> None:
        """Lines routed to their partitions (``bucket<TAB>line``), and in the file's order."""
        if not packed:
            return
        for f, chunk in zip(self.files, routed, strict=True):
            if chunk:
                f.write("".join(chunk))
        self.digest.update("\n".join(packed).encode() + b"\n")
        before, self.rows = self.rows, self.rows + len(packed)
        self.tracker.lines = self.rows + self.refused_count
        if self.rows // PROGRESS_EVERY > before // PROGRESS_EVERY:
            log.info("roster import progress", insurer_number=self.insurer, rows=self.rows)

    def careful(self, rows: Iterable[tuple[int, Sequence[str]]], columns: dict[str, int]) -> None:
        """Lines the domain checks one by one; a bad one is noted with its line and field."""
        checked, former = [], []
        for number, fields in rows:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            try:
                person = roster.row(fields, columns, number, self.insurer, self.today)
            except RosterRefused as refused:
                self.refuse(refused)
                continue
            first, *rest = person.entries()
            checked.append(first)
            former.extend(rest)
        self.add(checked, former)

    def refuse(self, refused: RosterRefused) -> None:
        """A bad line: kept (the first :data:`MAX_REFUSED_LINES`) and counted."""
        self.refused_count += 1
        self.tracker.refused = self.refused_count
        self.tracker.lines = self.rows + self.refused_count
        if len(self.refused) < MAX_REFUSED_LINES:
            self.refused.append(refused)

    def verdict(self) -> None:
        """Refuses the file if any line was bad: the first named, every kept one listed."""
        if not self.refused:
            return
        first = self.refused[0]
        raise RosterRefused(
            first.line,
            first.field,
            first.detail or "",
            refused_lines=[
                {"line": r.line, "field": r.field, "detail": r.detail} for r in self.refused
            ],
            refused_count=self.refused_count,
            lines_read=self.rows + self.refused_count,
        )

    def close(self, restrictions: Restrictions) -> Spooled:
        for f in self.files:
            f.close()
        self.digest.update(repr(sorted(vars(restrictions).items())).encode())
        return Spooled(self.rows, self.digest.hexdigest(), self.buckets, self.salt, self.paths)


class FileReader:
    """A CSV file read in blocks: plain lines by one regular expression, the rest carefully."""

    def __init__(self, path: Path, encoding: str, spool: Spool) -> None:
        self.path, self.encoding, self.spool = path, encoding, spool
        self.columns: dict[str, int] | None = None
        self.pattern: re.Pattern[str] | None = None
        self.line = 1
        """The number of the next line to read."""
        self.groups: tuple[int, ...] = ()
        """Where each field is in a plain line's match (0: the column is not in the file)."""
        self.today = f"{spool.today:%Y%m%d}"

    def read(self) -> None:
        decoder = universal(self.encoding)
        pending = ""
        tracker = self.spool.tracker
        with self.path.open("rb") as f:
            while block := f.read(BLOCK):
                tracker.bytes_read += len(block)
                text = pending + self._decode(decoder, block, False)
                cut = text.rfind("\n") + 1
                pending = self._lines(text[:cut], final=False) + text[cut:]
        rest = pending + self._decode(decoder, b"", True)
        if rest:
            self._lines(rest if rest.endswith("\n") else rest + "\n", final=True)
        if self.columns is None:
            raise RosterRefused(1, None, "見出し行がありません")

    def _decode(self, decoder: io.IncrementalNewlineDecoder, block: bytes, final: bool) -> str:
        try:
            return str(decoder.decode(block, final))
        except UnicodeDecodeError:
            line = undecodable_line(self.path, self.encoding)
            detail = f"{line}行目の文字を{self.encoding}として読めません"
            raise RosterRefused(line, None, detail) from None

    def _lines(self, text: str, final: bool) -> str:
        """Read whole lines; answers a tail to read again with the next block (a quoted field
        may go on there)."""
        pos = 0
        if self.columns is None:
            pos = self._header(text)
            if self.columns is None:
                return ""  # blank lines before the header, counted already: never again
        pos = self._plain(text, pos)
        tail = text[pos:]
        if tail and not final and tail.count('"') % 2:
            return tail  # an open quote: its field goes on in the next block
        if tail:
            self._careful(text, pos, len(text))
        return ""

    def _plain(self, text: str, pos: int) -> int:
        """The hot loop: each plain line checked, normalised and routed as the domain would
        (the same line as ``RosterPerson.packed``); any other goes the careful way. Answers
        where the plain lines end."""
        assert self.pattern is not None
        spool, groups, today = self.spool, self.groups, self.today
        insurer_number = spool.insurer if groups[0] else None  # None: no such column
        crc32, salt, buckets = zlib.crc32, spool.salt, spool.buckets
        routed, packed_lines = spool.routes(), list[str]()
        parts = len(routed)
        for match in self.pattern.finditer(text, pos):
            start = match.start()
            insurer, symbol, number, name, y, m, d, rel = match.group(*groups)
            m, d = m.zfill(2), d.zfill(2)
            born = y + m + d
            if " " in name or "\u3000" in name:
                name = name.replace(" ", "").replace("\u3000", "")
            if (
                start != pos
                or len(name) > NAME_MAX
                or not _EARLIEST <= born <= today
                or (insurer_number is not None and insurer != insurer_number)
                or not (("01" <= m <= "12" and "01" <= d <= "28") or _real_day(born))
            ):
                spool.write(routed, packed_lines)
                self.line += len(packed_lines)
                routed, packed_lines = spool.routes(), list[str]()
                self._careful(text, pos, match.end() + 1)  # a gap, or this line, or both
                pos = match.end() + 1
                continue
            if len(number) >= 8:
                number = number[-7:]
            packed = f"{symbol}\t{number}\t{name}\t{born}\t{_CODES[rel]}"
            bucket = crc32(f"{symbol}\t{number}".encode(), salt) % buckets
            routed[bucket % parts].append(f"{bucket}\t{packed}\n")
            packed_lines.append(packed)
            pos = match.end() + 1
        spool.write(routed, packed_lines)
        self.line += len(packed_lines)
        return pos

    def _header(self, text: str) -> int:
        pos = 0
        while pos < len(text):
            end = text.index("\n", pos) + 1
            try:
                fields = next(csv.reader([text[pos:end]]), [])
            except csv.Error as err:
                detail = f"{self.line}行目（見出し行）のCSVの形式が正しくありません（{err}）"
                raise RosterRefused(self.line, None, detail) from None
            self.line += 1
            pos = end
            if fields and any(f.strip() for f in fields):
                self.columns = roster.header(fields)
                self.pattern = _line_pattern(fields, self.columns)
                names = ("insurer", "symbol", "number", "name", "y", "m", "d", "rel")
                self.groups = tuple(self.pattern.groupindex.get(n, 0) for n in names)
                return pos
        return pos

    def _careful(self, text: str, start: int, end: int) -> None:
        segment = text[start:end]
        reader = csv.reader(io.StringIO(segment))
        first = self.line
        try:
            rows = ((first + reader.line_num - 1, fields) for fields in reader)
            assert self.columns is not None
            self.spool.careful(rows, self.columns)
        except csv.Error as err:
            line = first + reader.line_num - 1  # line_num counts the bad line already
            detail = f"{line}行目のCSVの形式が正しくありません（{err}）"
            raise RosterRefused(line, None, detail) from None
        self.line += segment.count("\n")


def _real_day(yyyymmdd: str) -> bool:
    try:
        date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return True


def _line_pattern(header: Sequence[str], columns: dict[str, int]) -> re.Pattern[str]:
    """One plain data line of this header's columns, each captured by name."""
    by_index = {i: column for column, i in columns.items()}
    parts = [_FAST[by_index[i]] if i in by_index else _OTHER for i in range(len(header))]
    return re.compile("^" + ",".join(parts) + r"\r?$", re.MULTILINE)


def spool_file(path: Path, encoding: str, spool: Spool, restrictions: Restrictions) -> Spooled:
    """The file read and checked; refused naming every bad line it kept (``verdict``), or at
    once, after the bad lines before it, when it cannot be read on."""
    try:
        FileReader(path, encoding, spool).read()
    except RosterRefused as fatal:
        spool.refuse(fatal)
    finally:
        closed = spool.close(restrictions)
    spool.verdict()
    return closed


def spool_rows(
    rows: Iterable[tuple[int, Sequence[str]]],
    columns: dict[str, int],
    spool: Spool,
    restrictions: Restrictions,
) -> Spooled:
    """The API's rows, each checked the careful way."""
    try:
        spool.careful(rows, columns)
    finally:
        closed = spool.close(restrictions)
    spool.verdict()
    return closed


def partition_buckets(path: Path) -> list[tuple[int, bytes]]:
    """One partition's lines grouped into its buckets, each compressed (zlib at level 1): a
    third of the bytes, and FerretDB's cost of a write follows the bytes (bench/enroll)."""
    grouped: dict[int, list[str]] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            bucket, _, packed = line.partition("\t")
            grouped.setdefault(int(bucket), []).append(packed.rstrip("\n"))
    os.unlink(path)
    return [
        (b, zlib.compress("\n".join(lines).encode(), 1)) for b, lines in sorted(grouped.items())
    ]
