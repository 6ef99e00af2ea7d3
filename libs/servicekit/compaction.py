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

The latest version always stays. The job walks each aggregate's versions upwards from where it
stopped last time (``compaction_marks``), reading and deleting by ``_id`` only, which is all
FerretDB 1.24 pushes down; it scans the heads (one small document per aggregate) once a pass.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prometheus_client import Counter

from servicekit.logs import get_logger
from servicekit.store import COMPACTION_MARKS, VersionedStore, commit_id

log = get_logger(__name__)

COMPACTED = Counter(
    "store_versions_compacted_total", "Superseded aggregate versions deleted by compaction"
)


class Compaction:
    def __init__(self, store: VersionedStore, grace: timedelta) -> None:
        self.store = store
        self.grace = grace
        self.marks = store.commits.database[COMPACTION_MARKS]

    async def run_once(self) -> int:
        """One pass over every aggregate; answers how many versions it deleted."""
        cutoff = self.store.clock.now() - self.grace
        pending = {doc["_id"] async for doc in self.store.outbox.find({}, {"_id": 1})}
        compacted_below = {doc["_id"]: int(doc["below"]) async for doc in self.marks.find({})}
        deleted = 0
        async for head in self.store.heads.find({}):
            aggregate_id, head_version = str(head["_id"]), int(head["version"])
            lowest = compacted_below.get(aggregate_id, 1)
            if head_version <= lowest:
                continue
            below = await self._compact(aggregate_id, lowest, head_version, cutoff, pending)
            if below > lowest:
                deleted += below - lowest
                await self.marks.update_one(
                    {"_id": aggregate_id}, {"$max": {"below": below}}, upsert=True
                )
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
