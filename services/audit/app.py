"""Wiring: the one place that builds audit's store, use cases, routes, subscribers and jobs."""

from __future__ import annotations

from fastapi import FastAPI

from contracts import Topics
from servicekit.clock import Clock
from servicekit.credentials import Introspection
from servicekit.jobs import every
from servicekit.runtime import Runtime
from services.audit import api, dashboard, export_pages, handlers, history_pages
from services.audit.export_jobs import ExportJobs
from services.audit.exports import Exports
from services.audit.live_tail import Tail
from services.audit.settings import AuditSettings
from services.audit.store import AccessRecords, ProfileHistories
from services.audit.stream import LiveStream
from services.audit.usecases import AuditUseCases
from webkit import assets
from webkit.pages import problem_page


def create_app(settings: AuditSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or AuditSettings()
    runtime = Runtime(settings, clock)
    records = AccessRecords(runtime.db)
    profiles = ProfileHistories(runtime.store)
    runtime.on_startup(records.create_indexes)
    live = LiveStream(runtime.publisher)
    usecases = AuditUseCases(records, profiles, live, runtime.clock)
    exports = Exports(records, profiles, runtime.clock, settings.export_spool_dir)
    jobs = ExportJobs(runtime.db, exports, runtime.clock, runtime.store, profiles)
    runtime.on_shutdown(jobs.stop)
    runtime.in_background("export-purge", every(settings.purge_interval_seconds, jobs.purge))
    introspection = Introspection(settings.identity_url)
    runtime.on_shutdown(introspection.close)
    if settings.consumers:
        handlers.register(runtime.broker, settings, usecases)
        runtime.in_background(
            "retention", every(settings.retention_interval_seconds, usecases.purge)
        )
    tail = Tail(settings.kafka_bootstrap_servers, settings.topic(Topics.AUDIT))
    runtime.in_background("dashboard-tail", tail.run)
    return runtime.app(
        title="Audit service",
        description="The access-history projection of every service's events, its CSV export, "
        "the live stream for ops dashboards and the dashboard's page.",
        routers=[
            api.router(usecases, exports, jobs, introspection),
            dashboard.router(tail, introspection),
            history_pages.router(exports, introspection),
            export_pages.router(jobs, exports, introspection),
            assets.router,
        ],
        problem_page=problem_page,
    )
