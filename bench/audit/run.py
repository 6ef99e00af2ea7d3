"""bench/audit: the access-history projection's ingest rate, and the CSV export's rate and memory.

(1) Ingest: N events (outside systems' ``OperationPerformed`` for 100 users of one
organisation, after their ``UserCreated``) are produced to the real topic while the audit process
consumes them into access records; events per second from the first send until audit has
handled all N (its own ``events_consumed_total``). Baseline in the same run: a raw aiokafka
consumer that ``insert_many``s the same record documents.

(2) Export: an organisation with R records (written straight into audit's database, as the
consumer writes them, spread over the last year) is downloaded over HTTP as an admin would,
``order=time``, ``cp932``; rows per second and the audit process's peak resident memory above
its level before the download. Baseline in the same run: a bare PyMongo cursor over the same
records written with ``csv.writer`` to a file. Goals: at least 0.7 of the baseline's rate,
memory growth under 100 MB whatever R. Identity is replaced by a stub that introspects every
token as the organisation's admin: the bench measures audit, not login.

    .venv/bin/python bench/audit/run.py [--events 200000] [--rows 100000 1000000] [--server-sort]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the tests' infrastructure discovery and process harness
sys.path.insert(0, str(REPO / "bench"))

from audit_events import User, publish  # noqa: E402
from audit_seed import insert_records, record_documents, start_profiles  # noqa: E402
from benchkit import (  # noqa: E402
    CommandsPerOperation,
    PeakMemory,
    infra_processes,
    summarise,
    wait_consumed,
)
from harness import Infra, Namespace, ServiceProcess, free_port, provide_infra  # noqa: E402

from contracts import Event, UserCreated, parse_event  # noqa: E402
from servicekit.clock import SystemClock  # noqa: E402
from services.audit.store.records import EXPORTED_FIELDS  # noqa: E402

ORG = "bench-org"
USERS = 100
CHUNK = 5000


def users() -> list[User]:
    return [User("demo", ORG, f"XA5{i:07d}") for i in range(USERS)]


def story(n: int, start: datetime) -> list[Event]:
    """Each user's creation, then ``n`` operations in time order over 360 days from ``start``."""
    people = users()
    step = timedelta(days=360) / max(n, 1)
    created: list[Event] = [u.created(start, name=f"利用者{i}") for i, u in enumerate(people)]
    operations: list[Event] = [
        people[i % USERS].performed(start + step * (i + 1), "1-4") for i in range(n)
    ]
    return created + operations


async def ingest(infra: Infra, events: list[Event], log_dir: Path) -> tuple[float, float]:
    """Events per second into the projection, and database commands per event."""
    ns = Namespace()
    audit = ServiceProcess("audit", infra, ns, log_dir, log_level="WARNING").start()
    try:
        with CommandsPerOperation(audit.url) as counted:
            started = time.perf_counter()
            await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, events)
            await wait_consumed(audit.url, len(events))
            rate = len(events) / (time.perf_counter() - started)
        return rate, counted.per(len(events))
    finally:
        audit.stop()
        await drop(infra, ns)


