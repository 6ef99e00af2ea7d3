"""The outbox relay of X-03 against the real broker and database, and its lease among
replicas (X-16), whose terms an injected clock moves."""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from factories import status_changed
from harness import Infra, Namespace, eventually, read_topic
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.clock import ManualClock, SystemClock
from servicekit.lease import DEFAULT_TERM, RelayLease
from servicekit.publish import Publisher
from servicekit.relay import OutboxRelay
from servicekit.store import Change, Loaded, StoredEvent, VersionedStore

pytestmark = pytest.mark.integration


def toggle(current: Loaded) -> Change[int]:
    n = (current.state or {}).get("n", 0) + 1
    return Change(
        outcome=n, state={"n": n}, events=[status_changed(current.aggregate_id, n, cid=f"cid-{n}")]
    )


def publisher_for(infra: Infra, ns: Namespace) -> Publisher:
    return Publisher(infra.kafka_bootstrap_servers, "test-relay", lambda t: ns.topic_prefix + t)


async def test_x_03_relay_publishes_every_commit_in_order_per_subject_and_clears_markers(
    infra: Infra, ns: Namespace, db: AsyncDatabase[dict[str, Any]]
) -> None:
    store = VersionedStore(db, ManualClock())
    subjects = [f"user-{i}" for i in range(5)]
    for _ in range(4):
        for s in subjects:
            await store.update(s, toggle)
    publisher = publisher_for(infra, ns)
    relay = OutboxRelay(store, publisher, store.clock)
    try:
        assert await relay.publish_pending() == 20
        assert await relay.publish_pending() == 0, "published markers are gone"
    finally:
        await publisher.stop()

    records = await read_topic(
        infra.kafka_bootstrap_servers, ns.topic_prefix + "identity.events", 20
    )
    assert len(records) == 20
    by_key: dict[bytes, list[str]] = defaultdict(list)
    for r in records:
        body = json.loads(r.value)
        assert r.key == body["subject_id"].encode(), "the Kafka key is the subject id (X-01)"
        # ``traceparent`` too once this process has configured tracing (X-20: test_x_20_traces)
        headers = {k: v for k, v in r.headers if k != "traceparent"}
        assert headers == {
            "event_type": body["type"].encode(),
            "event_id": body["event_id"].encode(),
            "correlation_id": body["correlation_id"].encode(),
        }, "the headers every publisher sets (servicekit.publish)"
        by_key[r.key].append(body["note"])
    assert {k: v for k, v in by_key.items()} == {
        s.encode(): [f"toggle {n}" for n in range(1, 5)] for s in subjects
    }, "one subject's events arrive in commit order"


async def test_x_03_a_batch_sent_again_after_a_crash_repeats_events_with_the_same_ids(
    infra: Infra, ns: Namespace, db: AsyncDatabase[dict[str, Any]]
) -> None:
    """A relay that dies after sending and before clearing markers sends the batch again:
    at-least-once, with the same event ids, which is what idempotent consumers key on."""
    store = VersionedStore(db, ManualClock())
    await store.update("user-x", toggle)
    markers = await store.outbox.find({}).to_list()
    for _ in range(2):
        publisher = publisher_for(infra, ns)
        try:
            assert await OutboxRelay(store, publisher, store.clock).publish_pending() == 1
        finally:
            await publisher.stop()
        await store.outbox.insert_many(markers)  # as if the crash came before the delete
    records = await read_topic(
        infra.kafka_bootstrap_servers, ns.topic_prefix + "identity.events", 2
    )
    ids = [json.loads(r.value)["event_id"] for r in records]
    assert len(ids) == 2 and ids[0] == ids[1]


async def test_x_16_a_relay_forgets_the_commits_another_relay_published(
    infra: Infra, ns: Namespace, db: AsyncDatabase[dict[str, Any]]
) -> None:
    """Two replicas on one outbox: commits written through A's store are published by B. A
    remembered them (they carry state, password hashes included); its next pass sees their
    markers gone and forgets them, instead of holding them for ever."""
    clock = ManualClock()
    store_a, store_b = VersionedStore(db, clock), VersionedStore(db, clock)
    publisher_a, publisher_b = publisher_for(infra, ns), publisher_for(infra, ns)
    relay_a = OutboxRelay(store_a, publisher_a, clock)
    relay_b = OutboxRelay(store_b, publisher_b, clock)
    try:
        for i in range(5):
            await store_a.update(f"user-{i}", toggle)
        assert relay_a.remembered == 5
        assert await relay_b.publish_pending() == 5
        assert await relay_a.publish_pending() == 0
        assert relay_a.remembered == 0
    finally:
        await publisher_a.stop()
        await publisher_b.stop()


