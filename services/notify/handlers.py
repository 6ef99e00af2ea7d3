"""Notify's subscribers: every producer of mail-worthy events (NT-01), and where outcomes go.

Notify listens to identity, certs and enroll, including event types whose producers are not
built yet: the contracts say what they will send, and to audit's low-volume ``audit.exports``
(a large export is ready), never to its live stream of every access. Events that ask for no
mail pass through.
"""

from __future__ import annotations

from collections.abc import Sequence

from faststream.kafka import KafkaBroker

from contracts import Event, Topics
from servicekit.bus import DeadLetters, subscribe
from servicekit.publish import Publisher
from services.notify.settings import NotifySettings
from services.notify.usecases import Deliveries

SOURCE_TOPICS = (Topics.IDENTITY, Topics.CERTS, Topics.ENROLL, Topics.AUDIT_EXPORTS)
SUBSCRIBER = "mail"


class KafkaAnnouncer:
    """``MailSent`` / ``MailFailed`` on ``notify.events``; refused events on ``<topic>.dlq``.

    A batch's announcements go through the process's publisher (servicekit.publish), sent
    together and awaited together: one round trip per batch, where one FastStream ``publish``
    per mail cost a fifth of notify's time (bench/notify).
    """

    def __init__(self, broker: KafkaBroker, publisher: Publisher, settings: NotifySettings) -> None:
        self.settings = settings
        self.publisher = publisher
        self.dead_letters = DeadLetters(broker, f"{settings.consumer_group}.{SUBSCRIBER}")

    async def announce(self, events: Sequence[Event]) -> None:
        await self.publisher.publish(events)

    async def dead_letter(self, event: Event, reason: str) -> None:
        await self.dead_letters.send_event(event, self.settings.topic(event.topic), reason)


def register(broker: KafkaBroker, settings: NotifySettings, deliveries: Deliveries) -> None:
    subscribe(
        broker,
        settings,
        SOURCE_TOPICS,
        deliveries.deliver,
        name=SUBSCRIBER,
        max_records=settings.mail_batch_size,
    )
