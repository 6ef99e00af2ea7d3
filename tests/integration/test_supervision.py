"""Background tasks that fail loudly (X-17), through a real runtime's ``/readyz``, on the real
broker and database.

The supervisor's back-off is a gate the test opens, so no test waits on the wall clock to see a
task down and then up again.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from factories import status_changed
from harness import Infra, Namespace, eventually, free_port, read_topic
from prometheus_client import REGISTRY
from pymongo.errors import ConnectionFailure

from servicekit.logs import configure_logging
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings
from servicekit.store import Change, Loaded
from servicekit.supervise import Supervisor

pytestmark = pytest.mark.integration


class Gate:
    """Stands in for the supervisor's back-off sleep: it records the delay asked for and holds
    the restart until the test opens it."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.waiting = asyncio.Event()
        self._open = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.waiting.set()
        await self._open.wait()

    def open(self) -> None:
        self._open.set()


def settings(infra: Infra, ns: Namespace, **more: Any) -> ServiceSettings:
    """A service's settings on the test's infrastructure; no relay unless asked for."""
    return ServiceSettings(
        outbox_relay=more.pop("outbox_relay", False),
        service_name="supervised",
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        kafka_topic_prefix=ns.topic_prefix,
        mongodb_uri=infra.mongodb_uri,
        mongodb_database=ns.database("supervised"),
        **more,
    )


@asynccontextmanager
async def serving(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = runtime.app(title="supervised", description="a runtime under test", routers=[])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            yield client


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def json_logs() -> io.StringIO:
    """The process's JSON log lines, as production writes them, into a buffer we read."""
    configure_logging("supervised", "INFO", json=True)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    return stream


async def test_x_17_a_dead_background_task_fails_readyz_and_is_restarted(
    infra: Infra, ns: Namespace
) -> None:
    gate = Gate()
    runtime = Runtime(
        settings(infra, ns), supervisor=Supervisor(base_delay=1.0, max_delay=60.0, sleep=gate.sleep)
    )
    runs = 0
    running_again = asyncio.Event()

    async def reminders() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise ConnectionFailure("database went away")
        running_again.set()
        await asyncio.Event().wait()  # a job runs until the service stops

    runtime.in_background("reminders", reminders)
    restarts = metric("background_task_restarts_total", task="reminders")
    logs = json_logs()
    async with serving(runtime) as client:
        await asyncio.wait_for(gate.waiting.wait(), timeout=10)
        down = await client.get("/readyz")
        assert down.status_code == 503
        assert down.headers["content-type"].startswith("application/problem+json")
        assert down.json()["checks"] == {
            "database": True,
            "kafka": True,
            "task:compaction": True,
            "task:reminders": False,
        }
        assert metric("background_task_up", task="reminders") == 0.0

        gate.open()
        await asyncio.wait_for(running_again.wait(), timeout=10)
        up = await client.get("/readyz")
        assert up.status_code == 200, up.text
        assert up.json()["checks"]["task:reminders"] is True
    assert metric("background_task_restarts_total", task="reminders") == restarts + 1
    assert 0.5 <= gate.asked[0] <= 1.0, "the first back-off: half the base, plus jitter"
    [died] = [
        e
        for e in map(json.loads, logs.getvalue().splitlines())
        if e["event"] == "background task died"
    ]
    assert (died["task"], died["error"]) == ("reminders", "ConnectionFailure: database went away")
    assert "Traceback" in died["exception"], "why it died, with the trace"


def toggle(current: Loaded) -> Change[int]:
    n = (current.state or {}).get("n", 0) + 1
    return Change(n, {"n": n}, [status_changed(current.aggregate_id, n)])


async def test_x_17_a_relay_that_cannot_reach_kafka_keeps_retrying_and_is_not_ready_meanwhile(
    infra: Infra, ns: Namespace
) -> None:
    """Kafka is away for the relay from the start (the broker's own check still answers): the
    relay does not die, it retries with back-off and ``/readyz`` says it is down; once Kafka
    answers, the commit waiting in the outbox goes out and the service is ready."""
    runtime = Runtime(settings(infra, ns, outbox_relay=True, outbox_poll_seconds=0.05))
    runtime.publisher.bootstrap_servers = f"127.0.0.1:{free_port()}"  # nothing listens there
    failed = metric("outbox_relay_failed_passes_total")
    async with serving(runtime) as client:
        await runtime.store.update("user-r", toggle)
        await eventually(lambda: metric("outbox_relay_failed_passes_total") >= failed + 2)
        down = await client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["checks"] == {
            "database": True,
            "kafka": True,
            "task:compaction": True,
            "task:outbox-relay": False,
        }

        runtime.publisher.bootstrap_servers = infra.kafka_bootstrap_servers  # Kafka is back
        await eventually(lambda: _ready(client), timeout=30)
    [record] = await read_topic(
        infra.kafka_bootstrap_servers, ns.topic_prefix + "identity.events", 1
    )
    assert json.loads(record.value)["subject_id"] == "user-r"


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200