async def ingest_baseline(infra: Infra, events: list[Event]) -> float:
    """Raw aiokafka consume + insert_many of the same record documents: the floor of the work."""
    ns = Namespace()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    records = client[ns.database("baseline")]["access_records"]
    await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, events[:1])  # create the topic
    consumer = AIOKafkaConsumer(
        ns.topic_prefix + events[0].topic,
        bootstrap_servers=infra.kafka_bootstrap_servers,
        group_id=ns.name,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    while not await consumer.getmany(timeout_ms=500):  # join the group, read the first event
        pass
    await consumer.commit()
    started = time.perf_counter()  # from here on only consuming and inserting: the work
    producing = asyncio.create_task(
        publish(infra.kafka_bootstrap_servers, ns.topic_prefix, events[1:])
    )
    stored = 1
    while stored < len(events):
        batches = await consumer.getmany(timeout_ms=500, max_records=500)
        parsed = [parse_event(r.value) for part in batches.values() for r in part]
        docs = record_documents([e for e in parsed if e is not None], datetime.now(UTC))
        if docs:
            await records.insert_many(docs, ordered=False)
            stored += len(docs)
        await consumer.commit()
    rate = (len(events) - 1) / (time.perf_counter() - started)
    await producing
    await consumer.stop()
    await client.drop_database(records.database.name)
    await client.close()
    return rate


async def seed_history(infra: Infra, ns: Namespace, rows: int) -> None:
    """``rows`` records of one organisation in audit's database, as its consumer stores them."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    db = client[ns.database("audit")]
    events = story(rows, SystemClock().now() - timedelta(days=364))
    created = [e for e in events[:USERS] if isinstance(e, UserCreated)]
    await start_profiles(db, created)
    await insert_records(db, events[USERS:], CHUNK)
    await client.close()


async def export_baseline(infra: Infra, ns: Namespace, out: Path) -> float:
    """A bare PyMongo cursor over the same records and fields, ``csv.writer`` to a file."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    query = {"realm": "demo", "org_id": ORG}
    started = time.perf_counter()
    count = 0
    with out.open("w", encoding="cp932", newline="") as f:
        writer = csv.writer(f)
        records = client[ns.database("audit")]["access_records"]
        async for d in records.find(query, EXPORTED_FIELDS, batch_size=2000):
            writer.writerow(
                [d["login_id"], d["occurred_at"], d["operation_code"], d["operation_label"]]
            )
            count += 1
    elapsed = time.perf_counter() - started
    await client.close()
    return count / elapsed


async def server_sort(infra: Infra, ns: Namespace) -> str:
    """The same records sorted by the database: how much FerretDB's own memory grows."""
    process = infra_processes(infra)["database"]
    if process is None:
        return "not measured (no local FerretDB process)"
    memory = PeakMemory(process.pid)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    records = client[ns.database("audit")]["access_records"]
    started = time.perf_counter()
    query = {"realm": "demo", "org_id": ORG}
    count = len(await records.find(query, {"_id": 1}).sort("occurred_at", 1).to_list())
    elapsed = time.perf_counter() - started
    await client.close()
    return f"{count / elapsed:,.0f} rows/s, FerretDB memory +{memory.growth_mib():.0f} MiB"


async def export(audit: ServiceProcess, rows: int) -> tuple[float, float]:
    """Download the whole year over HTTP, counting rows; returns rows/s and peak growth (MiB)."""
    assert audit.proc is not None
    memory = PeakMemory(audit.proc.pid)
    url = f"{audit.url}/v1/realms/demo/orgs/{ORG}/access-history.csv"
    lines = 0
    started = time.perf_counter()
    async with (
        httpx.AsyncClient(timeout=3600) as client,
        client.stream(
            "GET", url, params={"order": "time"}, headers={"Authorization": "Bearer x"}
        ) as r,
    ):
        r.raise_for_status()
        async for chunk in r.aiter_bytes():
            lines += chunk.count(b"\r\n")
    elapsed = time.perf_counter() - started
    growth = memory.growth_mib()
    if lines != rows + 1:
        raise AssertionError(f"{lines - 1} rows exported for {rows}")
    return rows / elapsed, growth


class AdminStub(BaseHTTPRequestHandler):
    """Identity's introspection, answering every token as the bench organisation's admin."""

    def do_GET(self) -> None:
        body = (
            f'{{"user_id":"admin","realm":"demo","org_id":"{ORG}","role":"admin",'
            '"login_id":"XA3admin","restricted":false}'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


async def drop(infra: Infra, ns: Namespace) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri)
    await client.drop_database(ns.database("audit"))
    await client.close()


async def export_run(
    infra: Infra, rows: int, log_dir: Path, stub_url: str, probe_server_sort: bool
) -> None:
    ns = Namespace()
    started = time.perf_counter()
    await seed_history(infra, ns, rows)
    print(f"  seeded {rows:,} records in {time.perf_counter() - started:.0f} s")
    audit = ServiceProcess(
        "audit", infra, ns, log_dir, log_level="WARNING", identity_url=stub_url
    ).start()
    try:
        base = await export_baseline(infra, ns, log_dir / "baseline.csv")
        rate, growth = await export(audit, rows)
        sorted_by_database = await server_sort(infra, ns) if probe_server_sort else None
    finally:
        audit.stop()
        await drop(infra, ns)
    print(f"  baseline  bare PyMongo cursor + csv.writer to a file: {base:10,.0f} rows/s")
    print(f"  export    HTTP download, order=time, cp932:          {rate:10,.0f} rows/s")
    print(f"  ratio     {rate / base:.2f}  (goal >= 0.70)")
    print(f"  audit peak memory growth while streaming: {growth:.1f} MiB (goal < 100)")
    summarise(
        "audit",
        f"export of {rows:,} rows (order=time, cp932)",
        f"{rate:,.0f} rows/s; memory +{growth:.1f} MiB",
        baseline=f"bare cursor + csv.writer {base:,.0f} rows/s",
        ratio=rate / base,
        goal="≥ 0.70; < 100 MiB",
        met=rate / base >= 0.7 and growth < 100,
    )
    if sorted_by_database:
        print(f"  for comparison, a find sorted by the database: {sorted_by_database}")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument(
        "--server-sort",
        action="store_true",
        help="also measure FerretDB's memory when it sorts the records itself",
    )
    args = parser.parse_args()
    stub = ThreadingHTTPServer(("127.0.0.1", free_port()), AdminStub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    stub_url = f"http://127.0.0.1:{stub.server_address[1]}"
    with provide_infra() as infra, tempfile.TemporaryDirectory() as tmp:
        print(f"infrastructure: {infra.source}")
        if args.events:
            events = story(args.events, datetime.now(UTC) - timedelta(days=365))
            print(f"(1) ingest: {len(events):,} events")
            base = await ingest_baseline(infra, events)
            print(f"  baseline  raw aiokafka consume + insert_many: {base:10,.0f} events/s")
            ours, commands = await ingest(infra, events, Path(tmp))
            print(f"  audit     consumer into the projection:       {ours:10,.0f} events/s")
            print(f"  ratio     {ours / base:.2f}  (goal >= 0.80)")
            print(f"  database commands per audited event: {commands:.3f} (goal <= 1)")
            summarise(
                "audit",
                "ingest events/s into access records",
                f"{ours:,.0f}/s; {commands:.3f} commands an event (goal ≤ 1)",
                baseline=f"raw consume + insert_many {base:,.0f}/s",
                ratio=ours / base,
                goal="≥ 0.80",
                met=ours / base >= 0.8,
            )
        for rows in args.rows:
            print(f"(2) export: {rows:,} rows")
            await export_run(infra, rows, Path(tmp), stub_url, args.server_sort)
    stub.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
