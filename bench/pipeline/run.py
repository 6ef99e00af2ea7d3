"""bench/pipeline: events per second from a service's outbox, through Kafka, into audit's records.

Ours: N commits are written into identity's outbox (in the store's own documents, in bulk, as
fast as the database takes them) while the identity process relays them (idempotent producer,
acks=all) and the audit process consumes them into access records. Measured from the first
commit until audit has stored all N, with the audit process's peak resident memory sampled.

Baseline, in the same run on the same broker and database: raw aiokafka produces the same N
event payloads while a raw aiokafka consumer reads them and ``insert_many``s the same record
documents into the same database. The ratio is ours / baseline (goal: at least 0.5).

    .venv/bin/python bench/pipeline/run.py [--events 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the tests' infrastructure discovery and process harness
sys.path.insert(0, str(REPO / "bench"))

from benchkit import CommandsPerOperation, PeakMemory, summarise, wait_consumed  # noqa: E402
from harness import Infra, Namespace, ServiceProcess, provide_infra  # noqa: E402

from contracts import Actor, UserCreated  # noqa: E402
from contracts.common import Role, UserProfile  # noqa: E402
from servicekit.publish import make_producer  # noqa: E402
from servicekit.store import StoredEvent, commit_id  # noqa: E402
from services.audit.domain.records import AccessRecord  # noqa: E402

BATCH = 1000
CHUNK = 500


def make_events(n: int) -> list[UserCreated]:
    now = datetime.now(UTC)
    return [
        UserCreated(
            occurred_at=now,
            realm="demo",
            org_id=f"org{i % 100}",
            subject_id=uuid.uuid4().hex,
            actor=Actor.system(),
            correlation_id=uuid.uuid4().hex,
            login_id=f"XA5{i:07d}",
            role=Role.BUSINESS,
            profile=UserProfile(name="山田太郎", department="総務部"),
        )
        for i in range(n)
    ]


async def baseline(infra: Infra, events: list[UserCreated]) -> float:
    """Raw aiokafka produce + consume + insert_many of the same records: the floor of the work.

    The consumer joins its group and reads a warm-up record before the clock starts, so the
    clock holds only producing, consuming and inserting (it prints how much of it was the
    inserts); the same holds for ours, whose services are ready and subscribed before it."""
    topic = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    records = client[f"bench_{uuid.uuid4().hex[:8]}"]["access_records"]
    producer = make_producer(infra.kafka_bootstrap_servers, "bench-baseline")
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.kafka_bootstrap_servers,
        group_id=topic,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    payloads = [(e.key(), e.to_json()) for e in events]
    await producer.start()
    await producer.send_and_wait(topic, b"warm-up")  # create the topic before timing
    await consumer.start()
    while not await consumer.getmany(timeout_ms=500):  # join the group and read the warm-up
        pass
    await consumer.commit()
    inserting = 0.0

    async def produce() -> None:
        for i in range(0, len(payloads), BATCH):
            futures = [
                await producer.send(topic, value=v, key=k) for k, v in payloads[i : i + BATCH]
            ]
            await asyncio.gather(*futures)

    async def consume() -> None:
        nonlocal inserting
        stored = 0
        while stored < len(events):
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            docs = [
                AccessRecord.of(UserCreated.model_validate_json(r.value)).to_document(
                    datetime.now(UTC)
                )
                for part in batches.values()
                for r in part
                if r.value != b"warm-up"
            ]
            if docs:
                began = time.perf_counter()
                await records.insert_many(docs, ordered=False)
                inserting += time.perf_counter() - began
                stored += len(docs)
            await consumer.commit()

    started = time.perf_counter()
    await asyncio.gather(produce(), consume())
    elapsed = time.perf_counter() - started
    await consumer.stop()
    await producer.stop()
    await client.drop_database(records.database.name)
    await client.close()
    print(
        f"          of its {elapsed:.2f} s, insert_many took {inserting:.2f} s "
        f"({inserting / len(events) * 1000:.3f} ms a record): its clock measures work"
    )
    return len(events) / elapsed


async def commit_events(infra: Infra, ns: Namespace, events: list[UserCreated]) -> float:
    """Write N commits with their outbox markers, as ``VersionedStore.append`` writes them, in
    bulk chunks as fast as the database takes them; returns the commits per second achieved."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    db = client[ns.database("identity")]
    started = time.perf_counter()
    for i in range(0, len(events), CHUNK):
        chunk = events[i : i + CHUNK]
        now = datetime.now(UTC)
        markers = [uuid.uuid4().hex for _ in chunk]
        ids = [commit_id(f"user:{e.subject_id}", 1) for e in chunk]
        await db["outbox"].insert_many(
            [
                {"_id": m, "commit_id": c, "created_at": now}
                for m, c in zip(markers, ids, strict=True)
            ]
        )
        await db["commits"].insert_many(
            [
                {
                    "_id": c,
                    "aggregate_id": f"user:{e.subject_id}",
                    "version": 1,
                    "state": {"login_id": e.login_id},
                    "events": [StoredEvent.of(e).to_document()],
                    "committed_at": now,
                    "marker": m,
                }
                for m, c, e in zip(markers, ids, chunk, strict=True)
            ]
        )
    rate = len(events) / (time.perf_counter() - started)
    await client.close()
    return rate


