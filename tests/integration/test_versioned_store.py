"""The versioned store of X-13 on the real database (FerretDB locally, MongoDB under Docker)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from factories import status_changed
from harness import Infra
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.clock import ManualClock
from servicekit.facts import UniqueFacts, insert_new
from servicekit.store import Change, Conflict, Loaded, VersionedStore, commit_id

pytestmark = pytest.mark.integration

WRITERS = 16
CHANGES_PER_WRITER = 8


def increment(current: Loaded) -> Change[int]:
    """A counter that every writer bumps: the shape of a failed-login count or a quota."""
    count = (current.state or {}).get("count", 0) + 1
    return Change(
        outcome=count,
        state={"count": count},
        events=[status_changed(current.aggregate_id, count)],
    )


async def test_x_13_racing_writers_count_every_change_exactly_once(
    infra: Infra, db: AsyncDatabase[dict[str, Any]]
) -> None:
    """Many writers on separate connections race on one aggregate; no change is lost or doubled."""
    clients = [AsyncMongoClient(infra.mongodb_uri, tz_aware=True) for _ in range(4)]
    try:
        stores = [VersionedStore(c[db.name], ManualClock()) for c in clients]

        async def writer(i: int) -> list[int]:
            store = stores[i % len(stores)]
            return [await store.update("counter:1", increment) for _ in range(CHANGES_PER_WRITER)]

        outcomes = await asyncio.gather(*(writer(i) for i in range(WRITERS)))
    finally:
        for c in clients:
            await c.close()

    total = WRITERS * CHANGES_PER_WRITER
    store = VersionedStore(db, ManualClock())
    seen = sorted(n for per_writer in outcomes for n in per_writer)
    assert seen == list(range(1, total + 1)), "each writer saw a distinct count: no lost update"
    latest = await store.load("counter:1")
    assert (latest.version, latest.state) == (total, {"count": total})
    history = await store.history("counter:1")
    assert [c["version"] for c in history] == list(range(1, total + 1))
    assert all(len(c["events"]) == 1 for c in history), "each commit carries its own event (X-03)"
    assert len({c["events"][0]["event_id"] for c in history}) == total
    markers = await store.outbox.find({}).to_list()
    assert sorted(m["commit_id"] for m in markers) == sorted(c["_id"] for c in history), (
        "exactly one pending marker per winning commit; every loser cleaned up its own"
    )


async def test_x_13_append_of_an_existing_version_is_refused(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    store = VersionedStore(db, ManualClock())
    await store.append("user:1", 0, {"n": 1}, [status_changed("user:1", 1)])
    with pytest.raises(Conflict):
        await store.append("user:1", 0, {"n": 99}, [status_changed("user:1", 99)])
    assert (await store.load("user:1")).state == {"n": 1}
    assert await store.outbox.count_documents({}) == 1, "the loser's marker is gone"


async def test_x_13_load_walks_past_a_stale_head_hint(db: AsyncDatabase[dict[str, Any]]) -> None:
    """The head hint may lag (a crash after the commit); the real latest version still wins."""
    store = VersionedStore(db, ManualClock())
    for _ in range(5):
        await store.update("user:2", increment)
    await store.heads.update_one({"_id": "user:2"}, {"$set": {"version": 2}})
    loaded = await store.load("user:2")
    assert (loaded.version, loaded.state) == (5, {"count": 5})
    await store.heads.delete_one({"_id": "user:2"})
    assert (await store.load("user:2")).version == 5
    assert await store.update("user:2", increment) == 6


async def test_x_13_a_refusal_commits_nothing(db: AsyncDatabase[dict[str, Any]]) -> None:
    store = VersionedStore(db, ManualClock())
    outcome = await store.update("user:3", lambda current: Change.nothing("refused"))
    assert outcome == "refused"
    assert not (await store.load("user:3")).exists
    assert await store.commits.find_one({"_id": commit_id("user:3", 1)}) is None


async def test_x_13_a_unique_fact_is_claimed_by_exactly_one_of_many_parallel_claims(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    facts = UniqueFacts(db, "login_ids", ManualClock())
    results = await asyncio.gather(
        *(facts.claim("login:demo:XA3000001", f"u{i}") for i in range(40))
    )
    assert results.count(True) == 1
    winner = f"u{results.index(True)}"
    assert await facts.owner_of("login:demo:XA3000001") == winner
    assert await facts.claim("login:demo:XA3000001", winner), "the owner's retry is idempotent"


async def test_x_04_orphan_markers_expire_by_the_injected_clock(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    """A marker whose writer crashed before its commit is dropped after the grace period."""
    from servicekit.publish import Publisher
    from servicekit.relay import OutboxRelay

    clock = ManualClock()
    store = VersionedStore(db, clock)
    await store.outbox.insert_one(
        {"_id": "m-crashed", "commit_id": "user:9#0000000001", "created_at": clock.now()}
    )
    nowhere = Publisher("127.0.0.1:9", "never-used", str)  # dropping markers publishes nothing
    relay = OutboxRelay(store, nowhere, clock, orphan_grace=timedelta(minutes=5))
    assert await relay.publish_pending() == 0
    assert await store.outbox.count_documents({}) == 1, (
        "young markers may belong to a writer in flight"
    )
    clock.advance(timedelta(minutes=5, seconds=1))
    assert await relay.publish_pending() == 0
    assert await store.outbox.count_documents({}) == 0


async def test_x_13_a_stale_known_version_loses_the_race_and_is_decided_again(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    """``update(known=…)`` skips a read; a version someone else moved past costs one retry."""
    store = VersionedStore(db, ManualClock())
    await store.update("counter:known", increment)
    stale = await store.load("counter:known")
    await store.update("counter:known", increment)  # another writer moves on
    assert await store.update("counter:known", increment, known=stale) == 3
    latest = await store.load("counter:known")
    assert (latest.version, latest.state) == (3, {"count": 3}), "no change lost or doubled"

    def answer_only(current: Loaded) -> Change[int]:
        return Change.nothing((current.state or {})["count"])

    assert await store.update("counter:known", answer_only, known=stale) == 3, (
        "a decision that commits nothing answers from the latest version, not the stale one"
    )


async def test_x_13_trusting_the_hint_still_finds_an_aggregate_whose_hint_was_lost(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    store = VersionedStore(db, ManualClock())
    await store.update("user:hintless", increment)
    await store.heads.delete_many({"_id": "user:hintless"})  # a crash before the first hint
    found = await store.load("user:hintless", trust_hint=True)
    assert (found.version, found.state) == (1, {"count": 1})


async def test_x_13_create_many_starts_new_aggregates_and_leaves_existing_ones_alone(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    store = VersionedStore(db, ManualClock())
    await store.update("profile:old", increment)
    created = await store.create_many(
        {"profile:old": {"count": 99}, "profile:a": {"count": 10}, "profile:b": {"count": 20}}
    )
    assert created == {"profile:a", "profile:b"}
    assert (await store.load("profile:old")).state == {"count": 1}, "an existing one is untouched"
    found = await store.load("profile:a", trust_hint=True)
    assert (found.version, found.state) == (1, {"count": 10})
    assert await store.update("profile:b", increment) == 21, "the next version follows as usual"
    markers = await store.outbox.find({}).to_list()
    assert sorted(m["commit_id"] for m in markers) == [
        commit_id("profile:b", 2),
        commit_id("profile:old", 1),
    ], "the two updates with events left markers; the creations without events none"


async def test_x_03_one_bulk_insert_answers_which_documents_were_stored_already(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    """The one duplicate-tolerant insert behind the inbox, the delivery log, access records
    and ``create_many``: a repeated ``_id`` is an answer, not an error."""
    processed = db["processed"]
    assert await insert_new(processed, [{"_id": "e1"}, {"_id": "e2"}]) == set()
    batch = [{"_id": "e0"}, {"_id": "e2"}, {"_id": "e3"}, {"_id": "e1"}]
    assert await insert_new(processed, batch) == {1, 3}, "the indexes of the repeats"
    assert await insert_new(processed, []) == set()
    assert sorted([d["_id"] async for d in processed.find({})]) == ["e0", "e1", "e2", "e3"]


async def test_x_13_aggregate_ids_walks_one_kind_of_aggregate_in_batches(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    """A one-shot tool's walk (certs' backfill of notice keys): every aggregate under the prefix
    once, ``batch`` at a time, none of another kind or of a longer prefix."""
    store = VersionedStore(db, ManualClock())
    wanted = [f"holder:kihonet:U00000{i}" for i in range(5)]
    for aggregate_id in [*wanted, "holder:kihonet2:U000000", "ca:kihonet", "holder:kihone"]:
        await store.update(aggregate_id, increment)
    batches = [ids async for ids in store.aggregate_ids("holder:kihonet:", 2)]
    assert [len(ids) for ids in batches] == [2, 2, 1]
    assert sorted(i for ids in batches for i in ids) == wanted
    assert [ids async for ids in store.aggregate_ids("nothing:", 2)] == []
