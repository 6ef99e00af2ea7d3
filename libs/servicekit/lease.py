"""Which replica's outbox relay publishes now (X-16): a lease in terms, claimed by insert (X-13).

Several replicas of a service share one outbox. If every relay published every marker it read,
each event would go out once per replica; consumers would drop the repeats (X-03), but the
normal case would do the work N times. So one relay at a time publishes: the *holder* of the
current term.

Why terms and inserts, not ``find_one_and_update`` with an owner and an expiry: on FerretDB 1.x
a conditional update is not atomic (X-13), so two relays could both "take" an expired lease.
Time is cut into terms of ``term`` seconds; the lease of term ``n`` is the document ``_id = n``,
and whoever inserts it first holds it (E11000 tells the others). The holder of term ``n`` claims
term ``n + 1`` while ``n`` runs, so a live holder keeps the outbox for as long as it lives, and
the others learn in one read per term that they do not hold it. A holder that dies (SIGKILL)
has at most claimed the next term: another replica takes over within two terms. One that stops
gracefully releases its terms, and the next replica takes over at once.

What the lease cannot prevent: a holder stalled for longer than a whole term (its event loop
blocked, its host paused) may finish a pass after another relay took the next term, and that
pass's events go out twice. That is the at-least-once X-03 allows, never a loss.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Gauge
from pymongo.errors import DuplicateKeyError

from servicekit.clock import Clock

#: How long a term lasts: the longest a surviving replica waits for a dead holder is two terms.
DEFAULT_TERM = timedelta(seconds=3)

HOLDING = Gauge("outbox_relay_lease_held", "1 while this replica's relay holds the outbox lease")


class RelayLease:
    """The outbox lease of one replica; ``held()`` answers whether its relay may publish now."""

    def __init__(
        self,
        collection: Any,
        clock: Clock,
        *,
        term: timedelta = DEFAULT_TERM,
        holder: str | None = None,
    ) -> None:
        self.collection = collection
        self.clock = clock
        self.term = term
        self.holder = holder or secrets.token_hex(8)
        """This replica's name in the lease documents: new for every process."""
        self._known: dict[int, bool] = {}
        """Terms whose holder this replica has learnt: whether it is this replica."""

    def term_of(self, instant: datetime) -> int:
        return int(instant.timestamp() // self.term.total_seconds())

    async def held(self) -> bool:
        """Whether this replica holds the current term; claims it if nobody has, and, while
        holding it, claims the next one too. At most two database round trips a term."""
        current = self.term_of(self.clock.now())
        for past in [t for t in self._known if t < current]:
            del self._known[past]
        holds = await self._claim(current)
        if holds and current + 1 not in self._known and await self._claim(current + 1):
            # Terms before the previous one are nobody's any more (X-14: no growth with time).
            await self.collection.delete_many({"_id": {"$lt": current - 1}})
        HOLDING.set(1 if holds else 0)
        return holds

    async def release(self) -> None:
        """Give up the terms this replica holds, as its process stops (SIGTERM): a replica
        started next takes the outbox at once instead of two terms later. A read of a small
        collection, once per process."""
        await self.collection.delete_many({"holder": self.holder})
        self._known.clear()
        HOLDING.set(0)

    async def _claim(self, term: int) -> bool:
        known = self._known.get(term)
        if known is not None:
            return known
        try:
            await self.collection.insert_one(
                {"_id": term, "holder": self.holder, "claimed_at": self.clock.now()}
            )
            holds = True
        except DuplicateKeyError:
            found = await self.collection.find_one({"_id": term})
            holds = found is not None and found.get("holder") == self.holder
        self._known[term] = holds
        return holds
