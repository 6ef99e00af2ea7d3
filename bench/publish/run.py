"""bench/publish: what publishing one event costs, through servicekit's Publisher.

Ours: N ``AccessRecorded`` events (audit's live stream) published in batches of 500 through
``servicekit.publish.Publisher``, each batch awaited whole. Baselines in the same run against the
same broker: the same batches through a bare aiokafka producer with the same settings and
headers (the floor), and through FastStream's ``broker.publish`` one record at a time, as audit's
live stream did before issue 10. Printed: CPU and wall microseconds per record, by way, the best
of ``--rounds`` interleaved rounds.

    .venv/bin/python bench/publish/run.py [--events 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from faststream.kafka import KafkaBroker

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the tests' infrastructure discovery
sys.path.insert(0, str(REPO / "bench"))

from benchkit import summarise  # noqa: E402
from harness import provide_infra  # noqa: E402

from contracts import AccessRecorded, Actor  # noqa: E402
from servicekit.publish import Publisher, make_producer  # noqa: E402

BATCH = 500
Way = Callable[[str, str, list[AccessRecorded]], Awaitable[None]]


def make_events(n: int) -> list[AccessRecorded]:
    now = datetime.now(UTC)
    return [
        AccessRecorded(
            occurred_at=now,
            realm="demo",
            org_id="org-bench",
            subject_id=f"user-{i % 1000}",
            actor=Actor.system(),
            correlation_id=uuid.uuid4().hex,
            login_id=f"XA5{i:07d}",
            operation_code="1-1",
            operation_label="ログイン",
            source_event_id=uuid.uuid4(),
            source_event_type="LoginSucceeded",
        )
        for i in range(n)
    ]


async def publisher(bootstrap: str, topic: str, events: list[AccessRecorded]) -> None:
    ours = Publisher(bootstrap, "bench-publisher", lambda _: topic)
    try:
        for i in range(0, len(events), BATCH):
            await ours.publish(events[i : i + BATCH])
    finally:
        await ours.stop()


async def bare_aiokafka(bootstrap: str, topic: str, events: list[AccessRecorded]) -> None:
    producer = make_producer(bootstrap, "bench-aiokafka")
    await producer.start()
    try:
        for i in range(0, len(events), BATCH):
            sent = [
                await producer.send(
                    topic,
                    value=e.to_json(),
                    key=e.key(),
                    headers=[
                        ("event_type", e.type.encode()),
                        ("event_id", str(e.event_id).encode()),
                        ("correlation_id", e.correlation_id.encode()),
                    ],
                )
                for e in events[i : i + BATCH]
            ]
            await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def faststream(bootstrap: str, topic: str, events: list[AccessRecorded]) -> None:
    broker = KafkaBroker(bootstrap, enable_idempotence=True, acks="all")
    await broker.start()
    try:
        for i in range(0, len(events), BATCH):
            pending = [
                await broker.publish(
                    e.to_json(),
                    topic=topic,
                    key=e.key(),
                    headers={"correlation_id": e.correlation_id},
                    no_confirm=True,
                )
                for e in events[i : i + BATCH]
            ]
            await asyncio.gather(*pending)
    finally:
        await broker.stop()


async def measure(way: Way, bootstrap: str, events: list[AccessRecorded]) -> tuple[float, float]:
    """CPU and wall microseconds per record; one warm-up record creates the topic first."""
    topic = f"bench-publish-{uuid.uuid4().hex[:8]}"
    await way(bootstrap, topic, events[:1])
    cpu, wall = time.process_time(), time.perf_counter()
    await way(bootstrap, topic, events)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu / len(events) * 1e6, wall / len(events) * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="each way once per round; best kept")
    args = parser.parse_args()
    events = make_events(args.events)
    ways: dict[str, Way] = {
        "bare aiokafka (floor)": bare_aiokafka,
        "servicekit Publisher": publisher,
        "FastStream publish": faststream,
    }
    best: dict[str, tuple[float, float]] = {}
    with provide_infra() as infra:
        print(f"infrastructure: {infra.source}; events: {args.events:,}; batches of {BATCH}")
        for _ in range(args.rounds):  # interleaved, so a busy moment does not favour one way
            for name, way in ways.items():
                cpu, wall = await measure(way, infra.kafka_bootstrap_servers, events)
                best[name] = min(best.get(name, (cpu, wall)), (cpu, wall))
    for name, (cpu, wall) in best.items():
        print(f"{name:22s} {cpu:6.1f} µs CPU, {wall:6.1f} µs wall per record (best round)")
    floor = best["bare aiokafka (floor)"][0]
    ratio = floor / best["servicekit Publisher"][0]
    print(f"ratio     {ratio:.2f} of the floor's CPU per record (goal: none set; a diagnostic)")
    summarise(
        "publish",
        "CPU µs per published record",
        f"servicekit Publisher {best['servicekit Publisher'][0]:.1f} µs",
        baseline=f"bare aiokafka {floor:.1f} µs",
        ratio=ratio,
    )


if __name__ == "__main__":
    asyncio.run(main())
