"""Importing a union's roster (EN-07): by file (CSV, cp932 or UTF-8) or by API (JSON).

All or nothing, idempotent, in constant memory:

1. The whole input is read and checked first (``roster_files.spool``), in a worker thread; a
   bad line refuses the import naming its line and field, and nothing was written.
2. If the roster in force has the same digest (the same lines and restrictions), nothing
   changes: the same file twice is one version.
3. The buckets go into a collection of the import's own, which nobody reads yet.
4. The switch is one insert of the roster's next version (X-13); a parallel import of the same
   file that loses the race finds the same digest in force and drops its own collection.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from servicekit.logs import get_logger
from services.enroll.domain import roster
from services.enroll.domain.roster import Restrictions, Roster
from services.enroll.store.rosters import roster_aggregate_id
from services.enroll.usecases import roster_encoding, roster_files
from services.enroll.usecases.context import Context

log = get_logger(__name__)

WRITE_BATCH = 64
"""Bucket documents per insert (about 32,000 lines, 500 KB compressed)."""


@dataclass(frozen=True)
class Imported:
    roster: Roster
    version: int
    changed: bool


class RosterImports:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.rosters = context.store.rosters
        self.policy = context.rosters

    async def current(self, insurer_number: str) -> tuple[Roster, int] | None:
        found = await self.rosters.heads.load(roster_aggregate_id(insurer_number))
        return None if found.state is None else (found.state, found.version)

    async def import_file(
        self,
        insurer_number: str,
        path: Path,
        encoding: str,
        restrictions: Restrictions,
        tracker: roster_files.Tracker | None = None,
    ) -> Imported:
        """A CSV file already on disk (the upload is spooled there as it arrives); ``tracker``
        follows its reading and writing (the console's progress bar)."""
        chosen, size = await asyncio.to_thread(roster_encoding.probe, path, encoding)
        tracker = tracker or roster_files.Tracker()
        tracker.bytes_total = size

        def spooled(spool: roster_files.Spool) -> roster_files.Spooled:
            return roster_files.spool_file(path, chosen, spool, restrictions)

        estimated = size // self.policy.bytes_per_row
        return await self._import(insurer_number, spooled, estimated, restrictions, tracker)

    async def import_rows(
        self,
        insurer_number: str,
        rows: Sequence[Mapping[str, str]],
        restrictions: Restrictions,
    ) -> Imported:
        """The API's rows: the same checks, the n-th row named as line n."""
        names = [*roster.COLUMNS, "former_symbol", "former_number"]
        columns = {name: i for i, name in enumerate(names)}
        lines = ((i, [r.get(n, "") for n in names]) for i, r in enumerate(rows, start=1))

        def spooled(spool: roster_files.Spool) -> roster_files.Spooled:
            return roster_files.spool_rows(lines, columns, spool, restrictions)

        return await self._import(
            insurer_number, spooled, len(rows), restrictions, roster_files.Tracker()
        )

    async def _import(
        self,
        insurer_number: str,
        read: Callable[[roster_files.Spool], roster_files.Spooled],
        estimated_rows: int,
        restrictions: Restrictions,
        tracker: roster_files.Tracker,
    ) -> Imported:
        with tempfile.TemporaryDirectory(prefix="roster-") as tmp:
            spool = roster_files.Spool(
                insurer=insurer_number,
                today=self.context.today(),
                buckets=roster.bucket_count(estimated_rows, self.policy.rows_per_bucket),
                salt=secrets.randbits(32),
                directory=Path(tmp),
                tracker=tracker,
            )
            spooled = await asyncio.to_thread(read, spool)
            in_force = await self.current(insurer_number)
            if in_force is not None and in_force[0].digest == spooled.digest:
                log.info("roster unchanged", insurer_number=insurer_number, rows=spooled.rows)
                return Imported(in_force[0], in_force[1], changed=False)
            import_id = uuid.uuid4().hex
            collection = await self.rosters.begin(import_id, insurer_number)
            try:
                await self._write(collection, spooled.partitions, tracker)
            except BaseException:
                await self.rosters.abandon(import_id, collection)
                raise
        new = Roster(
            insurer_number=insurer_number,
            collection=collection,
            buckets=spooled.buckets,
            rows=spooled.rows,
            digest=spooled.digest,
            restrictions=restrictions,
            imported_at=self.context.clock.now(),
            salt=spooled.salt,
        )
        changed = await self.rosters.heads.update(
            roster_aggregate_id(insurer_number), lambda current: roster.in_force(current, new)
        )
        if not changed:
            await self.rosters.abandon(import_id, collection)
        found = await self.current(insurer_number)
        assert found is not None, "a roster is in force after an import"
        log.info(
            "roster imported" if changed else "roster unchanged",
            insurer_number=insurer_number,
            rows=spooled.rows,
            version=found[1],
        )
        return Imported(found[0], found[1], changed)

    async def _write(
        self, collection: str, partitions: list[Path], tracker: roster_files.Tracker
    ) -> None:
        """Each partition grouped into buckets (in a thread) while the last one is written."""
        written = 0
        tracker.parts_total = len(partitions)
        pending: asyncio.Task[None] | None = None
        try:
            for path in partitions:
                buckets = await asyncio.to_thread(roster_files.partition_buckets, path)
                if pending is not None:
                    await pending
                    tracker.parts_written += 1
                pending = asyncio.create_task(self._insert(collection, buckets))
                written += len(buckets)
        finally:  # never leave a write running behind a refusal: it would outlive the drop
            if pending is not None:
                await asyncio.gather(pending, return_exceptions=True)
        if pending is not None:
            pending.result()
            tracker.parts_written += 1
        log.info("roster buckets written", collection=collection, buckets=written)

    async def _insert(self, collection: str, buckets: list[tuple[int, bytes]]) -> None:
        for start in range(0, len(buckets), WRITE_BATCH):
            await self.rosters.write(collection, buckets[start : start + WRITE_BATCH])

    async def maintain(self, insurer_number: str, on: bool, by: str) -> Imported:
        """Support marks the union under kencom maintenance, or ends it (EN-10): its card
        checks answer the seed's guidance within ``ROSTER_CACHE_SECONDS``."""
        now = self.context.clock.now()
        changed = await self.rosters.heads.update(
            roster_aggregate_id(insurer_number),
            lambda current: roster.maintain(current, on, by, now),
        )
        found = await self.current(insurer_number)
        assert found is not None, "a union marked has a roster"
        log.info(
            "union maintenance" if on else "union maintenance ended",
            insurer_number=insurer_number,
            by=by,
            changed=changed,
        )
        return Imported(found[0], found[1], changed)

    async def drop_unused(self) -> int:
        """The job that keeps one roster per union (X-14)."""
        return await self.rosters.drop_unused(
            timedelta(seconds=self.policy.importing), timedelta(seconds=self.policy.reading)
        )
