"""Kafka plumbing shared by every service: the broker, event subscribers, dead letters, the inbox.

Consumers commit offsets only after the handler's effects are stored (``AckPolicy.NACK_ON_ERROR``
with auto-commit off: success commits, an exception rewinds the partition so the batch comes
again). Three kinds of trouble are told apart, so a bad message can never block a partition and
an outage can never lose one:

- a record that is not a valid event (bad JSON, a known type with bad fields) goes straight to
  the dead-letter topic ``<topic>.dlq`` with the reason, and the batch goes on;
- an event of an unknown type is skipped (X-01: producers may be newer than consumers);
- an infrastructure error (database or broker unreachable) rewinds the batch after a back-off,
  so the same events are tried again when the infrastructure is back;
- any other error in a handler is retried event by event, and the events that still fail go to
  the dead-letter topic, so one poison event does not hold back its neighbours.

Delivery is at least once; :class:`Inbox` makes a handler idempotent by ``event_id`` (X-03).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from prometheus_client import Counter
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure

from contracts import Event, parse_event
from contracts.envelope import Topics
from servicekit.clock import Clock
from servicekit.facts import insert_new
from servicekit.lag import LAG
from servicekit.logs import bind_correlation_id, get_logger
from servicekit.settings import ServiceSettings
from servicekit.traces import Consuming, header_traceparent, within

log = get_logger(__name__)

EVENTS_CONSUMED = Counter(
    "events_consumed_total", "Events handled by this service's subscribers", ["topic", "type"]
)
DEAD_LETTERS = Counter(
    "events_dead_lettered_total", "Records sent to a dead-letter topic", ["topic"]
)

EventBatchHandler = Callable[[Sequence[Event]], Awaitable[None]]
EventHandler = Callable[[Event], Awaitable[None]]

#: Errors that say "the infrastructure is not there right now", not "this message is bad".
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailure,
    KafkaError,
    OSError,
    TimeoutError,
)


def make_broker(settings: ServiceSettings) -> KafkaBroker:
    """One broker per process; its producer is idempotent with ``acks=all`` like the relay's."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        enable_idempotence=True,
        acks="all",
        logger=logging.getLogger(f"{settings.service_name}.broker"),
        log_level=logging.DEBUG,
    )


@dataclass(frozen=True)
class Received:
    """One Kafka record, decoded: the event, or why it could not be."""

    record: Any
    event: Event | None
    problem: str | None


def decode(record: Any) -> Received:
    try:
        event = parse_event(record.value)
    except (ValidationError, ValueError, TypeError) as err:
        return Received(record, None, f"{type(err).__name__}: {str(err)[:500]}")
    return Received(record, event, None)


def subscribe(
    broker: KafkaBroker,
    settings: ServiceSettings,
    topics: Sequence[str],
    handler: EventBatchHandler,
    *,
    name: str,
    max_records: int = 500,
) -> None:
    """Register ``handler`` for batches of events from the logical ``topics``."""
    physical = [settings.topic(t) for t in topics]
    group_id = f"{settings.consumer_group}.{name}"
    dead_letters = DeadLetters(broker, group_id)

    @broker.subscriber(
        *physical,
        group_id=group_id,
        batch=True,
        max_records=max_records,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=f"{settings.service_name}.{name}",
        decoder=_records_as_they_are,
    )
    async def consume(msg: KafkaMessage) -> None:
        LAG.reading(group_id, msg.consumer, msg.raw_message)
        received = [decode(r) for r in msg.raw_message]
        for bad in (r for r in received if r.problem is not None):
            await dead_letters.send(bad.record, bad.problem or "")
        good = [r for r in received if r.event is not None]
        if good:
            await _handle(good, handler, dead_letters, name)
        LAG.handled(group_id, msg.raw_message)


async def _records_as_they_are(msg: StreamMessage[Any]) -> None:
    """FastStream's decoder for our batches: none. ``consume`` reads ``msg.raw_message`` and
    parses each record once (``decode``). FastStream's own decoder would first wrap every
    record in a message object and parse its JSON: a quarter of audit's consuming time under
    bench/audit (py-spy)."""


async def _handle(
    received: list[Received], handler: EventBatchHandler, dead_letters: DeadLetters, name: str
) -> None:
    """Handle a batch in its consumer spans: each event's a child of its record's trace (X-20)."""
    events = [r.event for r in received if r.event is not None]
    origins = [(r.event, header_traceparent(r.record.headers)) for r in received if r.event]
    with Consuming(name, origins).active():
        await _handle_in_spans(received, events, handler, dead_letters)


