"""Wiring: the one place that builds the notify service.

The walking skeleton: the process starts, answers ``/healthz``, ``/readyz`` and ``/metrics``, and
holds its Kafka and database connections. Its behaviour arrives with its own issue.
"""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.notify.settings import NotifySettings


def create_app(settings: NotifySettings | None = None, clock: Clock | None = None) -> FastAPI:
    runtime = Runtime(settings or NotifySettings(), clock)
    return runtime.app(
        title="Notify service",
        description="Every event that needs a mail becomes one real SMTP mail, once.",
        routers=[],
    )
