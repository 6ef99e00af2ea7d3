"""Wiring: the one place that builds identity's store, use cases, routes, subscriber and jobs."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from servicekit.clock import Clock
from servicekit.jobs import every
from servicekit.runtime import Runtime
from services.identity import api, handlers, pages
from services.identity.api import refusals
from services.identity.domain.bot_defence import ChallengePolicy
from services.identity.domain.lockout import ShadowPolicy
from services.identity.settings import IdentitySettings
from services.identity.store import IdentityStore
from services.identity.usecases import Identity, Tuning, passwords
from services.identity.usecases.addresses import trusted_networks
from services.identity.usecases.context import Context
from webkit.pages import problem_page


def challenge_policy(settings: IdentitySettings) -> ChallengePolicy:
    return ChallengePolicy(
        window=timedelta(seconds=settings.challenge_window_seconds),
        lifetime=timedelta(seconds=settings.challenge_seconds),
        base_max_number=settings.challenge_base_max_number,
        step_factor=settings.challenge_step_factor,
        accesses_per_step=settings.challenge_accesses_per_step,
        failures_per_step=settings.challenge_failures_per_step,
        max_steps=settings.challenge_max_steps,
        trusted_failure_limit=settings.trusted_failure_limit,
        slots=settings.address_slots,
        capacity=settings.address_slot_capacity,
    )


def bootstrap(settings: IdentitySettings, runtime: Runtime) -> Identity:
    """Identity's use cases on the runtime's database and clock (the service and its CLI)."""
    passwords.configure(settings.password_hash_memory_kib, settings.password_hash_time_cost)
    store = IdentityStore(
        runtime.db,
        runtime.store,
        runtime.clock,
        timedelta(
            seconds=max(
                settings.decision_session_cache_seconds,
                settings.introspection_session_cache_seconds,
            )
        ),
    )
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
    tuning = Tuning(
        claim_grace=timedelta(seconds=settings.claim_grace_seconds),
        policy_ttl=timedelta(seconds=settings.policy_cache_seconds),
        challenges=challenge_policy(settings),
        app_credential_digest=settings.kencom_app_client_secret,
        enrolment_hold=timedelta(hours=settings.enrolment_hold_hours),
        introspection_trust=timedelta(seconds=settings.introspection_session_cache_seconds),
        portal_links=settings.portal_links,
    )
    return Identity.of(context, tuning)


def create_app(settings: IdentitySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    runtime = Runtime(settings, clock)
    identity = bootstrap(settings, runtime)
    context = identity.context

    async def server_keys() -> None:
        """Keys the settings give, or ones made once and kept in the database (every replica
        reads the same)."""
        store = context.store

        async def key(given: str, name: str) -> bytes:
            return given.encode() if given else await store.server_key(name)

        context.shadow_key = await key(settings.shadow_key.get_secret_value(), "shadow")
        context.otp_key = await key(settings.otp_key.get_secret_value(), "otp")
        challenge = await key(settings.challenge_key.get_secret_value(), "challenge")
        context.use_challenge_secret(challenge)

    runtime.on_startup(server_keys)
    runtime.on_startup(context.store.login_ids.create_indexes)
    runtime.after_relay(identity.upkeep.end_sessions)
    if settings.consumers:
        handlers.register(runtime.broker, settings, identity.enrolments)
    runtime.in_background(
        "upkeep", every(settings.upkeep_interval_seconds, identity.upkeep.run_once)
    )
    runtime.in_background(
        "enrolment-purge", every(settings.upkeep_interval_seconds, identity.enrolments.purge)
    )
    app = runtime.app(
        title="Identity service",
        description="Realms, organisations and users, passwords, login, lockout and sessions; "
        "one-time passwords, permissions and the decision API; the bot defence.",
        routers=(*api.ROUTERS, *pages.ROUTERS),
        problem_page=problem_page,
    )
    app.router.routes[:0] = api.FRONT_ROUTES  # on every gateway request: matched first
    app.state.identity = identity
    app.state.provisioning_token = settings.provisioning_token
    app.state.trusted_proxies = trusted_networks(settings.trusted_proxies)
    app.state.enrolment_token = settings.enrolment_token
    refusals.install(app)
    return app