async def test_x_16_a_relay_in_a_backlog_forgets_commits_older_than_a_few_seconds(
    infra: Infra, ns: Namespace, db: AsyncDatabase[dict[str, Any]]
) -> None:
    """While the outbox holds more than one pass reads, a pass cannot tell a marker another
    relay deleted from one it has not reached: there the age bound forgets what B published."""
    clock = ManualClock()
    store_a, store_b = VersionedStore(db, clock), VersionedStore(db, clock)
    publisher_a, publisher_b = publisher_for(infra, ns), publisher_for(infra, ns)
    relay_a = OutboxRelay(store_a, publisher_a, clock, batch_size=1)
    relay_b = OutboxRelay(store_b, publisher_b, clock)
    try:
        for i in range(3):
            await store_a.update(f"user-{i}", toggle)
        assert await relay_b.publish_pending() == 3
        for i in range(3):
            await store_b.update(f"other-{i}", toggle)  # B's process writes a backlog
        assert await relay_a.publish_pending() == 1
        assert relay_a.remembered == 3, "young, and the full pass cannot tell"
        clock.advance(timedelta(seconds=10, milliseconds=1))
        assert await relay_a.publish_pending() == 1
        assert relay_a.remembered == 0
    finally:
        await publisher_a.stop()
        await publisher_b.stop()


async def test_x_03_a_hook_after_publishing_runs_for_every_commit_even_after_it_failed(
    infra: Infra, ns: Namespace, db: AsyncDatabase[dict[str, Any]]
) -> None:
    """What a commit must also cause in its owner's process (identity's session reaper) runs
    after Kafka has the events and before the markers go: a failure leaves the markers, and the
    next pass runs it again."""
    store = VersionedStore(db, ManualClock())
    for subject in ("user-a", "user-b"):
        await store.update(subject, toggle)
    seen: list[str] = []
    failures = [RuntimeError("the database went away")]

    async def hook(published: Sequence[StoredEvent]) -> None:
        if failures:
            raise failures.pop()
        seen.extend(e.key for e in published)

    publisher = publisher_for(infra, ns)
    relay = OutboxRelay(store, publisher, store.clock)
    relay.after_publish(hook)
    try:
        with pytest.raises(RuntimeError):
            await relay.publish_pending()
        assert await store.outbox.count_documents({}) == 2, "the markers stay"
        assert await relay.publish_pending() == 2
    finally:
        await publisher.stop()
    assert sorted(seen) == ["user-a", "user-b"]
    assert await store.outbox.count_documents({}) == 0


async def test_x_16_one_replica_holds_the_outbox_lease_for_as_long_as_it_lives(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    clock = ManualClock()
    a, b = (RelayLease(db["outbox_leases"], clock, holder=h) for h in ("a", "b"))
    assert await a.held() and not await b.held()
    for _ in range(5):
        clock.advance(DEFAULT_TERM)
        assert not await b.held(), "the holder claimed this term while the last one ran"
        assert await a.held()
    assert await db["outbox_leases"].count_documents({}) <= 3, "old terms are deleted (X-14)"


async def test_x_16_a_killed_holders_lease_passes_to_another_replica_within_two_terms(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    clock = ManualClock()
    a, b = (RelayLease(db["outbox_leases"], clock, holder=h) for h in ("a", "b"))
    assert await a.held()  # and claims the next term; then it is SIGKILLed: it asks no more
    assert not await b.held()
    clock.advance(DEFAULT_TERM)
    assert not await b.held(), "the dead holder had claimed this term already"
    clock.advance(DEFAULT_TERM)
    assert await b.held()
    clock.advance(DEFAULT_TERM)
    assert await b.held(), "and keeps it"


async def test_x_16_a_stopped_holder_releases_the_lease_to_the_next_replica_at_once(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    clock = ManualClock()
    a, b = (RelayLease(db["outbox_leases"], clock, holder=h) for h in ("a", "b"))
    assert await a.held() and not await b.held()
    await a.release()  # its process stops gracefully
    b = RelayLease(db["outbox_leases"], clock, holder="b")  # the replica started next
    assert await b.held()
    assert not await a.held()


async def test_x_16_relays_of_two_replicas_running_together_publish_each_event_once(
    infra: Infra, ns: Namespace, db: AsyncDatabase[dict[str, Any]]
) -> None:
    """Both replicas commit; both relays run their loops; Kafka gets every event exactly once:
    the normal case publishes nothing twice."""
    clock = SystemClock()
    stores = [VersionedStore(db, clock), VersionedStore(db, clock)]
    publishers = [publisher_for(infra, ns), publisher_for(infra, ns)]
    relays = [
        OutboxRelay(s, p, clock, poll_seconds=0.05) for s, p in zip(stores, publishers, strict=True)
    ]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        await asyncio.gather(
            *(stores[i % 2].update(f"user-{i}", toggle) for i in range(300)),
        )
        await eventually(lambda: _drained(stores[0]), timeout=60)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for publisher in publishers:
            await publisher.stop()
    records = await read_topic(
        infra.kafka_bootstrap_servers, ns.topic_prefix + "identity.events", 301, timeout=3
    )
    published = Counter(json.loads(r.value)["event_id"] for r in records)
    assert len(published) == 300
    assert [ids for ids, n in published.items() if n > 1] == [], "no event published twice"


async def _drained(store: VersionedStore) -> bool:
    return await store.outbox.count_documents({}) == 0
