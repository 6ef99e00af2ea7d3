"""Wiring: the one place that builds enroll's store, use cases, routes, subscriber and jobs."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from servicekit.clock import Clock
from servicekit.credentials import Introspection
from servicekit.jobs import every
from servicekit.runtime import Runtime
from services.enroll import api, handlers, pages
from services.enroll.api import refusals
from services.enroll.domain.checkup import GatePolicy
from services.enroll.domain.consent import Documents
from services.enroll.domain.signups import SignupPolicy
from services.enroll.settings import EnrollSettings
from services.enroll.store import EnrollStore
from services.enroll.usecases import Enroll
from services.enroll.usecases.access import Access
from services.enroll.usecases.context import Context, RosterPolicy
from services.enroll.usecases.identity_client import CredentialHolder, IdentityClient
from webkit.pages import problem_page


def bootstrap(
    settings: EnrollSettings, runtime: Runtime, holder: CredentialHolder | None = None
) -> Enroll:
    """Enroll's use cases on the runtime's database and clock (the service, tests, the bench)."""
    hours = timedelta(hours=1)
    context = Context(
        store=EnrollStore(runtime.db, runtime.store, runtime.clock),
        clock=runtime.clock,
        holder=holder
        or IdentityClient(settings.identity_url, settings.enrolment_token.get_secret_value()),
        notify_public_key=settings.notify_public_key,
        signups=SignupPolicy(
            app_link=settings.signup_app_link_hours * hours,
            pc_link=settings.signup_pc_link_hours * hours,
            step=settings.signup_step_hours * hours,
            resend_window=settings.signup_resend_hours * hours,
            max_mails=settings.signup_max_mails,
            max_tries=settings.eligibility_max_tries,
        ),
        gates=GatePolicy(
            max_code_tries=settings.checkup_max_code_tries,
            max_answer_tries=settings.checkup_max_answer_tries,
        ),
        rosters=RosterPolicy(
            rows_per_bucket=settings.roster_rows_per_bucket,
            max_file_bytes=settings.roster_max_file_megabytes * 1024**2,
        ),
        group_links={k.strip().upper(): v for k, v in settings.group_link_codes.items()},
        documents=Documents(
            settings.terms_version,
            settings.terms_url,
            settings.privacy_version,
            settings.privacy_url,
        ),
    )
    return Enroll.of(
        context, timedelta(seconds=settings.claim_grace_seconds), settings.roster_cache_seconds
    )


def create_app(
    settings: EnrollSettings | None = None,
    clock: Clock | None = None,
    holder: CredentialHolder | None = None,
) -> FastAPI:
    settings = settings or EnrollSettings()
    runtime = Runtime(settings, clock)
    enroll = bootstrap(settings, runtime, holder)
    context = enroll.context
    access = Access(Introspection(settings.identity_url), settings.provisioning_token)

    async def person_key() -> None:
        given = settings.person_key.get_secret_value()
        context.person_key = given.encode() if given else await context.store.server_key("person")

    async def close() -> None:
        await access.close()
        if isinstance(context.holder, IdentityClient):
            await context.holder.close()

    runtime.on_startup(person_key)
    runtime.on_shutdown(close)
    if settings.consumers:
        handlers.register(runtime.broker, settings, enroll.eligibility)
    runtime.in_background("upkeep", every(settings.upkeep_interval_seconds, enroll.upkeep.run_once))
    app = runtime.app(
        title="Enroll service",
        description="kencom's self sign-up with roster eligibility, and the checkup-results "
        "gate (SPEC section 6).",
        routers=[*api.ROUTERS, *pages.ROUTERS],
        problem_page=problem_page,
    )
    app.state.enroll = enroll
    app.state.access = access
    refusals.install(app)
    return app
