"""Wiring: the one place that builds identity's store, use cases, routes and jobs."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from servicekit.clock import Clock
from servicekit.jobs import every
from servicekit.runtime import Runtime
from services.identity import api, passwords
from services.identity.api import refusals
from services.identity.domain.lockout import ShadowPolicy
from services.identity.settings import IdentitySettings
from services.identity.store import IdentityStore
from services.identity.usecases import Identity
from services.identity.usecases.context import Context


def bootstrap(settings: IdentitySettings, runtime: Runtime) -> Identity:
    """Identity's use cases on the runtime's database and clock (the service and its CLI)."""
    passwords.configure(settings.password_hash_memory_kib, settings.password_hash_time_cost)
    store = IdentityStore(runtime.db, runtime.store, runtime.clock)
    context = Context(
        store,
        runtime.clock,
        notify_public_key=settings.notify_public_key,
        maintenance=settings.realms_in_maintenance,
        shadows=ShadowPolicy(
            slots=settings.shadow_slots,
            capacity=settings.shadow_slot_capacity,
            lock_period=timedelta(days=settings.shadow_lock_days),
        ),
    )
    return Identity.of(context, timedelta(seconds=settings.claim_grace_seconds))


def create_app(settings: IdentitySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    runtime = Runtime(settings, clock)
    identity = bootstrap(settings, runtime)
    context = identity.context

    async def shadow_key() -> None:
        given = settings.shadow_key.get_secret_value()
        context.shadow_key = given.encode() if given else await context.store.server_key("shadow")

    runtime.on_startup(shadow_key)
    runtime.after_relay(identity.upkeep.end_sessions)
    runtime.in_background(
        "upkeep", every(settings.upkeep_interval_seconds, identity.upkeep.run_once)
    )
    app = runtime.app(
        title="Identity service",
        description="Realms, organisations and users, passwords, login, lockout and sessions.",
        routers=api.ROUTERS,
    )
    app.state.identity = identity
    app.state.provisioning_token = settings.provisioning_token
    refusals.install(app)
    return app
