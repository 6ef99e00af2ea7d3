"""Identity in this process, with a clock the test moves and the database commands of each
request written down, for the rules that a request must cost the same whoever it names
(ID-PW-04, ID-PW-05).

The commands are recorded by a PyMongo ``CommandListener`` on identity's own client: a request
made inside :meth:`CountedIdentity.commands_of` sets a context variable that only its own task
(and what it starts) sees, so the outbox relay and the jobs running beside it are not counted.
Counting commands is deterministic where timing is not: equal sequences of commands are the
same work for the database, the larger part of a request's time (``bench/forgotten`` times it).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from harness import PROVISIONING, Infra, Namespace, no_cookie_jar
from identity_client import NEW_PASSWORD, identity_settings
from mail_events import PRIVATE_KEY, PUBLIC_KEY
from pymongo import AsyncMongoClient, monitoring

from contracts import SealedSecret, open_sealed
from servicekit import runtime
from servicekit.clock import ManualClock, SystemClock
from services.identity.app import create_app

_RECORDING: ContextVar[list[str] | None] = ContextVar("recording", default=None)


class CommandLog(monitoring.CommandListener):
    """Writes ``"find commits"``, ``"insert outbox"``… for each command a recorded request
    issues: the command's name and its collection."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        recorded = _RECORDING.get()
        if recorded is not None:
            recorded.append(f"{event.command_name} {event.command.get(event.command_name)}")

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass
class CountedIdentity:
    client: httpx.AsyncClient
    clock: ManualClock
    mongo: AsyncMongoClient[dict[str, Any]]
    ns: Namespace
    app: Any = None
    """The identity app itself, for what only an operator's command does (a support desk)."""

    async def commands_of(
        self, request: Callable[[], Awaitable[httpx.Response]]
    ) -> tuple[list[str], httpx.Response]:
        """The database commands one request issued, in order, and its answer."""
        recorded: list[str] = []
        token = _RECORDING.set(recorded)
        try:
            answer = await request()
        finally:
            _RECORDING.reset(token)
        return recorded, answer

    async def events(self, aggregate_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        """An aggregate's committed events in order, as the outbox publishes them."""
        commits = self.mongo[self.ns.database("identity")]["commits"]
        found = [
            json.loads(e["json"])
            async for c in commits.find({"aggregate_id": aggregate_id}).sort("_id", 1)
            for e in c["events"]
        ]
        return [e for e in found if kind is None or e["type"] == kind]

    async def all_events(self, kind: str) -> list[dict[str, Any]]:
        """Every committed event of one type, whatever its aggregate (a shadow slot's too)."""
        commits = self.mongo[self.ns.database("identity")]["commits"]
        return [
            json.loads(e["json"])
            async for c in commits.find({})
            for e in c["events"]
            if e["type"] == kind
        ]

    async def new_org(self, realm: str, admin_login_id: str, email: str) -> dict[str, Any]:
        opened = await self.client.post(
            f"/v1/realms/{realm}/orgs",
            headers=PROVISIONING,
            json={
                "name": "テスト団体",
                "admin": {"login_id": admin_login_id, "profile": {"email": email}},
            },
        )
        assert opened.status_code == 201, opened.text
        return dict(opened.json())

    async def signed_in(self, realm: str, login_id: str, initial_password: str) -> str:
        """Logs in with the initial password and makes the forced change: a full session, under
        the id the change rotated it to."""
        login = await self.client.post(
            f"/v1/realms/{realm}/login",
            json={"login_id": login_id, "password": initial_password},
        )
        assert login.status_code == 200, login.text
        token = login.cookies["__Host-session"]
        changed = await self.client.post(
            f"/v1/realms/{realm}/password",
            json={"current_password": initial_password, "new_password": NEW_PASSWORD},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert changed.status_code == 204, changed.text
        return str(changed.cookies["__Host-session"])  # rotated by the change (ID-SESS-03)


def opened(event: dict[str, Any], field: str) -> str:
    """What notify reads from a sealed field: identity here seals to the mail tests' key."""
    return open_sealed(SealedSecret.from_wire(event[field]), PRIVATE_KEY)


def new_id(prefix: str = "XA3") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def counted_identity(
    infra: Infra, ns: Namespace, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[CountedIdentity]:
    """Identity in this process on ``ns``, sealing mail secrets to the mail tests' key, so a
    notify process started by the test in the same namespace mails them."""
    log = CommandLog()

    def listened(uri: str, timeout_seconds: float = 5.0) -> AsyncMongoClient[dict[str, Any]]:
        """``runtime.mongo_client``'s client, with the log of its commands."""
        milliseconds = int(timeout_seconds * 1000)
        return AsyncMongoClient(
            uri,
            tz_aware=True,
            serverSelectionTimeoutMS=milliseconds,
            connectTimeoutMS=milliseconds,
            event_listeners=[log],
        )

    monkeypatch.setattr(runtime, "mongo_client", listened)
    clock = ManualClock(SystemClock().now())
    settings = identity_settings(
        infra, ns, notify_public_key=PUBLIC_KEY, consumers=False, outbox_poll_seconds=0.2
    )
    app = create_app(settings, clock)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            app.router.lifespan_context(app),
            no_cookie_jar(
                httpx.AsyncClient(transport=transport, base_url="https://identity.test", timeout=60)
            ) as client,
        ):
            yield CountedIdentity(client, clock, mongo, ns, app)
    finally:
        await mongo.close()
