"""Wiring: the one place that builds audit's store, use cases, routes and subscribers."""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.audit import api, handlers
from services.audit.settings import AuditSettings
from services.audit.store import AccessRecords
from services.audit.usecases import AuditUseCases


def create_app(settings: AuditSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or AuditSettings()
    runtime = Runtime(settings, clock)
    records = AccessRecords(runtime.db)
    runtime.on_startup(records.create_indexes)
    usecases = AuditUseCases(records, runtime.clock)
    if settings.consumers:
        handlers.register(runtime.broker, settings, usecases)
    return runtime.app(
        title="Audit service",
        description="The access-history projection of every service's events.",
        routers=[api.router(usecases)],
    )
