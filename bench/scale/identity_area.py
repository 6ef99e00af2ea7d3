"""Identity's hot operations as its data grows: login, introspection, a decision, a user's
sessions ended, compaction's pass and the session purge (issue 24).

The data (``identity_seed``) is written in bulk through identity's own document mapping. The
first three operations go through an identity process started against the namespace, with the
database commands it sent per operation (its ``mongodb_commands_total``, relay included); the
last three are jobs and rare admin paths, run here in process against the same database with
identity's own classes, their commands counted by this process's client the same way.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from benchkit import CommandsPerOperation
from harness import Infra, Namespace, ServiceProcess, no_cookie_jar
from identity_seed import (
    PASSWORD,
    IdentitySeed,
    SeedUser,
    admin_of,
    org_realm,
    seeded_session,
    seeded_user,
    session_of,
    session_token,
)
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from scalekit import Figure, Sizes

from domainkit.decision import Decision
from servicekit.clock import SystemClock
from servicekit.compaction import DUE, Compaction
from servicekit.dbcommands import COMMANDS, COUNTER
from servicekit.repository import Repository
from servicekit.store import Change, VersionedStore
from services.identity.domain.session_lists import Listed
from services.identity.domain.sessions import expiry_hour, session_key
from services.identity.domain.users import User
from services.identity.store.documents import user_from_document, user_to_document
from services.identity.store.sessions import SessionStore
from services.identity.usecases import passwords

LOGINS = 40
LOGIN_CLIENTS = 4
REQUESTS = 1000
"""Introspections per session, and decisions, each step: enough for a p99 of ten slowest."""
LOGIN_REALMS = frozenset({"kihonet", "nexi", "demo", "mypage"})
"""Realms whose password login ends in one answer: ``dantai-net`` mails a login link and binds
the browser (steps a seeded user would owe), ``kencom`` asks a proof-of-work challenge first."""
CHANGED = 100
"""Users changed before each compaction pass: what ten minutes of a busy portal leave."""
COMPACTION_GRACE = timedelta(seconds=3600)
"""The service's default ``COMPACTION_GRACE_SECONDS``."""
RELAY_WAIT = 1.0
"""Seconds for the relay (polling every 0.2 s in the harness) to publish before counting."""

Document = dict[str, Any]


def local_commands() -> float:
    """Commands this process's counted client has sent (``servicekit.dbcommands``)."""
    return sum(
        sample.value
        for metric in COMMANDS.collect()
        for sample in metric.samples
        if sample.name == "mongodb_commands_total"
    )


