"""Processed-event markers are purged after their last possible use (X-14), by moving the clock.

Each purge keeps what Kafka could still redeliver: a marker just inside its retention stays and
a redelivery of its event does nothing; one just past it goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from factories import user_created
from harness import Infra, Namespace
from mail_catchers import new_address
from mail_events import otp
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Event
from servicekit.clock import ManualClock
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings
from services.notify.domain.deliveries import Sent
from services.notify.domain.mails import MailOrder, order_for
from services.notify.settings import NotifySettings
from services.notify.store import DeliveryLog

pytestmark = pytest.mark.integration

JUST = timedelta(milliseconds=1)
"""The smallest step a stored time takes (BSON dates are whole milliseconds)."""


async def test_x_14_inbox_markers_go_after_14_days_and_a_redelivery_inside_them_does_nothing(
    infra: Infra, ns: Namespace, db: AsyncDatabase[dict[str, Any]]
) -> None:
    clock = ManualClock()
    runtime = Runtime(
        ServiceSettings(
            mongodb_uri=infra.mongodb_uri,
            mongodb_database=db.name,
            kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
            kafka_topic_prefix=ns.topic_prefix,
            outbox_relay=False,
        ),
        clock,
    )
    try:
        inbox = runtime.inbox("welcome-mail")
        assert "task:inbox-purge" in runtime.supervisor.checks(), "purged by a supervised job"
        welcomed: list[str] = []

        async def send_welcome_mail(events: Sequence[Event]) -> None:
            welcomed.extend(e.subject_id for e in events)

        welcome = inbox.guard(send_welcome_mail)
        older, younger = user_created("u-older"), user_created("u-younger")
        await welcome([older])
        clock.advance(2 * JUST)
        await welcome([younger])
        clock.advance(timedelta(days=14) - JUST)  # older: 14 days and 1 ms; younger: 1 ms short

        assert await runtime.purge_inboxes() == 1
        markers = db["inbox.welcome-mail"]
        assert [m["_id"] async for m in markers.find({})] == [str(younger.event_id)]
        await welcome([younger])
        assert welcomed == ["u-older", "u-younger"], (
            "the redelivery inside the retention did nothing"
        )
    finally:
        await runtime.mongo.close()


def mail(order: MailOrder | None) -> MailOrder:
    assert order is not None
    return order


async def test_x_14_delivery_log_entries_go_after_30_days_and_a_redelivery_inside_sends_nothing(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    clock = ManualClock()
    log = DeliveryLog(db, timedelta(days=NotifySettings().delivery_log_retention_days))
    older, younger = (
        mail(order_for(otp(new_address()).event)),
        mail(order_for(otp(new_address()).event)),
    )
    for order in (older, younger):
        letter = {order.event_id: f"<{order.event_id}@nexi.example.jp>"}
        assert await log.begin([order], list(letter.values()), clock.now()) == [order]
        await log.finish([(order, Sent(attempts=1))], letter, clock.now())
        clock.advance(2 * JUST)
    clock.advance(timedelta(days=30) - 3 * JUST)  # older: 30 days and 1 ms; younger: 1 ms short

    assert await log.purge(clock.now()) == 2, "the older mail's intent and outcome"
    for collection in (log.intents, log.outcomes):
        assert [d["_id"] async for d in collection.find({})] == [younger.event_id]
    again = await log.begin([younger], [f"<{younger.event_id}@nexi.example.jp>"], clock.now())
    assert again == [], "a redelivery of a mail still in the log sends nothing (NT-03)"


def test_x_14_retentions_shorter_than_kafka_can_redeliver_are_refused() -> None:
    """Kafka keeps a record 7 days by default: a marker must outlive it."""
    with pytest.raises(ValidationError, match="inbox_retention_days"):
        ServiceSettings(inbox_retention_days=7)
    with pytest.raises(ValidationError, match="delivery_log_retention_days"):
        NotifySettings(delivery_log_retention_days=7)
