"""Wiring: the one place that builds the certs service's store, use cases, routes and jobs."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from servicekit.clock import Clock
from servicekit.credentials import Introspection
from servicekit.jobs import every
from servicekit.runtime import Runtime
from services.certs import api, handlers, pages
from services.certs.api import refusals
from services.certs.settings import CertsSettings
from services.certs.store import CertsStore
from services.certs.usecases import Certs
from services.certs.usecases.access import Access
from services.certs.usecases.authority import AuthorityKeeper
from services.certs.usecases.certificates import Certificates
from services.certs.usecases.reminders import Reminders
from services.certs.usecases.signing import Urls
from webkit.pages import problem_page


def bootstrap(settings: CertsSettings, runtime: Runtime) -> Certs:
    """The use cases on the runtime's database, clock and publisher (the service, the bench)."""
    store = CertsStore(runtime.db, runtime.store)
    base = settings.public_url.rstrip("/")
    keeper = AuthorityKeeper(
        store,
        runtime.clock,
        realm=settings.realm,
        name=settings.ca_name,
        algorithm=settings.ca_key_algorithm,
        passphrase=settings.ca_key_passphrase.get_secret_value(),
        urls=Urls(
            crl=f"{base}/v1/ca/crl",
            ocsp=f"{base}/v1/ca/ocsp",
            ca_issuers=f"{base}/v1/ca/certificate",
        ),
        crl_validity=timedelta(hours=settings.crl_validity_hours),
    )
    certificates = Certificates(store, keeper, runtime.publisher, settings.realm)
    return Certs(store, keeper, certificates, Reminders(store, runtime.clock))


def create_app(settings: CertsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or CertsSettings()
    runtime = Runtime(settings, clock)
    certs = bootstrap(settings, runtime)
    access = Access(Introspection(settings.identity_url), settings.provisioning_token)
    runtime.on_startup(certs.store.create_indexes)
    runtime.on_startup(certs.keeper.start)
    runtime.on_shutdown(access.close)
    if settings.consumers:
        handlers.register(runtime.broker, settings, certs)
    runtime.in_background(
        "reminders", every(settings.reminder_interval_seconds, certs.reminders.run_once)
    )

    async def publish_crl() -> None:
        await certs.keeper.refresh_responder()
        await certs.keeper.publish_crl()

    runtime.in_background("crl-publication", every(settings.crl_interval_seconds, publish_crl))
    app = runtime.app(
        title="Certs service",
        description="kihonet's client-certificate authority: notices, issue, renewal, "
        "revocation, CRL and OCSP (SPEC section 4).",
        routers=[*api.ROUTERS, *pages.ROUTERS],
        problem_page=problem_page,
    )
    app.state.certs = certs
    app.state.realm = settings.realm
    app.state.access = access
    app.state.gateway_secret = settings.gateway_secret
    refusals.install(app)
    return app