async def ours(infra: Infra, events: list[UserCreated], log_dir: Path) -> dict[str, float]:
    """Commits stream into identity's outbox while its relay and audit's consumer run."""
    ns = Namespace()
    quiet = {"log_level": "WARNING", "outbox_poll_seconds": "0.05"}
    audit = ServiceProcess("audit", infra, ns, log_dir, **quiet).start()
    identity = ServiceProcess("identity", infra, ns, log_dir, **quiet).start()
    memory = PeakMemory(audit.proc.pid)  # type: ignore[union-attr]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    try:
        async with CommandsPerOperation(identity.url, audit.url) as counted:
            started = time.perf_counter()
            writer = asyncio.create_task(commit_events(infra, ns, events))
            await wait_consumed(audit.url, len(events))
            elapsed = time.perf_counter() - started
            commit_rate = await writer
            await asyncio.sleep(1)  # the relay's deletion of the last markers
        stored = await client[ns.database("audit")]["access_records"].count_documents({})
        if stored != len(events):
            raise AssertionError(f"{stored} records for {len(events)} events")
    finally:
        start_mb, peak_mb = memory.stop()
        identity.stop()
        audit.stop()
        await client.close()
    return {
        "eps": len(events) / elapsed,
        "commit_rate": commit_rate,
        "commands": counted.per(len(events)),
        "start_mb": start_mb,
        "peak_mb": peak_mb,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    events = make_events(args.events)
    with provide_infra() as infra, tempfile.TemporaryDirectory() as tmp:
        print(f"infrastructure: {infra.source}; events: {args.events:,}")
        base = await baseline(infra, events)
        print(f"baseline  raw aiokafka produce+consume + insert_many: {base:10,.0f} events/s")
        result = await ours(infra, events, Path(tmp))
        print(
            f"pipeline  commit -> outbox relay -> Kafka -> audit:  {result['eps']:10,.0f} events/s"
            f"  (commits written at {result['commit_rate']:,.0f}/s)"
        )
        ratio = result["eps"] / base
        print(f"ratio     {ratio:.2f}  (goal >= 0.50)")
        print(
            f"database commands per event, relay and audit's consumer: {result['commands']:.2f}"
            " (the bench's own bulk writes of commits not counted)"
        )
        summarise(
            "pipeline",
            "events/s, commit → relay → Kafka → audit",
            f"{result['eps']:,.0f}/s; {result['commands']:.2f} commands an event",
            baseline=f"raw produce + consume + insert_many {base:,.0f}/s",
            ratio=ratio,
            goal="≥ 0.50",
            met=ratio >= 0.5,
        )
        print(
            f"audit consumer memory: {result['start_mb']:.0f} MiB at start, "
            f"{result['peak_mb']:.0f} MiB peak (+{result['peak_mb'] - result['start_mb']:.0f} MiB)"
        )


if __name__ == "__main__":
    asyncio.run(main())