async def timed_in_process(run: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """Seconds ``run`` took and the database commands it sent from this process."""
    before = local_commands()
    started = time.perf_counter()
    await run()
    return time.perf_counter() - started, local_commands() - before


def login_users(users: int, orgs: int, n: int) -> list[SeedUser]:
    """``n`` distinct users spread over the whole seeded range, each of a realm whose login
    succeeds in one answer. Each logs in once a step with the right password, so no lock-out
    count or pending step ever stops one."""
    chosen: list[SeedUser] = []
    taken: set[int] = set()
    for j in range(n):
        i = j * users // n
        while i < users and (i in taken or seeded_user(i, orgs).realm not in LOGIN_REALMS):
            i += 1
        if i < users:
            taken.add(i)
            chosen.append(seeded_user(i, orgs))
    return chosen


def decision_user(orgs: int) -> SeedUser:
    """The admin of the first ``nexi`` organisation (a realm with the matrix and the OTP step-up,
    so a decision reads the organisation's switch): seeded at every step."""
    org = next(k for k in range(orgs) if org_realm(k) == "nexi")
    return admin_of(org, orgs)


class IdentityArea:
    name = "identity"

    def __init__(self) -> None:
        self.at = datetime.now(UTC).replace(microsecond=0)
        self.sizes = Sizes(users=0, sessions=0)
        self.step = 0

    async def start(self, infra: Infra, ns: Namespace, log_dir: Path) -> None:
        self.client: AsyncMongoClient[Document] = AsyncMongoClient(
            infra.mongodb_uri, tz_aware=True, event_listeners=[COUNTER]
        )
        self.db: AsyncDatabase[Document] = self.client[ns.database("identity")]
        # the service's own argon2id parameters (passwords' defaults are the settings' defaults)
        self.seed = IdentitySeed(self.db, passwords.HASHER.hash(PASSWORD), self.at)
        clock = SystemClock()
        self.sessions = SessionStore(self.db, clock)
        self.users: Repository[User] = Repository(
            VersionedStore(self.db, clock), user_to_document, user_from_document
        )
        self.identity = ServiceProcess("identity", infra, ns, log_dir, log_level="WARNING")
        self.identity.start()
        self.http = no_cookie_jar(httpx.AsyncClient(base_url=self.identity.url, timeout=120))

    async def grow(self, sizes: Sizes) -> None:
        await self.seed.grow_users(sizes.users, sizes.orgs, sizes.sessions)
        await self.seed.grow_sessions(sizes.sessions, sizes.users, sizes.orgs)
        self.sizes = sizes

    async def measure(self) -> list[Figure]:
        self.step += 1
        return [
            await self._login(),
            await self._introspection("early", 0),
            await self._introspection("last", self.sizes.sessions - 1),
            await self._decision(),
            await self._sessions_ended(),
            *await self._compaction(),
            await self._purge(),
        ]

    async def stop(self) -> None:
        if hasattr(self, "http"):
            await self.http.aclose()
        if hasattr(self, "identity"):
            self.identity.stop()
        if hasattr(self, "client"):
            await self.client.close()

    async def _login(self) -> Figure:
        """Logins per second from a few concurrent clients, each answer checked 200."""
        chosen = login_users(self.sizes.users, self.sizes.orgs, LOGINS + 1)
        await self._log_in(chosen[-1])  # warm-up, outside the count
        queue = list(chosen[:-1])

        async def client() -> None:
            while queue:
                await self._log_in(queue.pop())

        async with CommandsPerOperation(self.identity.url) as counted:
            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(LOGIN_CLIENTS)))
            elapsed = time.perf_counter() - started
            await asyncio.sleep(RELAY_WAIT)
        n = len(chosen) - 1
        return Figure("identity: login", "logins/s", n / elapsed, counted.per(n), True)

    async def _log_in(self, who: SeedUser) -> None:
        body = {"login_id": who.login_id, "password": PASSWORD}
        answer = await self.http.post(f"/v1/realms/{who.realm}/login", json=body)
        assert answer.status_code == 200, (who, answer.text)
        assert not answer.json()["pending_steps"], (who, answer.text)

    async def _introspection(self, which: str, number: int) -> Figure:
        """p50 of ``/v1/sessions/current`` on one seeded session, kept alive for the
        measurement (its idle time restarted, as its own use would)."""
        token, session = seeded_session(number, self.sizes.users, self.sizes.orgs, self.at)
        await self.sessions.touch(token, session, datetime.now(UTC))
        headers = {"Authorization": f"Bearer {token}"}
        latencies = await self._requests(
            lambda: self.http.get("/v1/sessions/current", headers=headers), 20
        )
        async with CommandsPerOperation(self.identity.url) as counted:
            latencies = await self._requests(
                lambda: self.http.get("/v1/sessions/current", headers=headers), REQUESTS
            )
        return Figure(
            f"identity: introspection ({which} session)",
            "ms p50",
            statistics.median(latencies) * 1000,
            counted.per(REQUESTS),
        )

    async def _decision(self) -> Figure:
        """p99 of bench/authz's question (read a rider's contract, a protected operation) asked
        by a fresh session of a ``nexi`` admin."""
        who = decision_user(self.sizes.orgs)
        session = session_of(who, datetime.now(UTC))
        token = session_token(f"decision-{self.step}", session.expires_at)
        await self.sessions.start(token, session)
        body = {
            "action": "contract.read",
            "resource": {"org_id": who.org_id, "rider_code": "999999901"},
            "protected": True,
        }
        headers = {"Authorization": f"Bearer {token}"}

        def ask() -> Awaitable[httpx.Response]:
            return self.http.post("/v1/authz/decisions", json=body, headers=headers)

        first = await ask()
        assert first.status_code == 200, first.text
        assert first.json()["allow"], first.text
        await self._requests(ask, 20)
        async with CommandsPerOperation(self.identity.url) as counted:
            latencies = sorted(await self._requests(ask, REQUESTS))
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        return Figure("identity: decision", "ms p99", p99, counted.per(REQUESTS))

    async def _requests(self, send: Callable[[], Awaitable[httpx.Response]], n: int) -> list[float]:
        latencies = []
        for _ in range(n):
            started = time.perf_counter()
            answer = await send()
            latencies.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
        return latencies

    async def _sessions_ended(self) -> Figure:
        """A user's sessions ended (a credential change or an admin ends them, ID-SESS-03) as
        ``Context.credential_changed`` does it, in process: the user's latest version read
        and each session it lists deleted; the median of three users with four sessions each
        at least (the seeded one and three more, listed by a commit as logins would)."""
        now = datetime.now(UTC)
        runs: list[tuple[float, float]] = []
        for rep in range(3):
            who = seeded_user(self.sizes.users // 2 + rep, self.sizes.orgs)
            more = []
            for k in range(3):
                session = session_of(who, now)
                token = session_token(f"ended-{self.step}-{rep}-{k}", session.expires_at)
                await self.sessions.start(token, session)
                more.append(Listed(session_key(token), expiry_hour(session.expires_at), now))
            await self.users.update(who.aggregate_id, partial(_listing_too, more=tuple(more)))

            async def end_all(who: SeedUser = who) -> None:
                user = await self.users.get(who.aggregate_id)
                assert user is not None
                assert len(user.sessions) >= 4, user.sessions  # and any its logins listed
                await self.sessions.end_all(who.user_id, user.sessions)

            runs.append(await timed_in_process(end_all))
        seconds, commands = sorted(runs)[1]
        return Figure("identity: a user's sessions ended", "ms", seconds * 1000, commands)

    async def _compaction(self) -> list[Figure]:
        """Compaction (X-14) in process: its ten-minute pass after ``CHANGED`` users changed
        (what it visits is what changed, so it should stay flat), and its daily sweep over
        every aggregate (a scan of the heads, which grows with the data by design)."""
        store = VersionedStore(self.db, SystemClock())
        compaction = Compaction(store, COMPACTION_GRACE)
        await self.db[DUE].delete_many({})  # the last step's notes, still within the grace
        for i in range(0, self.sizes.users, max(1, self.sizes.users // CHANGED))[:CHANGED]:
            who = seeded_user(i, self.sizes.orgs)
            await store.update(who.aggregate_id, lambda loaded: Change(None, loaded.state or {}))
        seconds, commands = await timed_in_process(compaction.pass_over_changed)
        per_pass = Figure(f"identity: compaction pass ({CHANGED} changed)", "s", seconds, commands)
        seconds, commands = await timed_in_process(compaction.sweep)
        return [per_pass, Figure("identity: compaction sweep (daily)", "s", seconds, commands)]

    async def _purge(self) -> Figure:
        """``SessionStore.purge_ended`` with an ended hour of five sessions present, at the
        seed's moment (every seeded session is alive then, so only that hour goes); the median
        of three purges, in ms: each drops one hour whatever the others hold."""
        who = seeded_user(0, self.sizes.orgs)
        runs: list[tuple[float, float]] = []
        for rep in range(3):
            expired_at = self.at - timedelta(hours=15 + rep)  # its hour and its grace are over
            for k in range(5):
                session = session_of(who, expired_at)
                token = session_token(f"expired-{self.step}-{rep}-{k}", session.expires_at)
                await self.sessions.start(token, session)
            purged: list[int] = []

            async def purge(purged: list[int] = purged) -> None:
                purged.append(await self.sessions.purge_ended(self.at + timedelta(minutes=1)))

            runs.append(await timed_in_process(purge))
            assert purged == [5], purged
        seconds, commands = sorted(runs)[1]
        return Figure("identity: session purge (an hour ended)", "ms", seconds * 1000, commands)


AREA = IdentityArea()


def _listing_too(user: User | None, more: tuple[Listed, ...]) -> Decision[User, None]:
    """The user with ``more`` sessions listed, as the logins that began them would leave it."""
    assert user is not None
    return Decision(None, user.but(sessions=(*user.sessions, *more)))
