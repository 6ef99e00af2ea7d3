"""Identity in the test's own process for the stateful tests of sessions and credentials
(issue 20): on a clock the test moves, served from an event loop of its own thread so that a
hypothesis state machine's steps can be plain calls, on the real database and Kafka."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
from harness import PROVISIONING_TOKEN, Infra, Namespace, no_cookie_jar
from hypothesis import HealthCheck, seed, settings
from hypothesis.stateful import RuleBasedStateMachine
from mail_events import PRIVATE_KEY, PUBLIC_KEY
from pymongo import AsyncMongoClient

from contracts import SealedSecret, open_sealed
from servicekit.clock import ManualClock, SystemClock
from services.identity.app import create_app
from services.identity.domain.users import User, user_aggregate_id
from services.identity.settings import IdentitySettings

T = TypeVar("T")


class Portal:
    """Identity in this process, on a clock the test moves, served from an event loop of its
    own thread so that the state machine's steps can be plain calls."""

    def __init__(self, infra: Infra, ns: Namespace, realm: str) -> None:
        self.realm = realm
        self.clock = ManualClock(SystemClock().now())
        self.ns = ns
        self.infra = infra
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.app = create_app(
            IdentitySettings(
                kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
                mongodb_uri=infra.mongodb_uri,
                kafka_topic_prefix=ns.topic_prefix,
                mongodb_database=ns.database("identity"),
                notify_public_key=PUBLIC_KEY,
                provisioning_token=PROVISIONING_TOKEN,
                outbox_poll_seconds=0.2,
            ),
            self.clock,
        )
        self.lifespan = self.app.router.lifespan_context(self.app)
        self.run(self.lifespan.__aenter__())
        self.client = self.run(self._client())
        self.mongo: AsyncMongoClient[dict[str, Any]] = self.run(self._mongo())

    async def _client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)
        return no_cookie_jar(
            httpx.AsyncClient(transport=transport, base_url="https://identity.test", timeout=60)
        )

    async def _mongo(self) -> AsyncMongoClient[dict[str, Any]]:
        return AsyncMongoClient(self.infra.mongodb_uri, tz_aware=True)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        cookies: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """A request to the realm's API (``path`` below ``/v1/realms/{realm}``), with a session
        as bearer and the cookies a browser would send."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kwargs.pop("headers", {}))
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        return self.send(method, f"/v1/realms/{self.realm}{path}", headers=headers, **kwargs)

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Any request to identity (the client keeps no cookie: each person's are sent)."""
        return self.run(self.client.request(method, url, **kwargs))

    def introspected(self, token: str) -> httpx.Response:
        """Identity's introspection of ``token`` (ID-SESS-02)."""
        headers = {"Authorization": f"Bearer {token}"}
        return self.send("GET", "/v1/sessions/current", headers=headers)

    def alive(self, token: str) -> bool:
        return self.introspected(token).status_code == 200

    def user(self, user_id: str) -> User:
        store = self.app.state.identity.context.store
        found: User | None = self.run(store.users.get(user_aggregate_id(self.realm, user_id)))
        assert found is not None
        return found

    def events(self, user_id: str, event_type: str) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            commits = self.mongo[self.ns.database("identity")]["commits"]
            found = commits.find({"aggregate_id": user_aggregate_id(self.realm, user_id)})
            return [
                json.loads(e["json"])
                async for c in found.sort("_id", 1)
                for e in c["events"]
                if e["type"] == event_type
            ]

        return self.run(read())

    def opened(self, event: dict[str, Any], name: str) -> str:
        """A sealed field as notify opens it (X-02): the tests hold notify's key."""
        return open_sealed(SealedSecret.from_wire(event[name]), PRIVATE_KEY)

    def close(self) -> None:
        self.run(self.client.aclose())
        self.run(self.mongo.close())
        self.run(self.lifespan.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


#: How long a run explores (make test's bounds by default; docs/identity/sessions.md's long run
#: sets more).
EXAMPLES = int(os.environ.get("STATEFUL_EXAMPLES", "12"))
STEPS = int(os.environ.get("STATEFUL_STEPS", "40"))
SEED = int(os.environ.get("STATEFUL_SEED", "20261207"))


@contextmanager
def portal_of(infra: Infra, realm: str) -> Iterator[Portal]:
    started = Portal(infra, Namespace(), realm)
    try:
        yield started
    finally:
        started.close()


def explore(machine: type[RuleBasedStateMachine]) -> None:
    """Run ``machine`` for ``STATEFUL_EXAMPLES`` examples of up to ``STATEFUL_STEPS`` steps from
    ``STATEFUL_SEED``: a fixed seed, so ``make test`` explores the same runs every time."""
    bounded = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    seed(SEED)(bounded(machine).TestCase)().runTest()
