"""Audit's collections: access records keyed by their event id, and users' profile histories.

Why the export reads with a filter and no sort (measured, README "Audit"): FerretDB 1.24 pushes
down no sort but ``$natural`` and no filter but ``_id`` equality, on SQLite and on PostgreSQL
alike (``internal/backends/*/query.go``), so a sorted find is sorted in FerretDB's memory
(+252 MiB for 100,000 records) whatever the ``_id`` looks like, while an unsorted find streams
in constant memory. The export therefore asks for the period's records unsorted and sorts them
on disk itself (:mod:`services.audit.store.spool`). On MongoDB the index below serves the same
filter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from servicekit.facts import insert_new
from servicekit.store import Change, Loaded, VersionedStore
from services.audit.domain.profiles import ProfileVersion, with_versions
from services.audit.domain.records import AccessRecord

Document = dict[str, Any]

EXPORTED_FIELDS = {
    "event_type": 1,
    "subject_id": 1,
    "login_id": 1,
    "occurred_at": 1,
    "operation_code": 1,
    "operation_label": 1,
    "ip": 1,
    "user_agent": 1,
}


class AccessRecords:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["access_records"]

    async def create_indexes(self) -> None:
        """What the export filters on (MongoDB uses it; FerretDB 1.x scans anyway)."""
        await self.collection.create_index([("realm", 1), ("org_id", 1), ("occurred_at", 1)])

    async def add(self, records: Sequence[AccessRecord], recorded_at: datetime) -> set[str]:
        """Store records in one bulk write; stored ones are skipped. Returns the new ids."""
        if not records:
            return set()
        docs = [r.to_document(recorded_at) for r in records]
        repeated = await insert_new(self.collection, docs)
        return {d["_id"] for i, d in enumerate(docs) if i not in repeated}

    async def latest(self, realm: str, org_id: str, limit: int) -> list[AccessRecord]:
        query: Document = {"realm": realm, "org_id": org_id}
        docs = await self.collection.find(query).sort("occurred_at", -1).limit(limit).to_list()
        return [AccessRecord.from_document(d) for d in docs]

    async def in_period(
        self, realm: str, org_id: str, start: datetime, end: datetime
    ) -> AsyncIterator[Document]:
        """The organisation's records in ``[start, end)``, unsorted, streamed in batches."""
        query = {"realm": realm, "org_id": org_id, "occurred_at": {"$gte": start, "$lt": end}}
        async with self.collection.find(query, EXPORTED_FIELDS, batch_size=2000) as cursor:
            async for doc in cursor:
                yield doc

    async def purge_before(self, cutoff: datetime) -> int:
        """AU-06: delete records that happened before ``cutoff``; returns how many."""
        result = await self.collection.delete_many({"occurred_at": {"$lt": cutoff}})
        return result.deleted_count


class ProfileHistories:
    """One user's profile versions, as an aggregate of the versioned store (X-13).

    Several consumers may add versions of one user at once (a rebalance, a redelivery); the
    store's insert-only commits make the loser reload and add its version again.
    """

    def __init__(self, store: VersionedStore) -> None:
        self.store = store

    async def add(
        self, realm: str, user_id: str, versions: Sequence[ProfileVersion]
    ) -> tuple[ProfileVersion, ...]:
        """Add a user's versions in one commit; versions already there change nothing.
        Answers the whole history."""

        def decide(loaded: Loaded) -> Change[tuple[ProfileVersion, ...]]:
            current = _versions(loaded.state)
            history = with_versions(current, versions)
            if history is None:
                return Change.nothing(current)
            return Change(history, {"versions": [v.to_document() for v in history]})

        return await self.store.update(_aggregate(realm, user_id), decide)

    async def start_many(
        self, first: Mapping[tuple[str, str], Sequence[ProfileVersion]]
    ) -> dict[tuple[str, str], tuple[ProfileVersion, ...]]:
        """The histories of users seen for the first time (their ``UserCreated`` is in the
        batch), written together; answers the histories it started. The other users exist
        already and take ``add``."""
        histories = {user: with_versions((), vs) or () for user, vs in first.items()}
        created = await self.store.create_many(
            {
                _aggregate(*user): {"versions": [v.to_document() for v in history]}
                for user, history in histories.items()
            }
        )
        return {u: h for u, h in histories.items() if _aggregate(*u) in created}

    async def of(self, realm: str, user_id: str) -> tuple[ProfileVersion, ...]:
        return _versions((await self.store.load(_aggregate(realm, user_id))).state)


def _aggregate(realm: str, user_id: str) -> str:
    return f"profile:{realm}:{user_id}"


def _versions(state: Document | None) -> tuple[ProfileVersion, ...]:
    return tuple(ProfileVersion.from_document(d) for d in (state or {}).get("versions", []))
