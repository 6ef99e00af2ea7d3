"""What the enroll and certs areas share to seed and to measure: aggregates written as the
versioned store writes them, bulk inserts in chunks, the relay's drain, and latencies.

Seeding writes the stores' own documents, in bulk, never through the API: a million roster
lines or a hundred thousand certificates through HTTP would take hours, and what a measured
operation meets is the documents, not how they got there.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.store import VersionedStore, commit_id

Document = dict[str, Any]
T = TypeVar("T")

CHUNK = 2000
"""Documents per ``insert_many``: FerretDB's cost of a write follows its bytes, and a chunk
this size keeps a message well under its limits."""


async def insert_chunked(collection: AsyncCollection[Document], docs: Sequence[Document]) -> None:
    """``docs`` in unordered bulk inserts of ``CHUNK``."""
    for low in range(0, len(docs), CHUNK):
        await collection.insert_many(list(docs[low : low + CHUNK]), ordered=False)


async def first_versions(
    store: VersionedStore, states: Mapping[str, Document], now: datetime
) -> None:
    """Version 1 of many aggregates, without events, as ``VersionedStore.append`` leaves it: a
    commit ``<aggregate>#0000000001`` and a head hint naming version 1. (``create_many`` does
    the same, but its heads are one upsert each; plain inserts are what a bulk seed needs.)"""
    commits: list[Document] = [
        {
            "_id": commit_id(aggregate, 1),
            "aggregate_id": aggregate,
            "version": 1,
            "state": state,
            "events": [],
            "committed_at": now,
            "marker": None,
        }
        for aggregate, state in states.items()
    ]
    await insert_chunked(store.commits, commits)
    await insert_chunked(store.heads, [{"_id": aggregate, "version": 1} for aggregate in states])


async def relayed(db: AsyncDatabase[Document], timeout: float = 120) -> None:
    """Until the outbox is empty: every commit's events are published and their markers
    deleted, so a command count read now includes the relay's work for them."""
    deadline = time.monotonic() + timeout
    while await db["outbox"].find_one({}, {"_id": 1}) is not None:
        if time.monotonic() > deadline:
            raise TimeoutError("the outbox did not drain")
        await asyncio.sleep(0.05)


async def timed(
    call: Callable[[T], Awaitable[None]], items: Sequence[T], clients: int
) -> tuple[list[float], float]:
    """Each item's latency in seconds (sorted) with ``clients`` calls in flight, and the
    elapsed time of the whole run."""
    queue = list(items)
    latencies: list[float] = []

    async def client() -> None:
        while queue:
            item = queue.pop()
            started = time.perf_counter()
            await call(item)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return sorted(latencies), time.perf_counter() - started


def p50_ms(latencies: Sequence[float]) -> float:
    return statistics.median(latencies) * 1000


def p99_ms(latencies: Sequence[float]) -> float:
    """The 99th percentile of sorted latencies (nearest rank)."""
    return latencies[max(0, -(-len(latencies) * 99 // 100) - 1)] * 1000
