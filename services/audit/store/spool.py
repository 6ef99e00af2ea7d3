"""An on-disk sort for the export: rows go in in any order and come out in the file's order.

Why on disk, in the audit process: FerretDB 1.x sorts in its own memory (no sort pushdown), so
a year of an organisation's history would be held whole by the database; held whole by audit
it would break AU-04's constant memory. A temporary SQLite file (Python's standard library)
sorts with a bounded page cache and spills to disk, so memory stays the same whatever the row
count. The file lives only as long as one download and is deleted after it.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Final

from services.audit.domain.sheet import AccessRow, Order

_CACHE_KIB: Final = 8 * 1024
_SORT_KEYS: Final = {
    Order.BY_USER: "login_id, occurred_ms, seq",
    Order.BY_TIME: "occurred_ms, login_id, seq",
}
_COLUMNS: Final = "login_id, occurred_ms, seq, operation, name, department, title, ip, ua"
_INSERT: Final = "INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"


class Spool:
    """One export's rows, sorted by the chosen order when read back."""

    def __init__(self, directory: str | None = None) -> None:
        fd, self.path = tempfile.mkstemp(prefix="audit-export-", suffix=".sqlite", dir=directory)
        os.close(fd)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "temp_store=FILE",
            f"cache_size=-{_CACHE_KIB}",
        ):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute(f"CREATE TABLE rows ({_COLUMNS})")
        self.count = 0

    async def add(self, rows: Sequence[AccessRow]) -> None:
        values: list[tuple[object, ...]] = [
            (
                r.login_id,
                int(r.occurred_at.timestamp() * 1000),
                self.count + i,
                r.operation,
                r.name,
                r.department,
                r.title,
                r.ip,
                r.user_agent,
            )
            for i, r in enumerate(rows)
        ]
        self.count += len(values)
        await asyncio.to_thread(self._insert, values)

    def _insert(self, values: list[tuple[object, ...]]) -> None:
        self._db.execute("BEGIN")
        self._db.executemany(_INSERT, values)
        self._db.execute("COMMIT")

    async def sorted(self, order: Order, batch: int) -> AsyncIterator[list[AccessRow]]:
        """The rows in ``order``, ``batch`` at a time (the sort runs on disk in SQLite)."""
        cursor = await asyncio.to_thread(
            self._db.execute,
            f"SELECT {_COLUMNS} FROM rows ORDER BY {_SORT_KEYS[order]}",  # noqa: S608 - constants
        )
        while fetched := await asyncio.to_thread(cursor.fetchmany, batch):
            yield [_row(values) for values in fetched]

    def close(self) -> None:
        self._db.close()
        os.unlink(self.path)


def _row(values: tuple[object, ...]) -> AccessRow:
    login_id, occurred_ms, _, operation, name, department, title, ip, ua = values
    assert isinstance(occurred_ms, int)
    return AccessRow(
        login_id=str(login_id),
        occurred_at=datetime.fromtimestamp(occurred_ms / 1000, UTC),
        operation=str(operation),
        name=_text(name),
        department=_text(department),
        title=_text(title),
        ip=_text(ip),
        user_agent=_text(ua),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)
