"""The versions a process remembers (issue 24): fewer reads, and never a stale answer (X-13).

Two ``VersionedStore`` instances on one database stand for two replicas: each remembers what it
committed, and the other's commits make that copy stale.
"""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY
from pymongo.asynchronous.database import AsyncDatabase

from servicekit import store as versioned
from servicekit.clock import ManualClock
from servicekit.store import Change, Loaded, VersionedStore

pytestmark = pytest.mark.integration


def finds() -> float:
    return REGISTRY.get_sample_value("mongodb_commands_total", {"command": "find"}) or 0.0


def bump(current: Loaded) -> Change[int]:
    count = (current.state or {}).get("count", 0) + 1
    return Change(outcome=count, state={"count": count})


def open_once(current: Loaded) -> Change[str]:
    """Opens a door that is shut; answers without a commit when it is open already."""
    if (current.state or {}).get("door") == "open":
        return Change.nothing("open already")
    return Change("opened", {"door": "open"})


def shut(current: Loaded) -> Change[str]:
    return Change("shut", {"door": "shut"})


async def test_x_13_a_remembered_version_spares_the_reads_and_a_stale_one_loses_the_race(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    here, there = VersionedStore(db, ManualClock()), VersionedStore(db, ManualClock())
    assert await here.update("counter:1", bump) == 1
    before = finds()
    assert await here.update("counter:1", bump) == 2
    assert finds() == before, "the version this process committed is decided on unread"
    assert await there.update("counter:1", bump) == 3  # another replica moves on
    seen: list[int] = []

    def watched(current: Loaded) -> Change[int]:
        seen.append(current.version)
        return bump(current)

    assert await here.update("counter:1", watched) == 4, "no change lost or doubled"
    assert seen == [2, 3], "decided on the remembered copy, lost the race, read and decided again"
    latest = await VersionedStore(db, ManualClock()).load("counter:1")
    assert (latest.version, latest.state) == (4, {"count": 4})


async def test_x_13_an_answer_without_a_commit_is_never_given_from_a_remembered_copy(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    """A stale copy says the door is open; another replica shut it since. The answer must be
    decided on the version in the database ("opened"), not on the copy ("open already")."""
    here, there = VersionedStore(db, ManualClock()), VersionedStore(db, ManualClock())
    assert await here.update("door:1", open_once) == "opened"
    assert await there.update("door:1", shut) == "shut"
    assert await here.update("door:1", open_once) == "opened"
    assert (await there.load("door:1")).state == {"door": "open"}


async def test_x_13_a_remembered_copy_cannot_be_changed_by_its_caller(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    store = VersionedStore(db, ManualClock())
    await store.update("counter:2", bump)
    copy = await store.load("counter:2", remembered=True)
    assert copy.state is not None
    copy.state["count"] = 99  # a careless caller
    assert (await store.load("counter:2", remembered=True)).state == {"count": 1}


async def test_x_14_a_process_remembers_a_bounded_number_of_versions(
    db: AsyncDatabase[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(versioned, "REMEMBERED_VERSIONS", 3)
    store = VersionedStore(db, ManualClock())
    for n in range(5):
        await store.update(f"counter:{n}", bump)
    kept = [n for n in range(5) if store.remembered(f"counter:{n}") is not None]
    assert kept == [2, 3, 4], "the least recently used went first"
    await store.forget(["counter:4"])
    assert store.remembered("counter:4") is None, "a forgotten aggregate is not remembered"
