"""bench/enroll: a union's roster imported (EN-07), and eligibility checks against it (EN-04).

(1) Import: a roster file of R lines in cp932 (default 1,000,000) is uploaded over HTTP to the
enroll process, as the back office does (``PUT …/rosters/{insurer}/file``); lines per second
from the first byte sent until the answer (the new version is in force), and the process's peak
resident memory above its level before the upload. Baseline in the same run: reading and
parsing the same file with ``csv`` alone (``open(encoding="cp932")`` + ``csv.reader``). Goals:
at least 0.5 of the baseline's rate; memory flat, under 100 MB whatever R. The CPU that enroll
and FerretDB spend per line shows where the time goes.

(2) Eligibility: S sign-ups are made and activated (not measured), then C clients check cards
of random people of that roster over HTTP (``POST …/signups/eligibility``), each sign-up and
each person once: checks per second, p50 and p99, with 1 and with 4 clients. Goal: p99 under
20 ms. Identity is replaced by a stub that
holds every credential at once: the bench measures enroll, not argon2.

    .venv/bin/python bench/enroll/run.py [--rows 1000000] [--checks 500] [--clients 1 4]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psutil
from pymongo import AsyncMongoClient

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the tests' infrastructure discovery and process harness
sys.path.insert(0, str(REPO / "bench"))

from benchkit import (  # noqa: E402
    CommandsPerOperation,
    CpuTime,
    PeakMemory,
    infra_processes,
    summarise,
)
from harness import (  # noqa: E402
    PROVISIONING,
    Infra,
    Namespace,
    ServiceProcess,
    free_port,
    provide_infra,
)
from mail_events import PRIVATE_KEY, PUBLIC_KEY  # noqa: E402
from roster_maker import card, write_roster  # noqa: E402

from contracts import SealedSecret, open_sealed  # noqa: E402

INSURER = "06900001"
API = "/v1/realms/kencom"


class HoldingStub(BaseHTTPRequestHandler):
    """Identity's enrolment call: every credential held at once, no address registered."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"address_registered": false}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def parse_only(path: Path) -> float:
    started = time.perf_counter()
    with path.open(encoding="cp932", newline="") as f:
        rows = sum(1 for _ in csv.reader(f)) - 1
    return rows / (time.perf_counter() - started)


async def upload(enroll: ServiceProcess, path: Path) -> dict[str, Any]:
    async def chunks() -> AsyncIterator[bytes]:
        with path.open("rb") as f:
            while chunk := f.read(1 << 16):
                yield chunk

    async with httpx.AsyncClient(timeout=3600) as client:
        answer = await client.put(
            f"{enroll.url}{API}/rosters/{INSURER}/file",
            content=chunks(),
            headers=PROVISIONING | {"content-type": "text/csv"},
        )
    answer.raise_for_status()
    return dict(answer.json())


async def import_run(infra: Infra, enroll: ServiceProcess, rows: int, tmp: Path) -> None:
    path = write_roster(tmp / f"roster-{rows}.csv", INSURER, rows, "cp932")
    base = parse_only(path)
    assert enroll.proc is not None
    memory = PeakMemory(enroll.proc.pid)
    cpu = CpuTime({"enroll": memory.process} | infra_processes(infra))
    cpu.start()
    started = time.perf_counter()
    answer = await upload(enroll, path)
    elapsed = time.perf_counter() - started
    spent = cpu.stop()
    growth = memory.growth_mib()
    assert answer["rows"] == rows, answer
    rate = rows / elapsed
    print(f"(1) roster import: {rows:,} lines, cp932, {path.stat().st_size / 2**20:.0f} MiB")
    print(f"  baseline  open + csv.reader, parse only:  {base:10,.0f} lines/s")
    print(f"  import    HTTP upload to the version in force: {rate:10,.0f} lines/s")
    print(f"  ratio     {rate / base:.2f}  (goal >= 0.50)")
    print(f"  enroll peak memory growth: {growth:.1f} MiB (goal < 100)")
    summarise(
        "enroll",
        f"roster import, {rows:,} cp932 lines",
        f"{rate:,.0f} lines/s; memory +{growth:.1f} MiB",
        baseline=f"open + csv.reader {base:,.0f} lines/s",
        ratio=rate / base,
        goal="≥ 0.50; < 100 MiB",
        met=rate / base >= 0.5 and growth < 100,
    )
    per_line = ", ".join(f"{name} {1e6 * s / rows:.1f}" for name, s in spent.items() if s > 0)
    print(f"  CPU µs per line: {per_line}")


