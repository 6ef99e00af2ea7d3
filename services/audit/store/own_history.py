"""One's own history (AU-07) as aggregates of the versioned store: one per user and month.

Why not a filter on the access records: FerretDB 1.24 on SQLite pushes down no filter but
``_id`` equality (docs/decisions/0015), so "this member's records" would scan every record of
the realm, a member having no organisation to narrow it. A bucket's ``_id`` is known from the
user and the month, so a page reads at most four buckets by ``_id``
(docs/decisions/0017-own-history-in-monthly-buckets.md).

Writes go through the store's insert-only commits (X-13), since the consumers of two topics may
add rows of one user at once; compaction keeps each bucket's latest version only (X-14). The
consumer remembers the version it wrote last, so its next write of the bucket needs no read;
another writer in between costs one lost race and a reload.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from servicekit.store import Change, Loaded, VersionedStore, gather_limited
from services.audit.domain.own_history import OwnRow, by_bucket, with_rows

PREFIX: Final = "own:"


class OwnHistories:
    def __init__(self, store: VersionedStore) -> None:
        self.store = store

    async def add(self, realm: str, user_id: str, rows: Sequence[OwnRow]) -> None:
        """The user's new rows, into their months' buckets; rows there already change nothing."""
        months = by_bucket(rows)
        await gather_limited(
            lambda month: self._add(bucket_id(month, realm, user_id), months[month]), list(months)
        )

    async def of(self, realm: str, user_id: str, months: Sequence[str]) -> list[OwnRow]:
        """Every row the user's buckets of those months hold, in no order."""
        loaded = await gather_limited(
            lambda month: self.store.load(bucket_id(month, realm, user_id)), list(months)
        )
        return [row for bucket in loaded for row in _rows(bucket)]

    async def purge_before(self, month: str) -> int:
        """Delete the buckets of every month before ``month`` whole; answers how many versions
        went. Nothing writes to them any more: the consumer skips rows outside the window."""
        return await self.store.drop_between(PREFIX, f"{PREFIX}{month}")

    async def _add(self, aggregate_id: str, rows: list[OwnRow]) -> None:
        """A bucket's next version; the store decides on the version it remembers (a busy
        user's bucket is written often), and a stale one only loses the race (X-13)."""

        def decide(loaded: Loaded) -> Change[None]:
            merged = with_rows(_rows(loaded), rows)
            if merged is None:
                return Change.nothing(None)
            return Change(None, {"rows": [r.to_document() for r in merged]})

        await self.store.update(aggregate_id, decide)


def bucket_id(month: str, realm: str, user_id: str) -> str:
    """The month first, so that the purge deletes closed months by one range of ids."""
    return f"{PREFIX}{month}:{realm}:{user_id}"


def _rows(loaded: Loaded) -> tuple[OwnRow, ...]:
    return tuple(OwnRow.from_document(d) for d in (loaded.state or {}).get("rows", []))
