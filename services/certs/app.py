"""Wiring: the one place that builds the certs service.

The walking skeleton: the process starts, answers ``/healthz``, ``/readyz`` and ``/metrics``, and
holds its Kafka and database connections. Its behaviour arrives with its own issue.
"""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.certs.settings import CertsSettings


def create_app(settings: CertsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    runtime = Runtime(settings or CertsSettings(), clock)
    return runtime.app(
        title="Certs service",
        description="A client-certificate authority for mTLS.",
        routers=[],
    )
