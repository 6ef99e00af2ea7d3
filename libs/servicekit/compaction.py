"""Compaction of the versioned store (X-14): superseded versions go once they are relayed.

Every change of an aggregate is a new commit document (X-13), so without compaction storage
would grow with activity (every login is a version of its user) and every password hash a user
ever had would stay in the database. A version may go when:

- a newer version exists below the aggregate's head hint, so a writer that trusts the hint
  never finds its version missing;
- the version after it was committed longer ago than ``grace``: a writer still deciding on the
  old version (a slow hash, a retry) races for the next version's ``_id``, which must still
  exist for its insert to fail (X-13); no request lives that long;
- its events are published: its outbox marker is gone (X-03).

The latest version always stays. A pass walks each aggregate's versions upwards from where it
stopped last time (``compaction_marks``), reading and deleting by ``_id`` only, which is all
FerretDB 1.24 pushes down.

Which aggregates a pass visits (issue 24): only those changed since they were last compacted.
Each process notes the aggregates it commits (``VersionedStore.changed``) and, at the start of
its pass, writes them as a *due note*; a pass reads every note (a small collection: only what
changed lately), compacts each aggregate named once, and notes again what must wait (grace,
relay). So a pass costs what changed, not what is stored; with 1,000,000 users it no longer
reads a million heads every ten minutes. A *sweep* over every head, as passes were before, still
runs once a day and when the process starts: it finds what a crashed process had noted but not
written yet.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter
from pymongo import DeleteOne

from servicekit.logs import get_logger
from servicekit.store import COMPACTION_MARKS, VersionedStore, commit_id

log = get_logger(__name__)

COMPACTED = Counter(
    "store_versions_compacted_total", "Superseded aggregate versions deleted by compaction"
)

DUE = "compaction_due"
"""Notes of aggregates changed and not compacted yet: ``{_id, aggregates, at}``."""
NOTE_SIZE = 10_000
"""Aggregate ids per note: well under a document's 16 MB."""


class Compaction:
    def __init__(
        self, store: VersionedStore, grace: timedelta, sweep_every: timedelta = timedelta(days=1)
    ) -> None:
        self.store = store
        self.grace = grace
        self.sweep_every = sweep_every
        self.marks = store.commits.database[COMPACTION_MARKS]
        self.due = store.commits.database[DUE]
        self._swept_at: datetime | None = None

    async def run_once(self) -> int:
        """One pass over what changed, and a sweep when one is due; answers how many versions
        it deleted."""
        deleted = await self.pass_over_changed()
        now = self.store.clock.now()
        if self._swept_at is None or now - self._swept_at >= self.sweep_every:
            deleted += await self.sweep()
            self._swept_at = now
        return deleted

    async def pass_over_changed(self) -> int:
        """Compact the aggregates the due notes name (this process's changes noted first), each
        once however many notes name it; what must wait goes into new notes before the notes
        read are deleted, so a crash between repeats work and loses none."""
        await self._note(sorted(self.store.changed))
        self.store.changed.clear()
        cutoff, pending = await self._bounds()
        notes = await self.due.find({}).to_list()
        deleted, waiting = 0, []
        for aggregate_id in sorted({a for note in notes for a in note["aggregates"]}):
            head = await self.store.heads.find_one({"_id": aggregate_id})
            if head is None:
                continue  # forgotten or dropped meanwhile
            mark = await self.marks.find_one({"_id": aggregate_id})
            lowest = 1 if mark is None else int(mark["below"])
            head_version = int(head["version"])
            gone, below = await self._aggregate(aggregate_id, lowest, head_version, cutoff, pending)
            deleted += gone
            if below < head_version:
                waiting.append(aggregate_id)
        await self._note(waiting)
        if notes:
            await self.due.bulk_write([DeleteOne({"_id": n["_id"]}) for n in notes])
        return self._counted(deleted)

    async def sweep(self) -> int:
        """One pass over every aggregate (a scan of the heads): the safety net of the notes."""
        cutoff, pending = await self._bounds()
        compacted_below = {doc["_id"]: int(doc["below"]) async for doc in self.marks.find({})}
        deleted = 0
        async for head in self.store.heads.find({}):
            aggregate_id, head_version = str(head["_id"]), int(head["version"])
            lowest = compacted_below.get(aggregate_id, 1)
            gone, _ = await self._aggregate(aggregate_id, lowest, head_version, cutoff, pending)
            deleted += gone
        return self._counted(deleted)

    async def _note(self, aggregates: list[str]) -> None:
        """Due notes of at most ``NOTE_SIZE`` aggregates each, in one insert."""
        now = self.store.clock.now()
        notes = [
            {"_id": secrets.token_hex(12), "aggregates": aggregates[i : i + NOTE_SIZE], "at": now}
            for i in range(0, len(aggregates), NOTE_SIZE)
        ]
        if notes:
            await self.due.insert_many(notes)

    async def _bounds(self) -> tuple[datetime, set[Any]]:
        """The newest commit time a version's successor may have, and the markers pending."""
        pending = {doc["_id"] async for doc in self.store.outbox.find({}, {"_id": 1})}
        return self.store.clock.now() - self.grace, pending

    async def _aggregate(
        self, aggregate_id: str, lowest: int, head_version: int, cutoff: Any, pending: set[Any]
    ) -> tuple[int, int]:
        """Compact one aggregate from ``lowest`` and record where it stopped; answers how many
        versions went and the first one kept."""
        if head_version <= lowest:
            return 0, lowest
        below = await self._compact(aggregate_id, lowest, head_version, cutoff, pending)
        if below > lowest:
            await self.marks.update_one(
                {"_id": aggregate_id}, {"$max": {"below": below}}, upsert=True
            )
        return below - lowest, below

    def _counted(self, deleted: int) -> int:
        if deleted:
            COMPACTED.inc(deleted)
            log.info("store compacted", versions=deleted)
        return deleted

    async def _compact(
        self, aggregate_id: str, lowest: int, head_version: int, cutoff: Any, pending: set[Any]
    ) -> int:
        """Delete versions from ``lowest`` up while they may go; answers the first one kept."""
        fields = {"marker": 1, "committed_at": 1}
        version = lowest
        current = await self.store.commits.find_one(
            {"_id": commit_id(aggregate_id, version)}, fields
        )
        while version < head_version:
            successor = await self.store.commits.find_one(
                {"_id": commit_id(aggregate_id, version + 1)}, fields
            )
            if successor is None or successor["committed_at"] > cutoff:
                break
            if current is not None:
                if current.get("marker") in pending:
                    break
                await self.store.commits.delete_one({"_id": current["_id"]})
            version, current = version + 1, successor
        return version
