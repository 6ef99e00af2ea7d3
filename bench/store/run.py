"""bench/store: what one database operation costs here, the unit the other benches' misses are in.

The pipeline, login, certs and enroll benches miss their goals by the database round trips that
their baselines do not make. This diagnostic prices each kind the store uses, on the same
database, in wall milliseconds per document: a bulk ``insert_many`` (how the baselines write), a
single ``insert_one`` and an ``_id`` ``find_one`` (how a commit, a claim and the relay's read
back are made), the relay's bulk of ``DeleteOne`` by ``_id``, and the two batched forms it does
not use, ``{"_id": {"$in": …}}`` reads and deletes, at two collection sizes: on FerretDB 1.24
they scan the collection (its ``explain`` says ``SCAN``), so their price grows with it.
Single operations run 64 at a time, as ``gather_limited`` sends them. No goal: a diagnostic.

    .venv/bin/python bench/store/run.py [--documents 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, DeleteOne
from pymongo.asynchronous.collection import AsyncCollection

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the tests' infrastructure discovery
sys.path.insert(0, str(REPO / "bench"))

from benchkit import summarise  # noqa: E402
from harness import provide_infra  # noqa: E402

Collection = AsyncCollection[dict[str, Any]]
CONCURRENCY = 64
IN_BATCH = 500


def commit_like(n: int) -> list[dict[str, Any]]:
    """Documents shaped like a commit with one event (about 1 KiB)."""
    return [
        {
            "_id": f"user:{uuid.uuid4().hex}#{1:010d}",
            "aggregate_id": uuid.uuid4().hex,
            "version": 1,
            "state": {"login_id": f"XA5{i:07d}", "name": "山田太郎"},
            "events": [{"event_id": uuid.uuid4().hex, "json": "x" * 600}],
            "marker": secrets.token_hex(16),
        }
        for i in range(n)
    ]


async def per_document(n: int, work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return (time.perf_counter() - started) / n * 1000


async def concurrently(fn: Callable[[dict[str, Any]], Awaitable[object]], docs: list[Any]) -> None:
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(doc: dict[str, Any]) -> None:
        async with limit:
            await fn(doc)

    await asyncio.gather(*(one(d) for d in docs))


async def price(collection: Collection, n: int) -> dict[str, float]:
    bulk, single = commit_like(n), commit_like(n)
    ids = [d["_id"] for d in bulk]

    async def insert_bulk() -> None:
        for i in range(0, n, 500):
            await collection.insert_many(bulk[i : i + 500])

    found: dict[str, float] = {
        "insert_many (500 a call)": await per_document(n, insert_bulk),
        "insert_one": await per_document(n, lambda: concurrently(collection.insert_one, single)),
        "find_one by _id": await per_document(
            n, lambda: concurrently(lambda d: collection.find_one({"_id": d["_id"]}), bulk)
        ),
    }
    chosen = ids[:IN_BATCH]
    found[f"find _id $in ({IN_BATCH} of {2 * n:,})"] = await per_document(
        IN_BATCH, lambda: collection.find({"_id": {"$in": chosen}}).to_list()
    )
    found[f"delete_many _id $in ({IN_BATCH} of {2 * n:,})"] = await per_document(
        IN_BATCH, lambda: collection.delete_many({"_id": {"$in": chosen}})
    )
    rest = ids[IN_BATCH:]
    found["bulk of DeleteOne by _id"] = await per_document(
        len(rest),
        lambda: collection.bulk_write([DeleteOne({"_id": i}) for i in rest], ordered=False),
    )
    return found


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=2000)
    args = parser.parse_args()
    with provide_infra() as infra:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri)
        db = client[f"bench_store_{uuid.uuid4().hex[:8]}"]
        print(f"infrastructure: {infra.source}; {CONCURRENCY} single operations in flight")
        try:
            for n in (args.documents, 10 * args.documents):
                print(f"collection of {2 * n:,} documents (ms per document, wall):")
                for what, ms in (await price(db[f"c{n}"], n)).items():
                    print(f"  {what:40s} {ms:7.3f}")
                    summarise("store", f"{what}, {2 * n:,} in the collection", f"{ms:.3f} ms")
        finally:
            await client.drop_database(db.name)
            await client.close()
    print("goal: none set (a diagnostic: the unit of the other benches' database costs)")


if __name__ == "__main__":
    asyncio.run(main())
