"""The outbox relay (X-03): publishes committed events to Kafka at least once, ordered per subject.

One task per service process; with several replicas (X-16) only the holder of the outbox lease
(:mod:`servicekit.lease`) publishes, so the normal case publishes each event once. It wakes when
the store commits (and polls, for commits written by other processes or left behind by a crash),
reads a batch of pending markers, takes their commits from what this process saw committed or
else fetches them by ``_id``, sends every event with the idempotent producer (``acks=all``),
keyed by the subject id so one subject's events stay in one partition in order, and only then
deletes the markers. A crash anywhere before the delete means the batch is sent again: consumers
are idempotent by ``event_id``, so nothing is lost and no effect repeats.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from prometheus_client import Counter, Gauge
from pymongo import DeleteOne

from servicekit.clock import Clock
from servicekit.lease import RelayLease
from servicekit.logs import get_logger
from servicekit.publish import Publisher
from servicekit.store import Document, StoredEvent, VersionedStore, gather_limited
from servicekit.supervise import Backoff

log = get_logger(__name__)

AfterPublish = Callable[[Sequence[StoredEvent]], Awaitable[None]]

#: Commits kept in memory for the relay; a burst beyond this is read back from the database.
SEEN_COMMITS_KEPT = 10_000
#: A commit this relay has not published within this time is most likely another replica's
#: work (X-16) or deep in a backlog: one read more is then cheaper than holding it (and the
#: password hash in its state) in memory.
SEEN_COMMITS_MAX_AGE = timedelta(seconds=10)

#: The longest wait between two attempts of a relay that cannot reach Kafka or the database.
MAX_BACKOFF_SECONDS = 10.0

FAILED_PASSES = Counter(
    "outbox_relay_failed_passes_total", "Relay passes that failed and are tried again"
)
PENDING = Gauge("outbox_pending_markers", "Pending outbox markers seen by the last relay pass")
REMEMBERED = Gauge(
    "outbox_remembered_commits", "Commits the relay holds in memory to spare a database read"
)
OLDEST_UNPUBLISHED = Gauge(
    "outbox_oldest_unpublished_age_seconds",
    "Age of the oldest commit this relay knows is not published yet; 0 when it knows none",
)


class OutboxRelay:
    def __init__(
        self,
        store: VersionedStore,
        publisher: Publisher,
        clock: Clock,
        *,
        poll_seconds: float = 0.5,
        batch_size: int = 1000,
        orphan_grace: timedelta = timedelta(minutes=5),
        lease: RelayLease | None = None,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.orphan_grace = orphan_grace
        self.lease = lease or RelayLease(store.outbox.database["outbox_leases"], clock)
        """Whose turn it is among the replicas' relays (X-16); ``run`` asks it before a pass."""
        self.healthy = False
        """Whether the last attempt reached Kafka and the database: ``/readyz`` shows it."""
        self._wakeup = asyncio.Event()
        self._after_publish: list[AfterPublish] = []
        self._seen_committed: dict[str, Document] = {}
        self._waiting_since: datetime | None = None
        """When the oldest commit this relay knows to be unpublished was made (X-19): from the
        markers its passes read and from this process's own commits, kept in memory, so that
        measuring how far the relay is behind costs no read of its own (FerretDB on SQLite
        scans a collection for any filter but ``_id``)."""
        self._first_since_read: datetime | None = None
        """The first own commit since the current pass read the outbox: the pass cannot have
        published it."""
        OLDEST_UNPUBLISHED.set_function(self.behind_seconds)
        """Commits this process wrote, by marker, in commit order: one database read less per
        commit. Bounded in size, in age, and by what the outbox still holds: with several
        replicas, another relay often publishes (and deletes the marker of) a commit first."""
        store.notify_on_commit(self._committed)

    def after_publish(self, hook: AfterPublish) -> None:
        """Run ``hook`` on every batch of events once Kafka has it and before its markers go:
        a hook that fails fails the pass, which is tried again, so it runs at least once for
        every commit, crash or not (an effect that a commit must have, done by its owner's
        process without consuming its own topic). It must be idempotent."""
        self._after_publish.append(hook)

    @property
    def remembered(self) -> int:
        """How many commits the relay holds in memory."""
        return len(self._seen_committed)

    def behind_seconds(self) -> float:
        """How long the oldest commit this relay knows to be unpublished has waited; grows
        while passes fail (Kafka away), since nothing resets it but a pass that publishes."""
        if self._waiting_since is None:
            return 0.0
        return max(0.0, (self.clock.now() - self._waiting_since).total_seconds())

    def _committed(self, commit: Document) -> None:
        if self._waiting_since is None:
            self._waiting_since = commit["committed_at"]
        if self._first_since_read is None:
            self._first_since_read = commit["committed_at"]
        if len(self._seen_committed) < SEEN_COMMITS_KEPT:  # beyond: read back, as after a crash
            self._seen_committed[commit["marker"]] = commit
        self._wakeup.set()

    async def run(self) -> None:
        """Relay until cancelled. A pass that fails (Kafka or the database away, even when the
        process starts) is logged and tried again after back-off, and the relay reports itself
        unhealthy until a pass succeeds; commits written meanwhile wait in the outbox."""
        try:
            await self._relay()
        finally:  # stopped (cancelled): the next replica need not wait for the lease's terms
            with contextlib.suppress(Exception):
                await self.lease.release()

    async def _relay(self) -> None:
        backoff = Backoff(self.poll_seconds, MAX_BACKOFF_SECONDS)
        while True:
            self._wakeup.clear()  # a commit from here on wakes the next pass at once
            try:
                await self.publisher.start()
                if await self.lease.held():
                    sent = await self.publish_pending()
                else:  # another replica's turn: it reads our commits back from the outbox
                    sent = 0
                    self._forget_aged()
                    self._waiting_since = None  # the holder's relay shows how far behind it is
            except Exception as err:
                self.healthy = False
                FAILED_PASSES.inc()
                delay = backoff.next()
                log.exception(
                    "outbox relay pass failed; retrying",
                    error=f"{type(err).__name__}: {err}",
                    retry_in=round(delay, 3),
                )
                await asyncio.sleep(delay)
                continue
            self.healthy = True
            backoff.reset()
            if sent < self.batch_size:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for loses a cancellation
                # that arrives as the event is set, and the relay would then never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_seconds):
                        await self._wakeup.wait()

    async def publish_pending(self) -> int:
        """One pass over at most ``batch_size`` markers; returns how many commits it published."""
        remembered = list(self._seen_committed)
        self._first_since_read = None
        markers: list[Document] = await self.store.outbox.find({}).limit(self.batch_size).to_list()
        PENDING.set(len(markers))
        self._forget(remembered, markers)
        self._wait_for(markers)
        if not markers:
            self._waiting_since = self._first_since_read
            return 0
        commits = await gather_limited(self._commit_of, markers)
        ready: list[tuple[Document, Document]] = []
        dropped: list[Document] = []
        now = self.clock.now()
        for marker, commit in zip(markers, commits, strict=True):
            if commit is not None and commit["marker"] == marker["_id"]:
                ready.append((marker, commit))
            elif commit is not None or _age(now, marker) > self.orphan_grace:
                dropped.append(marker)  # a writer that lost its race, or one that crashed
        ready.sort(key=lambda pair: pair[1]["_id"])  # subject, then version
        events = [
            StoredEvent.from_document(e, c.get("traceparent"))
            for _, c in ready
            for e in c["events"]
        ]
        await self.publisher.publish_stored(events)
        for hook in self._after_publish:
            await hook(events)
        done = [m for m, _ in ready] + dropped
        # One round trip of single-``_id`` deletes: each is an index search on MongoDB and on
        # FerretDB, where a ``{"_id": {"$in": [...]}}`` filter is not pushed down and would scan
        # the whole outbox once per batch, slowing the drain of a backlog quadratically.
        if done:
            await self.store.outbox.bulk_write(
                [DeleteOne({"_id": m["_id"]}) for m in done], ordered=False
            )
        if len(markers) < self.batch_size:  # all read were published, or are not ready yet
            self._waiting_since = self._first_since_read
        return len(ready)

    def _wait_for(self, markers: list[Document]) -> None:
        """Markers just read are unpublished until this pass publishes them: if it fails
        (Kafka away, a hook failing), the oldest of them, or an older own commit, keeps waiting.
        A marker whose commit is not written yet counts too, until a pass succeeds."""
        times = [m["created_at"] for m in markers]
        if self._waiting_since is not None:
            times.append(self._waiting_since)
        self._waiting_since = min(times, default=None)

    def _forget(self, remembered: list[str], markers: list[Document]) -> None:
        """Drop the commits whose markers are gone, and those older than the age bound.

        ``remembered`` was taken before the scan, so each of its markers was inserted before
        the scan began (a marker precedes its commit). A scan that read the whole outbox (fewer
        than ``batch_size``) and did not find one means another relay published it.
        """
        if len(markers) < self.batch_size:
            pending = {m["_id"] for m in markers}
            for marker in remembered:
                if marker not in pending:
                    self._seen_committed.pop(marker, None)
        self._forget_aged()

    def _forget_aged(self) -> None:
        """Drop the commits older than the age bound (kept in commit order)."""
        cutoff = self.clock.now() - SEEN_COMMITS_MAX_AGE
        for marker, commit in list(self._seen_committed.items()):
            if commit["committed_at"] >= cutoff:
                break  # kept in commit order: the rest are younger
            del self._seen_committed[marker]
        REMEMBERED.set(len(self._seen_committed))

    async def _commit_of(self, marker: Document) -> Document | None:
        seen = self._seen_committed.pop(marker["_id"], None)
        if seen is not None:
            return seen
        found: Document | None = await self.store.commits.find_one({"_id": marker["commit_id"]})
        return found


def _age(now: datetime, marker: Document) -> timedelta:
    created: datetime = marker["created_at"]  # the client is tz_aware: stored UTC comes back aware
    return now - created
