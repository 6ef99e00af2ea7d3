"""bench/scale's enroll area: a union's roster of ``roster_lines`` lines, and the eligibility
check (EN-04) against it.

The roster is written as an import leaves it (``services/enroll/store/rosters.py``): its lines,
normalised by the domain's own ``roster.row``, hashed into buckets of about 512 lines
(``bucket_of``), each bucket one zlib-compressed document in a collection of the import's own,
and the union's ``roster:<保険者番号>`` aggregate naming that collection. Line ``i`` is always
the same person (``tests/roster_maker.person``). The number of buckets follows the number of
lines, so a roster cannot grow in place and keep its shape: a bucket of the first step would
hold a hundred times its lines at the last. Each step therefore writes its roster as a new
import of that many lines would, and makes it the next version in force; the one before goes
as ``drop_unused`` would drop it. (That rewrites what earlier steps wrote, 1.1 times the lines
of the last step in all.)

Each check needs an activated sign-up of its own (one check per person, EN-04): they are
seeded before the clock, as version 1 of ``signup:<id>`` in the insurance-card step, with the
step token the activation would have given.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import secrets
import uuid
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from benchkit import CommandsPerOperation
from harness import Infra, Namespace, ServiceProcess
from pymongo import AsyncMongoClient
from roster_maker import card, person
from scalekit import Figure, Sizes
from seeding import first_versions, p50_ms, p99_ms, relayed, timed

from contracts.enroll import SignupChannel
from servicekit.clock import SystemClock
from servicekit.store import VersionedStore
from services.enroll.domain import roster
from services.enroll.domain.roster import Restrictions, Roster
from services.enroll.domain.signups import Expiring, Signup, Status, token_hash
from services.enroll.store import EnrollStore, documents, signup_aggregate_id
from services.enroll.store.rosters import roster_aggregate_id
from services.enroll.usecases.context import RosterPolicy
from services.enroll.usecases.rosters import WRITE_BATCH

Document = dict[str, Any]

INSURER = "06900001"
API = "/v1/realms/kencom"
SALT = 0x5CA1E
"""The bucket hash's seed: an import draws it at random; fixed here, so a run repeats."""
CHECKS = 200
"""Checks per client count and step (fewer if the roster is smaller), each of another person."""
WARM_UP = 10
"""Checks before the clock: connections opened, the roster's head read."""
CLIENTS = (1, 4)
ROSTER_CACHE_SECONDS = 5.0
"""enroll's ``ROSTER_CACHE_SECONDS``: a new roster is in force for checks within it."""
COLUMNS = {"symbol": 0, "number": 1, "name_kana": 2, "birth_date": 3, "relationship": 4}


def buckets_of(lines: int, buckets: int, today: date) -> list[tuple[int, bytes]]:
    """Lines ``[0, lines)`` normalised by the domain, grouped into their buckets, each
    compressed as an import compresses it (``roster_files.partition_buckets``)."""
    grouped: dict[int, list[str]] = {}
    for i in range(lines):
        symbol, number, name, born, relationship = person(i)
        fields = [symbol, number, name, f"{born:%Y/%m/%d}", relationship]
        line = roster.row(fields, COLUMNS, i + 2, INSURER, today)
        for key_symbol, key_number, packed in line.entries():
            bucket = roster.bucket_of(key_symbol, key_number, buckets, SALT)
            grouped.setdefault(bucket, []).append(packed)
    return [
        (b, zlib.compress("\n".join(packed).encode(), 1)) for b, packed in sorted(grouped.items())
    ]


def activated_signup(n: int, now: datetime) -> tuple[Signup, str]:
    """A sign-up in the insurance-card step, as activation leaves it, and its step token."""
    signup_id = uuid.uuid4().hex
    step_token = f"{signup_id}.{secrets.token_urlsafe(32)}"
    signup = Signup(
        signup_id=signup_id,
        email=f"scale-{n}-{signup_id[:8]}@example.jp",
        channel=SignupChannel.APP,
        status=Status.ACTIVATED,
        started_at=now,
        ref_hash=token_hash(secrets.token_urlsafe(32)),
        step=Expiring(token_hash(step_token), now + timedelta(hours=24)),
    )
    return signup, step_token


