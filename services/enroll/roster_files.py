"""Reading a roster file in constant memory (EN-07): its encoding, its lines, and the spool.

A union sends CSV in ``cp932`` (Excel in Japan) or UTF-8, with a header line. The file is read
once, line by line: each line is checked and normalised (naming its line number and field when
it is bad), hashed into the roster's digest, and written to the *partition* file of its bucket
on disk. Then each partition, a few thousand lines, is grouped into bucket documents. Memory
holds one partition at a time, whatever the file's size.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from servicekit.logs import get_logger
from services.enroll.domain import roster
from services.enroll.domain.refusals import RosterRefused
from services.enroll.domain.roster import Restrictions

log = get_logger(__name__)

ENCODINGS = ("utf-8", "cp932")
PROGRESS_EVERY = 100_000
BUCKETS_PER_PARTITION = 64
MAX_PARTITIONS = 512


@dataclass(frozen=True)
class Spooled:
    rows: int
    digest: str
    buckets: int
    partitions: list[Path]


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


def csv_lines(path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of a CSV file; a byte the encoding cannot read, or a broken
    quote, is refused with its line."""
    with path.open(encoding=encoding, newline="", errors="strict") as f:
        reader = csv.reader(f)
        try:
            for fields in reader:
                yield reader.line_num, fields
        except UnicodeDecodeError:
            line = _undecodable_line(path, encoding)
            raise RosterRefused(
                line, None, f"{line}行目の文字を{encoding}として読めません"
            ) from None
        except csv.Error as err:
            line = reader.line_num
            raise RosterRefused(
                line, None, f"{line}行目のCSVの形式が正しくありません（{err}）"
            ) from None


def _undecodable_line(path: Path, encoding: str) -> int:
    """The first line the encoding cannot read (only on the error path: a second reading)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                decoder.decode(raw)
            except UnicodeDecodeError:
                return number
    return 1


def spool(
    lines: Iterable[tuple[int, Sequence[str]]],
    *,
    insurer: str,
    today: date,
    restrictions: Restrictions,
    estimated_rows: int,
    rows_per_bucket: int,
    directory: Path,
    columns: dict[str, int] | None = None,
) -> Spooled:
    """Check every line, then write it to its partition; nothing reaches the database here.

    ``columns`` is given for rows that come without a header line (the API's JSON); a file's
    first non-empty line is its header.
    """
    buckets = roster.bucket_count(estimated_rows, rows_per_bucket)
    parts = min(MAX_PARTITIONS, -(-buckets // BUCKETS_PER_PARTITION))
    paths = [directory / f"part-{p:04d}" for p in range(parts)]
    files = [p.open("w", encoding="utf-8", buffering=1 << 16) for p in paths]
    digest = hashlib.sha256()
    rows = 0
    try:
        for number, fields in lines:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # an empty line
            if columns is None:
                columns = roster.header(fields)
                continue
            person = roster.row(fields, columns, number, insurer, today)
            packed = person.packed()
            digest.update(packed.encode())
            digest.update(b"\n")
            bucket = roster.bucket_of(person.symbol, person.number, buckets)
            files[bucket % parts].write(f"{bucket}\t{packed}\n")
            rows += 1
            if rows % PROGRESS_EVERY == 0:
                log.info("roster import progress", insurer_number=insurer, rows=rows)
    finally:
        for f in files:
            f.close()
    if columns is None:
        raise RosterRefused(1, None, "見出し行がありません")
    digest.update(repr(sorted(vars(restrictions).items())).encode())
    return Spooled(rows, digest.hexdigest(), buckets, paths)


def partition_buckets(path: Path) -> list[tuple[int, str]]:
    """One partition's lines grouped into its buckets' texts."""
    grouped: dict[int, list[str]] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            bucket, _, packed = line.partition("\t")
            grouped.setdefault(int(bucket), []).append(packed.rstrip("\n"))
    os.unlink(path)
    return [(bucket, "\n".join(lines)) for bucket, lines in sorted(grouped.items())]
