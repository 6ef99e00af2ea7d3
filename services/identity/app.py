"""Wiring: the one place that builds identity's store, use cases, routes and relay."""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.identity import api, passwords
from services.identity.settings import IdentitySettings
from services.identity.signin import SignInUseCases
from services.identity.store import IdentityStore
from services.identity.usecases import IdentityUseCases


def create_app(settings: IdentitySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    passwords.configure(settings.password_hash_memory_kib, settings.password_hash_time_cost)
    runtime = Runtime(settings, clock)
    store = IdentityStore(runtime.db, runtime.store, runtime.clock)
    usecases = IdentityUseCases(store, runtime.clock, settings.notify_public_key)
    signin = SignInUseCases(store, runtime.clock, settings.notify_public_key)
    return runtime.app(
        title="Identity service",
        description="Realms, organisations and users, passwords, login, lockout and sessions.",
        routers=[
            api.router(
                usecases, signin, settings.realms_in_maintenance, settings.provisioning_token
            )
        ],
    )
