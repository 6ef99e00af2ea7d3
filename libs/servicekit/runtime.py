"""One process per service: a FastAPI app, the service's Kafka subscribers and its outbox relay.

Every service builds a :class:`Runtime` in its ``app.py``, hands it its routers, subscribers and
background jobs, and gets back an ASGI app that also answers ``/healthz``, ``/readyz`` and
``/metrics`` (X-08), speaks problem+json (X-05) and carries a correlation id from each request
into its logs and events, and its trace into its commits and events (X-20, ``servicekit.traces``).
``serve`` runs it under uvicorn.

The runtime owns the process's connections (database, broker, the one :class:`Publisher`) and
its background tasks: the outbox relay and every ``in_background`` job run under a
:class:`Supervisor`, so a task that dies is logged, restarted with back-off and shown in
``/readyz`` until it runs again (X-17).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.asyncapi import asyncapi_document
from servicekit.bus import Inbox, make_broker
from servicekit.clock import Clock, SystemClock
from servicekit.compaction import Compaction
from servicekit.dbcommands import COUNTER
from servicekit.jobs import every
from servicekit.logs import (
    bind_correlation_id,
    configure_logging,
    get_logger,
    new_correlation_id,
)
from servicekit.outages import AnswerEveryRequest
from servicekit.problems import (
    ProblemCode,
    ProblemPage,
    install_problem_handlers,
    problem_response,
)
from servicekit.publish import Publisher
from servicekit.relay import AfterPublish, OutboxRelay
from servicekit.settings import ServiceSettings
from servicekit.store import VersionedStore
from servicekit.supervise import Job, Supervisor, bounded
from servicekit.traces import configure_tracing
from servicekit.traces import flush as flush_traces

log = get_logger(__name__)

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
READINESS = Gauge(
    "service_readiness_check", "The last /readyz's answer per check: 1 passed, 0 failed", ["check"]
)
"""Labelled, so that a process never probed shows nothing rather than a 0 that reads as "not
ready"; the process is ready when every check is 1 (X-19's ReadinessLost takes the minimum)."""

CORRELATION_HEADER = "X-Correlation-ID"
Startup = Callable[[], Awaitable[None]]


def mongo_client(uri: str, timeout_seconds: float = 5.0) -> AsyncMongoClient[dict[str, Any]]:
    """Timezone-aware (stored UTC comes back as aware datetimes) and quick to give up: an
    operation while the database is away fails within ``timeout_seconds``, and its request is
    answered 503 (``servicekit.outages``) instead of waiting on. Every command it sends is
    counted on ``/metrics`` (``servicekit.dbcommands``)."""
    milliseconds = int(timeout_seconds * 1000)
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=milliseconds,
        connectTimeoutMS=milliseconds,
        event_listeners=[COUNTER],
    )


