"""Audit's data written the way its consumer writes it, for the benches that need years of it.

``bench/audit`` and ``bench/scale`` seed access records straight into audit's database instead
of producing events: the consumer's own mapping (``AccessRecord.of(event).to_document``) in
bulk inserts of a few thousand, and users' profile histories through audit's own store, so the
export resolves names exactly as it does in production.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from contracts import Event, UserCreated
from servicekit.clock import SystemClock
from servicekit.store import VersionedStore
from services.audit.domain.profiles import ProfileVersion
from services.audit.domain.records import AccessRecord
from services.audit.store.records import ProfileHistories

Document = dict[str, Any]

CHUNK = 2000
"""Records a bulk insert: FerretDB's cost a document is flat from a few hundred up."""


def record_documents(events: Iterable[Event], recorded_at: datetime) -> list[Document]:
    """The access records of ``events`` as audit's consumer stores them."""
    return [AccessRecord.of(e).to_document(recorded_at) for e in events]


async def insert_records(
    db: AsyncDatabase[Document], events: Sequence[Event], chunk: int = CHUNK
) -> None:
    """``events``' records in ``access_records``, one unordered bulk insert per ``chunk``."""
    now = datetime.now(UTC)
    for low in range(0, len(events), chunk):
        docs = record_documents(events[low : low + chunk], now)
        await db["access_records"].insert_many(docs, ordered=False)


async def start_profiles(db: AsyncDatabase[Document], created: Sequence[UserCreated]) -> None:
    """Each created user's profile history, started together through audit's own store (the
    export reads them to name each row's user as of its time)."""
    histories = ProfileHistories(VersionedStore(db, SystemClock()))
    first = [((e.realm, e.subject_id), [ProfileVersion.of(e)]) for e in created]
    for low in range(0, len(first), CHUNK):
        await histories.start_many(dict(first[low : low + CHUNK]))
