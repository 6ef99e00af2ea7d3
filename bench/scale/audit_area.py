"""bench/scale's audit area: access records over the retention, and what admins read of them.

Data: ``sizes.access_records`` records over ``sizes.months`` months ending now, across the
organisations and realms (``portal``), a quarter of them logins and the rest operations outside
systems report; written in bulk through audit's own mapping (``bench/audit_seed``). Beside them
one *measured* organisation of the demo realm holds exactly 10,000 records of 100 users (with
their profile histories) in last month (Tokyo), seeded at the first step and never grown, so
its export and its latest records compare like with like while everything around them grows.

Operations, through an audit process whose identity is the support-desk stub:
- the measured organisation's export of that month (``order=time``, cp932, as
  ``bench/audit`` downloads it): time to the first byte (the rows are read and spooled before
  the answer starts) and rows per second over the whole download;
- its latest records (``/access-records``, 100 a page, the JSON route that lists them): p50
  over 50 requests.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx
from audit_events import User
from audit_seed import insert_records, start_profiles
from benchkit import CommandsPerOperation
from harness import Infra, Namespace, ServiceProcess
from portal import USERS_PER_ORG, at, measured_org, org_id, realm_of, timed_gets
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from scalekit import Figure, Sizes, numbered
from support_desk import SupportDesk

from contracts import Event, UserCreated
from domainkit.tokyo import TOKYO
from services.audit.domain.period import Period, retention_cutoff

Document = dict[str, Any]

CHUNK: Final = 2000
REALM: Final = "demo"
ORG: Final = measured_org("audit")
EXPORTED_ROWS: Final = 10_000
EXPORTS: Final = 3
"""Downloads a step: the median of three, each a whole scan on FerretDB."""
LATEST_REQUESTS: Final = 50
LATEST_LIMIT: Final = 100


def last_month(now: datetime) -> Period:
    """The calendar month before ``now``'s, in Tokyo: the measured organisation's records."""
    first_of_this = now.astimezone(TOKYO).date().replace(day=1)
    last = first_of_this - timedelta(days=1)
    return Period(last.replace(day=1), last)


def record_of(i: int, orgs: int, start: datetime, end: datetime) -> Event:
    """Background record ``i``: organisation ``i % orgs``, one of its users in turn, a login
    every fourth record and an outside system's operation otherwise."""
    n = i % orgs
    j = (i // orgs) % USERS_PER_ORG
    org = org_id(n)
    user = User(realm_of(n), org, f"XA5{n:06d}{j:02d}", f"{org}-{j:02d}")
    when = at(i, start, end)
    return user.logged_in(when, "Mozilla/5.0") if i % 4 == 0 else user.performed(when, "1-4")


def measured_story(period: Period) -> tuple[list[UserCreated], list[Event]]:
    """The measured organisation: 100 users created before ``period``, then 10,000 operations
    spread over it."""
    start, end = period.utc_bounds()
    users = [User(REALM, ORG, f"XA3{j:07d}", f"{ORG}-{j:02d}") for j in range(USERS_PER_ORG)]
    created = [
        u.created(start - timedelta(days=30), name=f"利用者{j}") for j, u in enumerate(users)
    ]
    records: list[Event] = [
        users[k % USERS_PER_ORG].performed(at(k, start, end), "1-4") for k in range(EXPORTED_ROWS)
    ]
    return created, records


@dataclass
class Running:
    """What ``start`` started: identity's stub, the audit process, a client of its database."""

    desk: SupportDesk
    audit: ServiceProcess
    client: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]


class AuditArea:
    name = "audit"

    def __init__(self) -> None:
        self.done = 0
        self.measured_seeded = False
        self.now = datetime.now(UTC)
        self.month = last_month(self.now)
        self._running: Running | None = None

    @property
    def running(self) -> Running:
        if self._running is None:
            raise RuntimeError("the audit area is not started")
        return self._running

    async def start(self, infra: Infra, ns: Namespace, log_dir: Path) -> None:
        desk = SupportDesk()
        # No outbox work here: its poll would be counted against the operations' commands.
        audit = ServiceProcess(
            "audit",
            infra,
            ns,
            log_dir,
            log_level="WARNING",
            identity_url=desk.url,
            outbox_poll_seconds="3600",
        ).start()
        client: AsyncMongoClient[Document] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
        self._running = Running(desk, audit, client, client[ns.database("audit")])

    async def grow(self, sizes: Sizes) -> None:
        """The measured organisation once, then background records ``[done, target)``, over the
        retention: from the day after audit's own cutoff (its purge would take older ones)."""
        if not self.measured_seeded:
            created, records = measured_story(self.month)
            await start_profiles(self.running.db, created)
            await insert_records(self.running.db, records, CHUNK)
            self.measured_seeded = True
        start = retention_cutoff(self.now, sizes.months) + timedelta(days=1)
        for chunk in numbered(self.done, sizes.access_records, CHUNK):
            events = [record_of(i, sizes.orgs, start, self.now) for i in chunk]
            await insert_records(self.running.db, events, CHUNK)
        self.done = max(self.done, sizes.access_records)

    async def measure(self) -> list[Figure]:
        first_bytes: list[float] = []
        rates: list[float] = []
        async with CommandsPerOperation(self.running.audit.url) as counted:
            for _ in range(EXPORTS):
                first_byte, rate = await self.export()
                first_bytes.append(first_byte)
                rates.append(rate)
        latest = await timed_gets(
            self.running.audit.url,
            f"/v1/realms/{REALM}/orgs/{ORG}/access-records",
            LATEST_REQUESTS,
            params={"limit": LATEST_LIMIT},
            headers={"Authorization": f"Bearer {REALM}"},
        )
        per_export = counted.per(EXPORTS)
        return [
            Figure(
                "audit: export of a month (10,000 rows), first byte",
                "ms",
                statistics.median(first_bytes) * 1000,
                per_export,
            ),
            Figure(
                "audit: export of a month (10,000 rows), rate",
                "rows/s",
                statistics.median(rates),
                per_export,
                higher_is_better=True,
            ),
            Figure(
                f"audit: latest records of an organisation ({LATEST_LIMIT}), p50",
                "ms",
                latest.p50_ms,
                latest.commands,
            ),
        ]

    async def export(self) -> tuple[float, float]:
        """One download of the measured month: seconds to the first byte, rows per second."""
        params = {
            "from": self.month.first.isoformat(),
            "to": self.month.last.isoformat(),
            "order": "time",
            "encoding": "cp932",
        }
        url = f"{self.running.audit.url}/v1/realms/{REALM}/orgs/{ORG}/access-history.csv"
        headers = {"Authorization": f"Bearer {REALM}"}
        lines = 0
        first_byte = None
        started = time.perf_counter()
        async with (
            httpx.AsyncClient(timeout=3600) as client,
            client.stream("GET", url, params=params, headers=headers) as answer,
        ):
            answer.raise_for_status()
            async for chunk in answer.aiter_bytes():
                first_byte = first_byte or time.perf_counter() - started
                lines += chunk.count(b"\r\n")
        elapsed = time.perf_counter() - started
        if lines != EXPORTED_ROWS + 1:
            raise AssertionError(f"{lines - 1} rows exported for {EXPORTED_ROWS}")
        return first_byte or elapsed, EXPORTED_ROWS / elapsed

    async def stop(self) -> None:
        if self._running is not None:
            self._running.audit.stop()
            self._running.desk.stop()
            await self._running.client.close()
            self._running = None


AREA = AuditArea()
