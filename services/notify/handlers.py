"""Notify's subscribers: every producer of mail-worthy events (NT-01), and where outcomes go.

Notify listens to identity, certs and enroll, including event types whose producers are not
built yet: the contracts say what they will send. Events that ask for no mail pass through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from faststream.kafka import KafkaBroker

from contracts import Event, Topics
from servicekit.bus import DeadLetters, subscribe
from services.notify.settings import NotifySettings
from services.notify.usecases import NotifyUseCases

SOURCE_TOPICS = (Topics.IDENTITY, Topics.CERTS, Topics.ENROLL)
SUBSCRIBER = "mail"


class KafkaAnnouncer:
    """``MailSent`` / ``MailFailed`` on ``notify.events``; refused events on ``<topic>.dlq``."""

    def __init__(self, broker: KafkaBroker, settings: NotifySettings) -> None:
        self.broker = broker
        self.settings = settings
        self.dead_letters = DeadLetters(broker, f"{settings.consumer_group}.{SUBSCRIBER}")

    async def announce(self, events: Sequence[Event]) -> None:
        await asyncio.gather(
            *(
                self.broker.publish(
                    e.to_json(),
                    topic=self.settings.topic(e.topic),
                    key=e.key(),
                    headers={"event_type": e.type, "event_id": str(e.event_id)},
                    correlation_id=e.correlation_id,
                )
                for e in events
            )
        )

    async def dead_letter(self, event: Event, reason: str) -> None:
        await self.dead_letters.send_event(event, self.settings.topic(event.topic), reason)


def register(broker: KafkaBroker, settings: NotifySettings, usecases: NotifyUseCases) -> None:
    subscribe(
        broker,
        settings,
        SOURCE_TOPICS,
        usecases.deliver,
        name=SUBSCRIBER,
        max_records=settings.mail_batch_size,
    )
