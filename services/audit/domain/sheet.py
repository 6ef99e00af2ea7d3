"""The CSV file of the access history (アクセス履歴, AU-03, AU-04): pure rules, no I/O.

Column orders and headers are seed 004's two layouts: WebユーザーID単位 (by user ID) and
アクセス日時単位 (by access time). With ``client_info`` two columns follow the seed's six:
the IP address and the browser's user agent, which the seed does not show but an admin
investigating an access needs.

Three rules protect whoever opens the file:

* CSV injection (AU-04): a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage
  return, a line feed or NUL gets a leading ``'``, so a spreadsheet shows it as text instead of
  running it as a formula. Names and the user agent are typed by users and attackers.
* ``cp932`` (what Excel in Japan opens without asking): the characters that Unicode maps
  differently from JIS X 0208 (WAVE DASH 〜, DOUBLE VERTICAL LINE ‖, MINUS SIGN −, ¢ £ ¬ —)
  become the cp932 characters that look the same, and any other character cp932 cannot hold
  (an emoji in a user agent, a kanji outside JIS X 0208 from an outside system) becomes 〓,
  the geta mark that Japanese print uses for a missing character, so a row is never lost and
  the gap is visible. ``utf-8-sig`` and ``utf-8`` keep every character.
* Times are shown in Asia/Tokyo (X-04) as ``2016/10/22 09:05:01``.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from domainkit.tokyo import TOKYO


class Order(StrEnum):
    """出力形式: WebユーザーID単位 or アクセス日時単位."""

    BY_USER = "user"
    BY_TIME = "time"


class Encoding(StrEnum):
    CP932 = "cp932"
    UTF8_SIG = "utf-8-sig"
    UTF8 = "utf-8"


SEED_COLUMNS: Final = ("WebユーザーID", "アクセス日時", "操作内容", "氏名", "所属名", "役職名")
CLIENT_COLUMNS: Final = ("IPアドレス", "ユーザーエージェント")
LARGE_FILE_BYTES: Final = 5 * 1024 * 1024
"""Above this the seed recommends narrowing the search (想定ファイルサイズが5MBを超える場合)."""
LARGE_FILE_WARNING: Final = (
    "想定ファイルサイズが5MBを超えています。ダウンロードに時間がかかることがあるため、"
    "検索条件を変更し、データを絞り込むことを推奨します"
)

_FORMULA_STARTS: Final = frozenset("=+-@\t\r\n\0")
_CP932_LOOKALIKES: Final = str.maketrans(
    {
        "\u301c": "\uff5e",  # WAVE DASH → FULLWIDTH TILDE
        "\u2016": "\u2225",  # DOUBLE VERTICAL LINE → PARALLEL TO
        "\u2212": "\uff0d",  # MINUS SIGN → FULLWIDTH HYPHEN-MINUS
        "\u00a2": "\uffe0",  # CENT SIGN → FULLWIDTH CENT SIGN
        "\u00a3": "\uffe1",  # POUND SIGN → FULLWIDTH POUND SIGN
        "\u00ac": "\uffe2",  # NOT SIGN → FULLWIDTH NOT SIGN
        "\u2014": "\u2015",  # EM DASH → HORIZONTAL BAR
    }
)
MISSING_CHARACTER: Final = "〓"
_CP932_ERRORS: Final = "audit-geta"


def _geta(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return MISSING_CHARACTER * (error.end - error.start), error.end


codecs.register_error(_CP932_ERRORS, _geta)


@dataclass(frozen=True)
class AccessRow:
    """One line of the file: a record with the login ID and profile as they were at its time."""

    login_id: str
    occurred_at: datetime
    operation: str
    name: str | None
    department: str | None
    title: str | None
    ip: str | None
    user_agent: str | None


def headers(order: Order, client_info: bool) -> tuple[str, ...]:
    seed = SEED_COLUMNS
    if order is Order.BY_TIME:
        seed = (SEED_COLUMNS[1], SEED_COLUMNS[0], *SEED_COLUMNS[2:])
    return (*seed, *CLIENT_COLUMNS) if client_info else seed


def neutralise(cell: str) -> str:
    """AU-04: a cell a spreadsheet would run as a formula is made text with a leading ``'``."""
    return "'" + cell if cell[:1] in _FORMULA_STARTS else cell


def tokyo_time(instant: datetime) -> str:
    return instant.astimezone(TOKYO).strftime("%Y/%m/%d %H:%M:%S")


def cells(row: AccessRow, order: Order, client_info: bool) -> list[str]:
    """The row's cells in the layout's order, every text cell neutralised."""
    who, when = neutralise(row.login_id), tokyo_time(row.occurred_at)
    first = [who, when] if order is Order.BY_USER else [when, who]
    rest = [row.operation, row.name or "", row.department or "", row.title or ""]
    extra = [row.ip or "", row.user_agent or ""] if client_info else []
    return first + [neutralise(c) for c in rest + extra]


class CsvEncoder:
    """Turns rows into bytes of one encoding, a chunk at a time (constant memory, AU-04).

    Incremental, so ``utf-8-sig`` writes its BOM once at the start of the file.
    """

    def __init__(self, encoding: Encoding) -> None:
        self.cp932 = encoding is Encoding.CP932
        errors = _CP932_ERRORS if self.cp932 else "strict"
        self._encoder = codecs.getincrementalencoder(encoding.value)(errors=errors)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def encode(self, rows: Iterable[Iterable[str]]) -> bytes:
        for row in rows:
            self._writer.writerow(row)
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        if self.cp932:
            text = text.translate(_CP932_LOOKALIKES)
        return self._encoder.encode(text)
