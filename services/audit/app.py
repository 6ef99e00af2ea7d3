"""Wiring: the one place that builds audit's store, use cases, routes, subscribers and jobs."""

from __future__ import annotations

from fastapi import FastAPI

from contracts import Topics
from servicekit.clock import Clock
from servicekit.credentials import Introspection
from servicekit.jobs import every
from servicekit.runtime import Runtime
from services.audit import api, handlers, pages
from services.audit.settings import AuditSettings
from services.audit.store.export_jobs import ExportJobStore
from services.audit.store.own_history import OwnHistories
from services.audit.store.records import AccessRecords, ProfileHistories
from services.audit.usecases import Audit
from services.audit.usecases.access import Access
from services.audit.usecases.export_jobs import ExportJobs
from services.audit.usecases.exports import Exports
from services.audit.usecases.history import AccessHistory
from services.audit.usecases.live import LiveStream
from services.audit.usecases.live_tail import Tail
from services.audit.usecases.own_history import OwnHistory
from webkit import assets
from webkit.pages import problem_page


def create_app(settings: AuditSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or AuditSettings()
    runtime = Runtime(settings, clock)
    records = AccessRecords(runtime.db)
    profiles = ProfileHistories(runtime.store)
    runtime.on_startup(records.create_indexes)
    live = LiveStream(runtime.publisher)
    own = OwnHistories(runtime.store)
    history = AccessHistory(records, profiles, live, runtime.clock, own)
    exports = Exports(records, profiles, runtime.clock, settings.export_spool_dir)
    jobs = ExportJobs(ExportJobStore(runtime.db, runtime.store), exports, runtime.clock, profiles)
    runtime.on_shutdown(jobs.stop)
    runtime.in_background("export-purge", every(settings.purge_interval_seconds, jobs.purge))
    access = Access(Introspection(settings.identity_url))
    runtime.on_shutdown(access.close)
    if settings.consumers:
        handlers.register(runtime.broker, settings, history)
        runtime.in_background(
            "retention", every(settings.retention_interval_seconds, history.purge)
        )
    tail = Tail(settings.kafka_bootstrap_servers, settings.topic(Topics.AUDIT))
    runtime.in_background("dashboard-tail", tail.run)
    app = runtime.app(
        title="Audit service",
        description="The access-history projection of every service's events, its CSV export, "
        "the live stream for ops dashboards and the dashboard's page.",
        routers=[*api.ROUTERS, *pages.ROUTERS, assets.router],
        problem_page=problem_page,
    )
    app.state.audit = Audit(history, exports, jobs, tail, access, OwnHistory(own, runtime.clock))
    return app
