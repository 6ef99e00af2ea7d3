"""A roster import started from the support console (WEB-04, EN-07), as the console follows it:
how far it is, and what it answered. Pure.

The import itself is the API's (``RosterImports``); the job only records its progress and its
outcome, so that a page on any replica can show them (X-16). It is kept a bounded time and its
bad lines bounded in number (X-14), and it holds no line's content: a refused line is its number,
its column and the reason, in the service's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from services.enroll.domain import roster
from services.enroll.domain.roster import Restrictions

KEPT = timedelta(days=7)
"""How long a finished job (its counts and its refused lines) stays for the console."""
SILENT = timedelta(minutes=5)
"""A running job not heard of this long died with its replica: it is shown as failed."""

COLUMN_NAMES = {column: aliases[0] for column, aliases in roster.COLUMNS.items()} | {
    column: aliases[0] for column, aliases in roster.OPTIONAL_COLUMNS.items()
}
"""What the console calls each column (the file's header names, in Japanese)."""


class Phase(StrEnum):
    READING = "reading"
    """The file is read and every line checked."""
    WRITING = "writing"
    """Every line was good: the new roster is being written, not yet in force."""
    DONE = "done"
    """The new roster is in force (or the same one was already)."""
    REFUSED = "refused"
    """Bad lines (or an unreadable file): nothing changed."""
    FAILED = "failed"
    """The import stopped for another reason (the database, a replica gone): nothing changed."""

    @property
    def finished(self) -> bool:
        return self in (Phase.DONE, Phase.REFUSED, Phase.FAILED)


@dataclass(frozen=True)
class RefusedLine:
    line: int
    field: str | None
    reason: str

    @property
    def column(self) -> str:
        """The column's name as the file's header gives it; empty for a whole line."""
        return COLUMN_NAMES.get(self.field or "", self.field or "")


@dataclass(frozen=True)
class ImportJob:
    job_id: str
    insurer_number: str
    started_by: str
    started_at: datetime
    updated_at: datetime
    phase: Phase = Phase.READING
    bytes_total: int = 0
    bytes_read: int = 0
    lines: int = 0
    """Data lines read so far, good and bad."""
    refused_count: int = 0
    parts_total: int = 0
    parts_written: int = 0
    refused: tuple[RefusedLine, ...] = field(default_factory=tuple)
    rows: int | None = None
    """The roster's lines once in force."""
    version: int | None = None
    changed: bool | None = None

    def shown_phase(self, now: datetime) -> Phase:
        """A running job whose replica went silent is over: nothing it began is in force."""
        if not self.phase.finished and now - self.updated_at > SILENT:
            return Phase.FAILED
        return self.phase

    @property
    def percent(self) -> int:
        """Reading is the first 80 %, writing the rest (a file's lines are all read before a
        bucket is written)."""
        if self.phase.finished:
            return 100
        if self.phase is Phase.WRITING:
            share = self.parts_written / self.parts_total if self.parts_total else 0.0
            return min(99, 80 + int(20 * share))
        share = self.bytes_read / self.bytes_total if self.bytes_total else 0.0
        return min(80, int(80 * share))

    def expired(self, now: datetime) -> bool:
        return now - self.updated_at > KEPT


PENDING_KEPT = timedelta(hours=1)
"""How long an upload waits for its 確定する before the upkeep deletes it (X-14)."""
PREVIEW_LINES = 6
"""The lines the confirmation shows: the header and the first five data lines."""


@dataclass(frozen=True)
class PendingUpload:
    """A roster file uploaded from the console and not yet confirmed: what the confirmation
    page shows, and what its import will need. The file's bytes are kept beside it, in
    chunks, by the store; both go when it is confirmed, discarded or expired (X-14)."""

    upload_id: str
    """Unguessable (128 random bits): the confirmation's address, and its job's id."""
    insurer_number: str
    file_name: str
    size: int
    encoding: str
    """As chosen on the form (``auto``, ``cp932``, ``utf-8``): the import reads it so."""
    detected: str
    """The encoding the file will be read as (``auto`` detected)."""
    lines: int
    """Lines in the file, the header among them (a quoted field's line break counts too)."""
    preview: tuple[tuple[str, ...], ...]
    restrictions: Restrictions
    uploaded_by: str
    uploaded_at: datetime
    chunks: int

    def expired(self, now: datetime) -> bool:
        return now - self.uploaded_at > PENDING_KEPT
