"""Union rosters (名簿) as files, for the import tests and the bench: deterministic people, a
header line, cp932 or UTF-8, written line by line (a million lines take no memory)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

HEADER = ["保険者番号", "記号", "番号", "氏名カナ", "生年月日", "続柄"]
FORMER_HEADER = ["旧記号", "旧番号"]
"""特例退職 (EN-10): the card a retired member held before, on the member's own line."""
KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"


def person(i: int) -> tuple[str, str, str, date, str]:
    """The i-th person: 記号 with a hyphen, an 8-digit 番号 (so the last 7 count), a name."""
    n = len(KANA)
    family = KANA[i % n] + KANA[(i // n) % n] + KANA[(i // n // n) % n]
    given = KANA[(i * 7) % n] + KANA[(i * 11 + 3) % n]
    born = date(1950 + i % 60, 1 + i % 12, 1 + i % 28)
    relationship = "家族" if i % 4 == 3 else "本人"
    return f"71-{1000 + i % 9000}", f"{i:08d}", f"{family} {given}", born, relationship


def card(insurer: str, i: int) -> dict[str, str]:
    """The card of the i-th person as they would type it."""
    symbol, number, name, born, _ = person(i)
    return {
        "name_kana": name,
        "birth_date": born.isoformat(),
        "insurer_number": insurer,
        "symbol": symbol,
        "number": number,
    }


def former(i: int) -> tuple[str, str]:
    """The card the i-th person held before 特例退職 (as printed: a hyphen, 8 digits)."""
    return f"50-{2000 + i % 7000}", f"{90_000_000 + i:08d}"


def former_card(insurer: str, i: int) -> dict[str, str]:
    """The i-th person's former card as they would type it (EN-10: either card registers)."""
    symbol, number = former(i)
    return card(insurer, i) | {"symbol": symbol, "number": number}


def lines(insurer: str, rows: int, retired: frozenset[int] | None = None) -> Iterator[list[str]]:
    """``retired``: the people with a former card (the file then has its two columns)."""
    yield HEADER if retired is None else HEADER + FORMER_HEADER
    for i in range(rows):
        symbol, number, name, born, relationship = person(i)
        line = [insurer, symbol, number, name, born.strftime("%Y/%m/%d"), relationship]
        if retired is not None:
            line += list(former(i)) if i in retired else ["", ""]
        yield line


def write_roster(
    path: Path,
    insurer: str,
    rows: int,
    encoding: str = "cp932",
    bad: dict[int, tuple[int, str]] | None = None,
    retired: frozenset[int] | None = None,
) -> Path:
    """A roster file of ``rows`` people; ``bad`` puts a value in a field of a line (its line
    number in the file, 1 being the header: ``{5: (3, "健康太郎")}``)."""
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        for number, fields in enumerate(lines(insurer, rows, retired), start=1):
            if bad and number in bad:
                column, value = bad[number]
                fields[column] = value
            writer.writerow(fields)
    return path