async def _handle_in_spans(
    received: list[Received],
    events: list[Event],
    handler: EventBatchHandler,
    dead_letters: DeadLetters,
) -> None:
    try:
        await handler(events)
    except TRANSIENT_ERRORS as err:
        log.warning("infrastructure unavailable; batch will be redelivered", error=repr(err))
        await asyncio.sleep(1.0)
        raise
    except Exception:
        log.exception("batch failed; retrying its events one by one")
        for one in received:
            assert one.event is not None
            try:
                with within(one.event):
                    await handler([one.event])
            except TRANSIENT_ERRORS:
                raise
            except Exception as err:
                await dead_letters.send(one.record, f"{type(err).__name__}: {str(err)[:500]}")
    for event in events:
        EVENTS_CONSUMED.labels(topic=event.topic, type=event.type).inc()


def each(handler: EventHandler) -> EventBatchHandler:
    """Adapt a one-event handler; each event's correlation id is bound for its log lines, and
    its span (its request's trace) is the active one while it is handled."""

    async def batch(events: Sequence[Event]) -> None:
        for event in events:
            bind_correlation_id(event.correlation_id)
            with within(event):
                await handler(event)

    return batch


class DeadLetters:
    """Sends records nobody can process to ``<topic>.dlq``, with the reason and the origin."""

    def __init__(self, broker: KafkaBroker, consumer: str) -> None:
        self.broker = broker
        self.consumer = consumer

    async def send(self, record: Any, reason: str) -> None:
        headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
        headers.update(
            {
                "x-dead-letter-reason": reason,
                "x-dead-letter-consumer": self.consumer,
                "x-original-topic": record.topic,
                "x-original-partition": str(record.partition),
                "x-original-offset": str(record.offset),
            }
        )
        await self.broker.publish(
            record.value, topic=Topics.dead_letter(record.topic), key=record.key, headers=headers
        )
        DEAD_LETTERS.labels(topic=record.topic).inc()
        log.error(
            "record dead-lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
            consumer=self.consumer,
        )

    async def send_event(self, event: Event, topic: str, reason: str) -> None:
        """Dead-letter an event that decoded well but can never be handled (a mail the SMTP
        server refuses for good, say), from the physical ``topic`` it came from."""
        headers = {
            "x-dead-letter-reason": reason,
            "x-dead-letter-consumer": self.consumer,
            "x-original-topic": topic,
            "event_id": str(event.event_id),
            "event_type": event.type,
            "correlation_id": event.correlation_id,
        }
        await self.broker.publish(
            event.to_json(), topic=Topics.dead_letter(topic), key=event.key(), headers=headers
        )
        DEAD_LETTERS.labels(topic=topic).inc()
        log.error("event dead-lettered", topic=topic, event_id=str(event.event_id), reason=reason)


class Inbox:
    """Processed ``event_id``s of one consumer, as unique facts (X-03, X-13).

    ``guard`` filters out events already processed, runs the handler, then records them. A crash
    between the handler's effect and the record means the effect is attempted again, so the
    effect must itself be keyed by the event (an insert with ``_id`` from the event id, or the id
    kept in the aggregate's state); the inbox makes the common redelivery cheap and exact.

    Each marker carries the time it was written, so :meth:`purge` can forget it once Kafka can
    no longer redeliver its event (X-14); ``Runtime.inbox`` runs that purge as a job.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]], consumer: str, clock: Clock) -> None:
        self.collection = db[f"inbox.{consumer}"]
        self.clock = clock

    async def unseen(self, events: Sequence[Event]) -> list[Event]:
        """The events not processed yet, each once (a batch may hold a redelivered twin)."""
        distinct: dict[UUID, Event] = {}
        for event in events:
            distinct.setdefault(event.event_id, event)
        seen = await asyncio.gather(*(self.collection.find_one({"_id": str(e)}) for e in distinct))
        return [e for e, s in zip(distinct.values(), seen, strict=True) if s is None]

    async def mark(self, events: Sequence[Event]) -> None:
        now = self.clock.now()
        docs = [{"_id": str(e.event_id), "type": e.type, "processed_at": now} for e in events]
        await insert_new(self.collection, docs)

    async def purge(self, retention: timedelta) -> int:
        """Delete the markers written more than ``retention`` ago; returns how many.

        ``retention`` must exceed the longest time Kafka may redeliver a record (the topic's
        retention), or a late redelivery would find no marker and be processed again. On
        FerretDB 1.24 the date filter is not pushed down, so this scans the collection: fine
        for an hourly job, never for a hot path.
        """
        cutoff = self.clock.now() - retention
        result = await self.collection.delete_many({"processed_at": {"$lt": cutoff}})
        return int(result.deleted_count)

    def guard(self, handler: EventBatchHandler) -> EventBatchHandler:
        async def guarded(events: Sequence[Event]) -> None:
            fresh = await self.unseen(events)
            if fresh:
                await handler(fresh)
                await self.mark(fresh)

        return guarded
