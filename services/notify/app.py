"""Wiring: the one place that builds notify's pool, courier, composer, routes and subscriber."""

from __future__ import annotations

from datetime import timedelta

import aiosmtplib
from fastapi import FastAPI

from servicekit.clock import Clock
from servicekit.credentials import Introspection
from servicekit.jobs import every
from servicekit.runtime import Runtime
from services.notify import api, handlers, pages
from services.notify.domain.realms import RealmDirectory
from services.notify.settings import NotifySettings
from services.notify.store import DeliveryLog
from services.notify.usecases import Deliveries, DeliveryLogReading, NotifyUseCases, Previews
from services.notify.usecases.mail.letters import Composer
from services.notify.usecases.mail.rendering import Renderer
from services.notify.usecases.mail.smtp import Courier, SmtpPool
from webkit.pages import problem_page


def smtp_pool(settings: NotifySettings) -> SmtpPool:
    """The bounded pool of SMTP connections, STARTTLS and login as configured."""

    def connect() -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password.get_secret_value() or None,
            use_tls=settings.smtp_use_tls,
            start_tls=settings.smtp_start_tls,
            timeout=settings.smtp_timeout_seconds,
        )

    return SmtpPool(connect, settings.smtp_pool_size)


def create_app(settings: NotifySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = Runtime(settings, clock)
    delivery_log = DeliveryLog(runtime.db, timedelta(days=settings.delivery_log_retention_days))
    runtime.on_startup(delivery_log.create_indexes)
    pool = smtp_pool(settings)
    courier = Courier(
        pool,
        max_attempts=settings.smtp_max_attempts,
        base_delay=settings.smtp_retry_base_seconds,
        max_delay=settings.smtp_retry_max_seconds,
    )
    composer = Composer(
        RealmDirectory(settings.mail_base_urls, settings.mail_languages),
        Renderer(settings.mail_templates_dir),
        settings.notify_private_key.get_secret_value(),
    )
    announcer = handlers.KafkaAnnouncer(runtime.broker, runtime.publisher, settings)
    runtime.on_shutdown(pool.close)
    deliveries = Deliveries(delivery_log, composer, courier, announcer, runtime.clock)
    usecases = NotifyUseCases(deliveries, Previews(composer), DeliveryLogReading(delivery_log))
    introspection = Introspection(settings.identity_url)
    runtime.on_shutdown(introspection.close)
    if settings.consumers:
        handlers.register(runtime.broker, settings, deliveries)
    runtime.in_background(
        "delivery-log-purge", every(settings.purge_interval_seconds, deliveries.purge_delivery_log)
    )
    app = runtime.app(
        title="Notify service",
        description="Every event that needs a mail becomes one real SMTP mail, once; the "
        "support desk's delivery log, as JSON and as the console's page.",
        routers=[*api.ROUTERS, *pages.ROUTERS],
        problem_page=problem_page,
    )
    app.state.notify = usecases
    app.state.introspection = introspection
    return app
