"""Where rosters live (EN-07), designed for what FerretDB 1.24 does atomically and fast.

- Each import writes its buckets into a collection of its own, ``roster.<import id>``: one
  document per bucket, ``_id`` = ``b<bucket>``, its lines as one zlib-compressed text.
  Nobody reads it yet.
- The union's roster is an aggregate of the versioned store, ``roster:<保険者番号>``, whose
  state names the collection in force. Switching to a new import is the insert of the next
  version (X-13): all or nothing, with no multi-document transaction, and two parallel imports
  of the same file race for one ``_id`` and leave one version.
- A check reads the head, then one bucket by ``_id``, the one lookup FerretDB pushes down.
- ``roster_imports`` lists every import's collection. A job drops the collections no head
  names once nobody can be reading them (a collection left behind by a crash, a superseded
  version after a grace), so storage holds one roster per union (X-14).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bson import Binary
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.facts import insert_new
from servicekit.logs import get_logger
from servicekit.repository import Repository
from servicekit.store import VersionedStore
from services.enroll.domain.roster import Roster
from services.enroll.store import documents

log = get_logger(__name__)

Document = dict[str, Any]


def roster_aggregate_id(insurer_number: str) -> str:
    return f"roster:{insurer_number}"


def bucket_id(index: int) -> str:
    """A text ``_id``: FerretDB's pushed-down ``_id`` lookups are indexed for text keys."""
    return f"b{index:07d}"


class Rosters:
    def __init__(self, db: AsyncDatabase[Document], versioned: VersionedStore) -> None:
        self.db = db
        self.clock = versioned.clock
        self.heads: Repository[Roster] = Repository(
            versioned, documents.roster_to_document, documents.roster_from_document
        )
        self.imports = db["roster_imports"]

    async def current(self, insurer_number: str) -> Roster | None:
        return await self.heads.get(roster_aggregate_id(insurer_number))

    async def bucket(self, roster: Roster, index: int) -> str:
        found = await self.db[roster.collection].find_one({"_id": bucket_id(index)})
        return "" if found is None else zlib.decompress(found["rows"]).decode()

    async def begin(self, import_id: str, insurer_number: str) -> str:
        """Register an import's collection before writing it, so a crash leaves it findable."""
        collection = f"roster.{import_id}"
        await self.imports.insert_one(
            {
                "_id": import_id,
                "insurer_number": insurer_number,
                "collection": collection,
                "started_at": self.clock.now(),
                "left_at": None,
            }
        )
        return collection

    async def write(self, collection: str, buckets: Sequence[tuple[int, bytes]]) -> None:
        """Buckets (compressed lines) of an import not in force yet; a repeat of a bucket is
        the same bucket."""
        await insert_new(
            self.db[collection],
            [{"_id": bucket_id(i), "rows": Binary(rows)} for i, rows in buckets],
        )

    async def abandon(self, import_id: str, collection: str) -> None:
        """An import that will never be in force (refused, or a parallel twin won)."""
        await self.db.drop_collection(collection)
        await self.imports.delete_one({"_id": import_id})

    async def drop_unused(self, importing: timedelta, reading: timedelta) -> int:
        """Drop the collections no roster names: an import still running (started less than
        ``importing`` ago) is left alone, and a collection that stopped being in force is kept
        ``reading`` longer for checks that read the head just before the switch."""
        now = self.clock.now()
        dropped = 0
        async for found in self.imports.find({}):
            roster = await self.current(found["insurer_number"])
            if roster is not None and roster.collection == found["collection"]:
                continue
            if found["started_at"] > now - importing:
                continue
            left_at: datetime | None = found.get("left_at")
            if left_at is None:
                await self.imports.update_one({"_id": found["_id"]}, {"$set": {"left_at": now}})
            elif left_at <= now - reading:
                await self.abandon(found["_id"], found["collection"])
                dropped += 1
        if dropped:
            log.info("roster collections dropped", collections=dropped)
        return dropped


class RosterCache:
    """The rosters in force, as checks read them: each union's head is read again after
    ``ttl`` seconds (monotonic), so a check costs one read (its bucket) instead of four. A new
    roster is in force for checks within ``ttl``; the one it replaced stays readable far
    longer (``drop_unused``'s ``reading``), so a check never misses a bucket."""

    def __init__(self, rosters: Rosters, ttl: float) -> None:
        self.rosters = rosters
        self.ttl = ttl
        self._heads: dict[str, tuple[float, Roster | None]] = {}

    async def current(self, insurer_number: str) -> Roster | None:
        now = time.monotonic()
        cached = self._heads.get(insurer_number)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        found = await self.rosters.current(insurer_number)
        if len(self._heads) > 10_000:  # bounded: unions number in the thousands
            self._heads.clear()
        self._heads[insurer_number] = (now, found)
        return found
