"""The outbox relay (X-03): publishes committed events to Kafka at least once, ordered per subject.

One task per service process. It wakes when the store commits (and polls, for commits written by
other processes or left behind by a crash), reads a batch of pending markers, takes their commits
from what this process saw committed or else fetches them by ``_id``, sends every event with the
idempotent producer (``acks=all``), keyed by the subject id so one subject's events stay in one
partition in order, and only then deletes the markers. A crash anywhere before the delete means the
batch is sent again: consumers are idempotent by ``event_id``, so nothing is lost and no effect
repeats.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge
from pymongo import DeleteOne

from servicekit.clock import Clock
from servicekit.logs import get_logger
from servicekit.store import Document, StoredEvent, VersionedStore, gather_limited

log = get_logger(__name__)

EVENTS_PUBLISHED = Counter(
    "outbox_events_published_total", "Events the outbox relay published to Kafka", ["topic"]
)
#: Commits kept in memory for the relay; a burst beyond this is read back from the database.
SEEN_COMMITS_KEPT = 10_000

PENDING = Gauge("outbox_pending_markers", "Pending outbox markers seen by the last relay pass")


def make_producer(bootstrap_servers: str, client_id: str) -> AIOKafkaProducer:
    """An idempotent producer: retries cannot duplicate or reorder within a partition."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=30_000,
    )


class OutboxRelay:
    def __init__(
        self,
        store: VersionedStore,
        producer: AIOKafkaProducer,
        topic_of: Callable[[str], str],
        clock: Clock,
        *,
        poll_seconds: float = 0.5,
        batch_size: int = 1000,
        orphan_grace: timedelta = timedelta(minutes=5),
    ) -> None:
        self.store = store
        self.producer = producer
        self.topic_of = topic_of
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.orphan_grace = orphan_grace
        self._wakeup = asyncio.Event()
        self._seen_committed: dict[str, Document] = {}
        """Commits this process wrote, by marker: one database read less per commit."""
        store.notify_on_commit(self._committed)

    def _committed(self, commit: Document) -> None:
        if len(self._seen_committed) < SEEN_COMMITS_KEPT:  # beyond: read back, as after a crash
            self._seen_committed[commit["marker"]] = commit
        self._wakeup.set()

    async def run(self) -> None:
        """Relay until cancelled; errors are logged and retried with back-off, never fatal."""
        await self.producer.start()
        backoff = self.poll_seconds
        try:
            while True:
                try:
                    sent = await self.publish_pending()
                    backoff = self.poll_seconds
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox relay pass failed; retrying")
                    sent = 0
                    backoff = min(backoff * 2, 10.0)
                if sent < self.batch_size:
                    self._wakeup.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), timeout=backoff)
        finally:
            await self.producer.stop()

    async def publish_pending(self) -> int:
        """One pass over at most ``batch_size`` markers; returns how many commits it published."""
        markers: list[Document] = await self.store.outbox.find({}).limit(self.batch_size).to_list()
        PENDING.set(len(markers))
        if not markers:
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
        await self._send([StoredEvent.from_document(e) for _, c in ready for e in c["events"]])
        done = [m for m, _ in ready] + dropped
        # One round trip of single-``_id`` deletes: each is an index search on MongoDB and on
        # FerretDB, where a ``{"_id": {"$in": [...]}}`` filter is not pushed down and would scan
        # the whole outbox once per batch, slowing the drain of a backlog quadratically.
        if done:
            await self.store.outbox.bulk_write(
                [DeleteOne({"_id": m["_id"]}) for m in done], ordered=False
            )
        return len(ready)

    async def _commit_of(self, marker: Document) -> Document | None:
        seen = self._seen_committed.pop(marker["_id"], None)
        if seen is not None:
            return seen
        found: Document | None = await self.store.commits.find_one({"_id": marker["commit_id"]})
        return found

    async def _send(self, events: list[StoredEvent]) -> None:
        futures: list[asyncio.Future[Any]] = []
        for event in events:
            topic = self.topic_of(event.topic)
            futures.append(
                await self.producer.send(
                    topic,
                    value=event.json.encode(),
                    key=event.key.encode(),
                    headers=[
                        ("event_type", event.type.encode()),
                        ("event_id", event.event_id.encode()),
                        ("correlation_id", event.correlation_id.encode()),
                    ],
                )
            )
        await asyncio.gather(*futures)
        for event in events:
            EVENTS_PUBLISHED.labels(topic=event.topic).inc()


def _age(now: datetime, marker: Document) -> timedelta:
    created: datetime = marker["created_at"]  # the client is tz_aware: stored UTC comes back aware
    return now - created