class EnrollArea:
    name = "enroll"

    def __init__(self) -> None:
        self.lines = 0
        self.signups = 0
        self.rng = random.Random(24)
        self.import_id: str | None = None
        self.superseded: tuple[str, str] | None = None
        """The import and collection of the roster the last step replaced."""

    async def start(self, infra: Infra, ns: Namespace, log_dir: Path) -> None:
        self.enroll = ServiceProcess(
            "enroll",
            infra,
            ns,
            log_dir,
            log_level="WARNING",
            outbox_poll_seconds="0.5",  # the default, not the tests' 0.2: idle polls are noise
            roster_cache_seconds=str(ROSTER_CACHE_SECONDS),
        ).start()
        self.client: AsyncMongoClient[Document] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
        self.db = self.client[ns.database("enroll")]
        self.versioned = VersionedStore(self.db, SystemClock())
        self.store = EnrollStore(self.db, self.versioned, SystemClock())

    async def grow(self, sizes: Sizes) -> None:
        """The roster of ``roster_lines`` lines in force, as its import would leave it."""
        lines = sizes.roster_lines
        if lines <= self.lines:
            return
        buckets = roster.bucket_count(lines, RosterPolicy().rows_per_bucket)
        today = datetime.now(UTC).date()
        written = await asyncio.to_thread(buckets_of, lines, buckets, today)
        import_id = uuid.uuid4().hex
        rosters = self.store.rosters
        collection = await rosters.begin(import_id, INSURER)
        for low in range(0, len(written), WRITE_BATCH):
            await rosters.write(collection, written[low : low + WRITE_BATCH])
        new = Roster(
            insurer_number=INSURER,
            collection=collection,
            buckets=buckets,
            rows=lines,
            digest=hashlib.sha256(f"scale {lines}".encode()).hexdigest(),
            restrictions=Restrictions(),
            imported_at=datetime.now(UTC),
            salt=SALT,
        )
        aggregate = roster_aggregate_id(INSURER)
        current = await self.versioned.load(aggregate)
        state = documents.roster_to_document(new)
        await self.versioned.append(aggregate, current.version, state, [])
        if self.import_id is not None and current.state is not None:
            self.superseded = (self.import_id, str(current.state["collection"]))
        self.import_id, self.lines = import_id, lines

    async def _in_force(self) -> None:
        """Wait until enroll reads the new roster's head (its cache lasts
        ``ROSTER_CACHE_SECONDS``), then drop the one it replaced, as ``drop_unused`` would:
        waiting here, not in ``grow``, keeps the wait out of the seeding time."""
        if self.superseded is not None:
            await asyncio.sleep(ROSTER_CACHE_SECONDS)
            await self.store.rosters.abandon(*self.superseded)
            self.superseded = None

    async def _signups(self, count: int) -> list[str]:
        """``count`` activated sign-ups: their step tokens."""
        now = datetime.now(UTC)
        made = [activated_signup(self.signups + n, now) for n in range(count)]
        self.signups += count
        await first_versions(
            self.versioned,
            {signup_aggregate_id(s.signup_id): documents.signup_to_document(s) for s, _ in made},
            now,
        )
        return [token for _, token in made]

    async def _people(self, count: int) -> list[int]:
        """``count`` different people picked across the whole roster. One check per person
        (EN-04) would refuse a person checked in an earlier run, so the claims those runs left
        are released first, as a failed sign-up's would be: a few hundred claims, where years
        of use leave two per member (a claim is an insert by ``_id`` all the same)."""
        await self.store.claims.collection.delete_many({})
        return self.rng.sample(range(self.lines), count)

    async def measure(self) -> list[Figure]:
        await self._in_force()
        figures: list[Figure] = []
        async with httpx.AsyncClient(base_url=self.enroll.url, timeout=60) as http:
            for clients in CLIENTS:
                figures += await self._checks(http, clients)
        return figures

    async def _checks(self, http: httpx.AsyncClient, clients: int) -> list[Figure]:
        """``CHECKS`` eligibility checks with ``clients`` in flight: p50, p99, and the database
        commands per check once the relay has published their ``EligibilityChecked``."""
        warm = min(WARM_UP, self.lines // 10)
        count = min(CHECKS, self.lines - warm)
        made = await self._signups(warm + count)
        pairs = list(zip(made, await self._people(warm + count), strict=True))
        refused: list[str] = []

        async def check(pair: tuple[str, int]) -> None:
            step, i = pair
            body = {"signup_token": step} | card(INSURER, i)
            answer = await http.post(f"{API}/signups/eligibility", json=body)
            if answer.status_code != 200:
                refused.append(answer.text)

        await timed(check, pairs[:warm], clients)
        await relayed(self.db)
        async with CommandsPerOperation(self.enroll.url) as counted:
            latencies, _ = await timed(check, pairs[warm:], clients)
            await relayed(self.db)
        if refused:
            raise AssertionError(f"{len(refused)} checks not eligible: {refused[:3]}")
        per = counted.per(count)
        label = f"eligibility check, {clients} client{'s' if clients > 1 else ''}"
        return [
            Figure(f"{label}, p50", "ms", p50_ms(latencies), per),
            Figure(f"{label}, p99", "ms", p99_ms(latencies), per),
        ]

    async def stop(self) -> None:
        if hasattr(self, "enroll"):
            self.enroll.stop()
        if hasattr(self, "client"):
            await self.client.close()


AREA = EnrollArea()
