"""Notify's subscribers: every producer of mail-worthy events (NT-01), and where outcomes go.

Notify listens to identity, certs and enroll, including event types whose producers are not
built yet: the contracts say what they will send. Events that ask for no mail pass through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from contracts import Event, Topics
from servicekit.bus import DeadLetters, subscribe
from servicekit.relay import make_producer
from services.notify.settings import NotifySettings
from services.notify.usecases import NotifyUseCases

SOURCE_TOPICS = (Topics.IDENTITY, Topics.CERTS, Topics.ENROLL)
SUBSCRIBER = "mail"


class KafkaAnnouncer:
    """``MailSent`` / ``MailFailed`` on ``notify.events``; refused events on ``<topic>.dlq``.

    Announcements go through their own idempotent producer (``acks=all``, like the outbox
    relay's), sent together and awaited together: a batch's announcements cost one round trip,
    where one FastStream ``publish`` per mail cost a fifth of notify's time (bench/notify).
    """

    def __init__(self, broker: KafkaBroker, settings: NotifySettings) -> None:
        self.settings = settings
        self.producer: AIOKafkaProducer | None = None
        self.dead_letters = DeadLetters(broker, f"{settings.consumer_group}.{SUBSCRIBER}")

    async def start(self) -> None:
        """aiokafka producers are made inside the running loop, so at startup."""
        self.producer = make_producer(
            self.settings.kafka_bootstrap_servers, f"{self.settings.service_name}-announcer"
        )
        await self.producer.start()

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()

    async def announce(self, events: Sequence[Event]) -> None:
        assert self.producer is not None, "announcing before the service started"
        sent = [
            await self.producer.send(
                self.settings.topic(e.topic),
                value=e.to_json(),
                key=e.key(),
                headers=[
                    ("event_type", e.type.encode()),
                    ("event_id", str(e.event_id).encode()),
                    ("correlation_id", e.correlation_id.encode()),
                ],
            )
            for e in events
        ]
        await asyncio.gather(*sent)

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