async def activated(enroll: ServiceProcess, mongo: Any, ns: Namespace, count: int) -> list[str]:
    """``count`` sign-ups, activated from their sealed links: their step tokens."""
    commits = mongo[ns.database("enroll")]["commits"]
    sem = asyncio.Semaphore(8)

    async def one(client: httpx.AsyncClient, i: int) -> str:
        email = f"bench-{i}-{uuid.uuid4().hex[:8]}@example.jp"
        async with sem:
            started = await client.post(
                f"{API}/signups",
                json={
                    "email": email,
                    "email_confirmation": email,
                    "password": "Kenko-Pass9",
                    "accept_terms": True,
                    "accept_privacy": True,
                },
            )
            signup_id = started.json()["signup_ref"].split(".")[0]
            commit = await commits.find_one({"_id": f"signup:{signup_id}#0000000001"})
            assert commit is not None
            sealed = json.loads(commit["events"][0]["json"])["sealed_activation_link"]
            token = open_sealed(SealedSecret.from_wire(sealed), PRIVATE_KEY).split("token=")[1]
            opened = await client.post(f"{API}/signups/activate", json={"token": token})
            return str(opened.json()["signup_token"])

    async with httpx.AsyncClient(base_url=enroll.url, timeout=60) as client:
        return list(await asyncio.gather(*(one(client, i) for i in range(count))))


async def eligibility_run(
    infra: Infra,
    enroll: ServiceProcess,
    mongo: Any,
    ns: Namespace,
    rows: int,
    people: list[int],
    clients: int,
) -> None:
    checks = len(people)
    steps = await activated(enroll, mongo, ns, checks)
    assert enroll.proc is not None
    cpu = CpuTime({"enroll": psutil.Process(enroll.proc.pid)} | infra_processes(infra))
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    queue = list(zip(steps, people, strict=True))

    async def client_loop(client: httpx.AsyncClient) -> None:
        while queue:
            step, i = queue.pop()
            started = time.perf_counter()
            answer = await client.post(
                f"{API}/signups/eligibility", json={"signup_token": step} | card(INSURER, i)
            )
            latencies.append(time.perf_counter() - started)
            code = answer.json().get("code", "?")
            outcomes[code] = outcomes.get(code, 0) + 1

    cpu.start()
    with CommandsPerOperation(enroll.url) as counted:
        started = time.perf_counter()
        async with httpx.AsyncClient(base_url=enroll.url, timeout=60) as client:
            await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
        spent = cpu.stop()
        await asyncio.sleep(1)  # the relay publishes the last checks' events
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"(2) eligibility: {checks:,} checks against {rows:,} lines, {clients} clients")
    print(f"  {checks / elapsed:,.0f} checks/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal < 20)")
    print(f"  answers: {outcomes}")
    commands = counted.per(checks)
    print(f"  database commands per check, relay included: {commands:.1f} (goal <= 3)")
    summarise(
        "enroll",
        f"eligibility checks, {clients} client{'s' if clients > 1 else ''}, {rows:,} lines",
        f"{checks / elapsed:,.0f}/s, p99 {p99:.1f} ms; {commands:.1f} commands a check (goal ≤ 3)",
        goal="p99 < 20 ms",
        met=p99 < 20,
    )
    per_check = ", ".join(f"{n} {1e3 * t / checks:.1f}" for n, t in spent.items() if t > 0)
    print(f"  CPU ms per check: {per_check}")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=500, help="checks per client count")
    parser.add_argument("--clients", type=int, nargs="*", default=[1, 4])
    args = parser.parse_args()
    stub = ThreadingHTTPServer(("127.0.0.1", free_port()), HoldingStub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    with provide_infra() as infra, tempfile.TemporaryDirectory() as tmp:
        print(f"infrastructure: {infra.source}")
        ns = Namespace()
        enroll = ServiceProcess(
            "enroll",
            infra,
            ns,
            Path(tmp),
            log_level="WARNING",
            identity_url=f"http://127.0.0.1:{stub.server_address[1]}",
            notify_public_key=PUBLIC_KEY,
        ).start()
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri)
        try:
            await import_run(infra, enroll, args.rows, Path(tmp))
            # each person once: a second check of one is refused (one per person, EN-04)
            pool = random.sample(range(args.rows), args.checks * len(args.clients))
            for n, clients in enumerate(args.clients):
                people = pool[n * args.checks : (n + 1) * args.checks]
                await eligibility_run(infra, enroll, mongo, ns, args.rows, people, clients)
        finally:
            enroll.stop()
            await mongo.drop_database(ns.database("enroll"))
            await mongo.close()
    stub.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
