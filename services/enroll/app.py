"""Wiring: the one place that builds the enroll service.

The walking skeleton: the process starts, answers ``/healthz``, ``/readyz`` and ``/metrics``, and
holds its Kafka and database connections. Its behaviour arrives with its own issue.
"""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.enroll.settings import EnrollSettings


def create_app(settings: EnrollSettings | None = None, clock: Clock | None = None) -> FastAPI:
    runtime = Runtime(settings or EnrollSettings(), clock)
    return runtime.app(
        title="Enroll service",
        description=__doc__ or "",
        routers=[],
    )
