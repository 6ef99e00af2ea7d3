"""Subscribers, dead letters and the inbox (X-01, X-03) on the real broker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from factories import status_changed, user_created
from harness import Infra, Namespace, eventually, read_topic
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import AutoReconnect, ConnectionFailure

from contracts import Event
from servicekit.bus import Inbox, make_broker, subscribe
from servicekit.clock import SystemClock
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(infra: Infra, ns: Namespace) -> ServiceSettings:
    return ServiceSettings(
        service_name="bus-test",
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        kafka_topic_prefix=ns.topic_prefix,
    )


@pytest.fixture
async def producer(infra: Infra) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
    await p.start()
    yield p
    await p.stop()


async def run_subscriber(
    settings: ServiceSettings,
    handler: Any,
    records: Sequence[bytes],
    producer: AIOKafkaProducer,
    until: Any,
) -> None:
    topic = settings.topic("identity.events")
    for value in records:
        await producer.send_and_wait(topic, value, key=b"same-partition")
    broker = make_broker(settings)
    subscribe(broker, settings, ["identity.events"], handler, name="t")
    await broker.start()
    try:
        await eventually(until, timeout=30)
    finally:
        await broker.stop()


async def test_x_03_a_poison_record_is_dead_lettered_and_its_partition_flows_on(
    settings: ServiceSettings, producer: AIOKafkaProducer, infra: Infra
) -> None:
    good = [status_changed("u1", n) for n in range(3)]
    handled: list[Event] = []

    async def handler(events: Sequence[Event]) -> None:
        handled.extend(events)

    records = [
        good[0].to_json(),
        b"{not json",
        good[1].to_json(),
        b'{"type": "UserCreated"}',
        good[2].to_json(),
    ]
    await run_subscriber(settings, handler, records, producer, lambda: len(handled) == 3)
    assert [e.event_id for e in handled] == [e.event_id for e in good]
    dead = await read_topic(
        infra.kafka_bootstrap_servers, settings.topic("identity.events") + ".dlq", 2
    )
    assert [r.value for r in dead] == [b"{not json", b'{"type": "UserCreated"}']
    reasons = [dict(r.headers)["x-dead-letter-reason"].decode() for r in dead]
    assert reasons[0].startswith("ValidationError") and "json" in reasons[0].lower()
    assert reasons[1].startswith("ValidationError")


async def test_x_01_events_of_unknown_types_are_skipped_not_dead_lettered(
    settings: ServiceSettings, producer: AIOKafkaProducer, infra: Infra
) -> None:
    known = status_changed("u1", 1)
    future = known.model_dump(mode="json") | {"type": "SomethingFromTheFuture", "extra": 1}
    handled: list[Event] = []

    async def handler(events: Sequence[Event]) -> None:
        handled.extend(events)

    import json

    await run_subscriber(
        settings, handler, [json.dumps(future).encode(), known.to_json()], producer, lambda: handled
    )
    assert [e.type for e in handled] == ["UserStatusChanged"]
    assert (
        await read_topic(
            infra.kafka_bootstrap_servers, settings.topic("identity.events") + ".dlq", 1, timeout=3
        )
        == []
    )


async def test_x_03_an_unreachable_database_redelivers_the_batch_instead_of_losing_it(
    settings: ServiceSettings, producer: AIOKafkaProducer
) -> None:
    events = [status_changed("u2", n) for n in range(4)]
    attempts: list[int] = []
    stored: list[Event] = []

    async def handler(batch: Sequence[Event]) -> None:
        attempts.append(len(batch))
        if len(attempts) == 1:
            raise AutoReconnect("database is restarting")
        stored.extend(batch)

    await run_subscriber(
        settings, handler, [e.to_json() for e in events], producer, lambda: len(stored) == 4
    )
    assert [e.event_id for e in stored] == [e.event_id for e in events], "nothing lost, in order"
    assert len(attempts) >= 2


async def test_x_03_a_transient_failure_redelivers_every_partition_of_a_batch(
    settings: ServiceSettings, producer: AIOKafkaProducer, infra: Infra
) -> None:
    """A batch drawn from two topics of three partitions each fails once (the database is
    away): every record of every partition comes again, none is skipped. FastStream 0.7.0-0.7.7
    rewound only the partition of the batch's first record, so the others' records were
    skipped; pyproject.toml pins the release that rewinds them all."""
    logical = ["identity.events", "certs.events"]
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(settings.topic(t), 3, 1) for t in logical])
    finally:
        await admin.close()
    partition_of: dict[Any, tuple[str, int]] = {}
    for topic in logical:
        for partition in range(3):
            for n in range(4):
                event = status_changed(f"u-{partition}", n)
                await producer.send_and_wait(
                    settings.topic(topic), event.to_json(), partition=partition
                )
                partition_of[event.event_id] = (topic, partition)
    failed: list[Event] = []
    handled: set[Any] = set()

    async def handler(batch: Sequence[Event]) -> None:
        if not failed:
            failed.extend(batch)
            raise ConnectionFailure("database is restarting")
        handled.update(e.event_id for e in batch)

    broker = make_broker(settings)
    subscribe(broker, settings, logical, handler, name="t")
    await broker.start()
    try:
        await eventually(lambda: handled >= set(partition_of), timeout=20)
    finally:
        await broker.stop()
    assert len({partition_of[e.event_id] for e in failed}) > 1, "the failed batch spanned them"


async def test_x_03_one_failing_event_is_dead_lettered_alone_and_its_neighbours_are_handled(
    settings: ServiceSettings, producer: AIOKafkaProducer, infra: Infra
) -> None:
    events = [status_changed("u3", n) for n in range(3)]
    poison = events[1].event_id
    stored: list[Event] = []

    async def handler(batch: Sequence[Event]) -> None:
        if any(e.event_id == poison for e in batch):
            raise ValueError("template for this event is broken")
        stored.extend(batch)

    await run_subscriber(
        settings, handler, [e.to_json() for e in events], producer, lambda: len(stored) == 2
    )
    assert {e.event_id for e in stored} == {events[0].event_id, events[2].event_id}
    dead = await read_topic(
        infra.kafka_bootstrap_servers, settings.topic("identity.events") + ".dlq", 1
    )
    assert dead[0].value == events[1].to_json()
    assert (
        dict(dead[0].headers)["x-dead-letter-reason"]
        == b"ValueError: template for this event is broken"
    )


async def test_x_03_the_inbox_makes_a_redelivered_event_a_no_op(
    settings: ServiceSettings, producer: AIOKafkaProducer, db: AsyncDatabase[dict[str, Any]]
) -> None:
    event = user_created("u4")
    effects: list[str] = []

    async def send_welcome_mail(batch: Sequence[Event]) -> None:
        effects.extend(str(e.event_id) for e in batch)

    inbox = Inbox(db, "welcome-mail", SystemClock())
    await run_subscriber(
        settings,
        inbox.guard(send_welcome_mail),
        [event.to_json(), event.to_json(), event.to_json()],
        producer,
        lambda: effects,
    )
    assert effects == [str(event.event_id)]
    await inbox.guard(send_welcome_mail)([event])  # a replay long after: still nothing
    assert effects == [str(event.event_id)]
