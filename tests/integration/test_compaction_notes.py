"""Compaction visits what changed, not what is stored (X-14, issue 24), and loses nothing.

Two ``VersionedStore`` instances on one database stand for two processes of one service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.clock import ManualClock
from servicekit.compaction import DUE, Compaction
from servicekit.store import Change, Loaded, VersionedStore

pytestmark = pytest.mark.integration

GRACE = timedelta(hours=1)


def finds() -> float:
    return REGISTRY.get_sample_value("mongodb_commands_total", {"command": "find"}) or 0.0


def bump(current: Loaded) -> Change[int]:
    count = (current.state or {}).get("count", 0) + 1
    return Change(outcome=count, state={"count": count})


async def versions(db: AsyncDatabase[dict[str, Any]], aggregate_id: str) -> list[int]:
    found = await db["commits"].find({"aggregate_id": aggregate_id}).to_list()
    return sorted(int(c["version"]) for c in found)


async def test_x_14_a_pass_costs_what_changed_not_what_is_stored(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    """The figure bench/scale measures: a pass after five changes among 300 aggregates."""
    clock = ManualClock()
    store = VersionedStore(db, clock)
    compaction = Compaction(store, GRACE)
    for n in range(300):
        await store.update(f"counter:{n}", bump)
        await store.update(f"counter:{n}", bump)
    clock.advance(2 * GRACE)
    assert await compaction.run_once() == 300, "the first pass sweeps: one old version each"
    for n in range(5):
        await store.update(f"counter:{n}", bump)
    clock.advance(2 * GRACE)

    async def no_sweep() -> int:
        raise AssertionError("a pass within the day reads no head it was not told of")

    compaction.sweep = no_sweep  # type: ignore[method-assign]
    before = finds()
    assert await compaction.run_once() == 5
    assert finds() - before < 40, "five aggregates visited, a few reads each"
    assert await versions(db, "counter:0") == [3]
    assert await versions(db, "counter:299") == [2]
    assert await db[DUE].count_documents({}) == 0, "nothing left to wait for"


async def test_x_14_what_must_wait_is_noted_again_once_however_often_it_changes(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    clock = ManualClock()
    store = VersionedStore(db, clock)
    compaction = Compaction(store, GRACE)
    await compaction.run_once()  # the process's first sweep
    for _ in range(6):  # a busy aggregate: a change every ten minutes, a pass after each
        await store.update("counter:busy", bump)
        clock.advance(timedelta(minutes=10))
        await compaction.run_once()
    notes = await db[DUE].find({}).to_list()
    assert [n["aggregates"] for n in notes] == [["counter:busy"]], "one note, not one a pass"
    clock.advance(2 * GRACE)
    assert await compaction.run_once() == 5, "all but the latest, once the grace has passed"
    assert await versions(db, "counter:busy") == [6]


async def test_x_14_another_process_notes_are_compacted_and_a_crash_is_swept_up(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    clock = ManualClock()
    here, there = VersionedStore(db, clock), VersionedStore(db, clock)
    compaction = Compaction(here, GRACE)
    await compaction.run_once()  # the process's first sweep
    for _ in range(3):
        await there.update("counter:noted", bump)
    await Compaction(there, GRACE).pass_over_changed()  # within the grace: only noted
    for _ in range(3):
        await there.update("counter:crashed", bump)
    there.changed.clear()  # the process died before its pass: its changes were never noted
    clock.advance(2 * GRACE)
    assert await compaction.run_once() == 2, "the other process's note is compacted here"
    assert await versions(db, "counter:noted") == [3]
    assert await versions(db, "counter:crashed") == [1, 2, 3], "nobody noted it yet"
    clock.advance(timedelta(days=1))
    assert await compaction.run_once() == 2, "the daily sweep finds what nobody noted"
    assert await versions(db, "counter:crashed") == [3]