class Runtime:
    """The wiring of one service process; the one place that owns connections and tasks."""

    def __init__(
        self,
        settings: ServiceSettings,
        clock: Clock | None = None,
        *,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.tracing = configure_tracing(settings)  # first: its command listener joins clients
        self.mongo = mongo_client(
            settings.mongodb_uri, settings.mongodb_server_selection_timeout_seconds
        )
        self.db: AsyncDatabase[dict[str, Any]] = self.mongo[settings.database_name]
        self.broker: KafkaBroker = make_broker(settings)
        self.store = VersionedStore(self.db, self.clock)
        self.publisher = Publisher(
            settings.kafka_bootstrap_servers, f"{settings.service_name}-publisher", settings.topic
        )
        """The process's one way to publish events (the relay's, and any the service sends)."""
        self.supervisor = supervisor or Supervisor(
            base_delay=settings.background_restart_base_seconds,
            max_delay=settings.background_restart_max_seconds,
        )
        """Runs the background tasks, restarting any that dies (X-17); a test may give one whose
        back-off it controls."""
        self._on_startup: list[Startup] = []
        self._on_shutdown: list[Startup] = []
        self._inboxes: list[Inbox] = []
        self.relay: OutboxRelay | None = None
        """This process's outbox relay, unless the settings leave relaying to other replicas."""
        if settings.outbox_relay:
            relay = OutboxRelay(
                self.store,
                self.publisher,
                self.clock,
                poll_seconds=settings.outbox_poll_seconds,
                batch_size=settings.outbox_batch_size,
            )
            self.supervisor.add("outbox-relay", relay.run, healthy=lambda: relay.healthy)
            self.relay = relay
        compaction = Compaction(self.store, timedelta(seconds=settings.compaction_grace_seconds))
        self.supervisor.add(
            "compaction", every(settings.compaction_interval_seconds, compaction.run_once)
        )

    def after_relay(self, hook: AfterPublish) -> None:
        """Run ``hook`` on every batch of committed events the relay publishes (see
        ``OutboxRelay.after_publish``); a process that relays nothing runs none: the replica
        that relays the commit does."""
        if self.relay is not None:
            self.relay.after_publish(hook)

    def on_startup(self, fn: Startup) -> None:
        """Run ``fn`` once before serving (creating indexes, seeding reference data)."""
        self._on_startup.append(fn)

    def in_background(self, name: str, fn: Job) -> None:
        """Run ``fn`` as a supervised task while the service serves (a scheduled job, see
        :func:`servicekit.jobs.every`): restarted with back-off if it dies, shown in
        ``/readyz`` as ``task:<name>``, cancelled at stop."""
        self.supervisor.add(name, fn)

    def inbox(self, consumer: str) -> Inbox:
        """The processed-event markers of one consumer (X-03). A supervised job forgets markers
        older than ``INBOX_RETENTION_DAYS`` every ``PURGE_INTERVAL_SECONDS`` (X-14)."""
        inbox = Inbox(self.db, consumer, self.clock)
        if not self._inboxes:
            self.in_background(
                "inbox-purge", every(self.settings.purge_interval_seconds, self.purge_inboxes)
            )
        self._inboxes.append(inbox)
        return inbox

    async def purge_inboxes(self) -> int:
        """What the inbox purge job does each time: forget expired markers of every inbox."""
        retention = timedelta(days=self.settings.inbox_retention_days)
        deleted = sum([await inbox.purge(retention) for inbox in self._inboxes])
        log.info("inbox markers purged", deleted=deleted)
        return deleted

    def on_shutdown(self, fn: Startup) -> None:
        """Run ``fn`` once when the process stops (closing the service's own connections)."""
        self._on_shutdown.append(fn)

    async def ready(self) -> dict[str, bool]:
        async def database() -> bool:
            await self.mongo.admin.command("ping")
            return True

        async def kafka() -> bool:
            return bool(await self.broker.ping(timeout=2.0))

        checks: dict[str, bool] = {}
        for name, check in (("database", database), ("kafka", kafka)):
            try:
                async with asyncio.timeout(3.0):
                    checks[name] = await check()
            except Exception:
                checks[name] = False
        return checks | self.supervisor.checks()

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        for fn in self._on_startup:
            await fn()
        await self.broker.start()
        self.supervisor.start()
        log.info("service started", port=self.settings.http_port)
        try:
            yield
        finally:  # every step bounded: a stop ends, whatever a library does (``bounded``)
            await self.supervisor.stop()
            for fn in self._on_shutdown:
                await bounded(getattr(fn, "__qualname__", "on_shutdown"), fn())
            await bounded("broker", self.broker.stop())
            await bounded("publisher", self.publisher.stop())
            await bounded("database", self.mongo.close())
            await bounded("traces", asyncio.to_thread(flush_traces))
            log.info("service stopped")

    def app(
        self,
        *,
        title: str,
        description: str,
        routers: Sequence[APIRouter],
        problem_page: ProblemPage | None = None,
    ) -> FastAPI:
        """The service's ASGI app. ``problem_page`` shows every problem a browser meets on a
        page as the portal's page, for a service with pages (``/realms/…``): a route's refusal,
        an unknown page, an outage's 503, a crash's 500 (``servicekit.browsers.wants_page``)."""
        app = FastAPI(
            title=title,
            description=description,
            version="1.0.0",
            lifespan=self.lifespan,
        )
        install_problem_handlers(app, problem_page)
        app.add_middleware(AnswerEveryRequest, page=problem_page)
        app.add_middleware(CorrelateAndMeasure)  # added last, so it runs first: every answer
        # Outermost of all: the request's server span is active in everything after it.
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.tracing,
            excluded_urls="/healthz,/readyz,/metrics",
            exclude_spans=["receive", "send"],
        )
        app.include_router(self._operations_router())
        for router in routers:
            app.include_router(router)
        return app

    def _operations_router(self) -> APIRouter:
        router = APIRouter(tags=["operations"])

        @router.get("/healthz", summary="Liveness: the process answers")
        async def healthz() -> dict[str, str]:
            return {"status": "ok", "service": self.settings.service_name}

        @router.get(
            "/readyz",
            summary="Readiness: Kafka and the database are reachable, every background task runs",
        )
        async def readyz() -> Response:
            checks = await self.ready()
            record_readiness(checks)
            if all(checks.values()):
                return JSONResponse({"status": "ready", "checks": checks})
            return problem_response(ProblemCode.SERVICE_UNAVAILABLE, checks=checks)

        @router.get("/asyncapi.json", summary="AsyncAPI 3.0 description of every event topic")
        async def asyncapi() -> dict[str, Any]:
            return asyncapi_document()

        @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
        async def metrics() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

        return router


def record_readiness(checks: dict[str, bool]) -> None:
    """Show ``/readyz``'s answer on ``/metrics`` (X-19's ReadinessLost). Set by each probe, not
    on every scrape: checking costs a database ping, which ``mongodb_commands_total`` would count
    against the benchmarks' operations; the orchestrator probes every few seconds anyway."""
    for name, passed in checks.items():
        READINESS.labels(check=name).set(float(passed))


class CorrelateAndMeasure:
    """Binds the request's correlation id (from ``X-Correlation-ID`` or new) for every log line
    and event of the request, returns it in the response, and counts requests by route.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` costs more per request than a
    session introspection should (ID-SESS-02 is on every request through the gateway).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(CORRELATION_HEADER)
        cid = (given or new_correlation_id())[:64]
        bind_correlation_id(cid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(CORRELATION_HEADER, cid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)


def serve(app_factory: Callable[[], FastAPI], settings: ServiceSettings) -> None:
    """Run a service until SIGTERM; logs are JSON lines on stdout."""
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    uvicorn.run(
        app_factory(),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        # The client's address is the service's to establish from its own trusted proxies:
        # uvicorn would otherwise believe X-Forwarded-For from any local peer.
        proxy_headers=False,
    )
