"""The metrics X-19's alerts read move as their alerts promise, against the real broker and
database: the relay's oldest unpublished commit, a consumer group's lag, and certs' CRL, issue
refusals and OCSP errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from certs_portal import Holder, cert_portal, new_key, new_user_id
from factories import status_changed
from harness import Infra, Namespace
from prometheus_client import REGISTRY
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.clock import ManualClock
from servicekit.lag import ConsumerLag
from servicekit.publish import Publisher
from servicekit.relay import OutboxRelay
from servicekit.store import Change, Loaded, StoredEvent, VersionedStore

pytestmark = pytest.mark.integration


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def toggle(current: Loaded) -> Change[int]:
    n = (current.state or {}).get("n", 0) + 1
    return Change(outcome=n, state={"n": n}, events=[status_changed(current.aggregate_id, n)])


async def test_x_19_the_relays_oldest_unpublished_commit_ages_until_a_pass_publishes_it(
    infra: Infra, ns: Namespace, db: AsyncDatabase[dict[str, Any]]
) -> None:
    clock = ManualClock()
    own, other_replica = VersionedStore(db, clock), VersionedStore(db, clock)
    publisher = Publisher(infra.kafka_bootstrap_servers, "x19", lambda t: ns.topic_prefix + t)
    relay = OutboxRelay(own, publisher, clock)
    failures: list[Exception] = []

    async def hook(_: Sequence[StoredEvent]) -> None:
        if failures:
            raise failures.pop()

    relay.after_publish(hook)
    try:
        assert sample("outbox_oldest_unpublished_age_seconds") == 0.0
        await own.update("user-a", toggle)
        clock.advance(timedelta(seconds=40))
        assert sample("outbox_oldest_unpublished_age_seconds") == 40.0, "its own commit waits"
        failures.append(RuntimeError("Kafka went away"))
        with pytest.raises(RuntimeError):
            await relay.publish_pending()
        clock.advance(timedelta(seconds=20))
        assert relay.behind_seconds() == 60.0, "a failed pass resets nothing"
        assert await relay.publish_pending() == 1
        assert sample("outbox_oldest_unpublished_age_seconds") == 0.0

        await other_replica.update("user-b", toggle)  # known to this relay only by reading
        clock.advance(timedelta(seconds=5))
        assert relay.behind_seconds() == 0.0
        failures.append(RuntimeError("Kafka went away"))
        with pytest.raises(RuntimeError):
            await relay.publish_pending()
        clock.advance(timedelta(seconds=150))
        assert sample("outbox_oldest_unpublished_age_seconds") == 155.0, "read from its marker"
        assert await relay.publish_pending() == 1
        assert relay.behind_seconds() == 0.0
    finally:
        await publisher.stop()


async def test_x_19_a_groups_lag_comes_from_the_ends_a_real_consumers_fetches_saw(
    infra: Infra, ns: Namespace
) -> None:
    topic = ns.topic_prefix + "x19.lag"
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
    await producer.start()
    try:
        for n in range(30):
            await producer.send_and_wait(topic, f"record {n}".encode(), partition=0)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.kafka_bootstrap_servers,
        group_id=ns.name,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    lag = ConsumerLag()
    try:
        batch: list[Any] = []
        for _ in range(60):
            fetched = await consumer.getmany(timeout_ms=500, max_records=10)
            batch = [r for records in fetched.values() for r in records]
            if batch:
                break
        assert len(batch) == 10
        lag.reading(ns.name, consumer, batch)
        assert lag.lag(ns.name) == {topic: 30}, "a batch in hand is not handled yet"
        lag.handled(ns.name, batch)
        assert lag.lag(ns.name) == {topic: 20}
    finally:
        await consumer.stop()


async def test_x_19_certs_shows_its_crls_next_update_its_refusals_and_its_ocsp_errors(
    infra: Infra, ns: Namespace
) -> None:
    async with cert_portal(infra, ns) as portal:
        started = portal.clock.now()
        next_update = sample("certs_crl_next_update_timestamp_seconds")
        assert next_update == (started + timedelta(hours=24)).timestamp(), "published at start"
        portal.clock.advance(timedelta(hours=1))
        await portal.app.state.certs.keeper.publish_crl()
        assert sample("certs_crl_next_update_timestamp_seconds") == next_update + 3600

        refused = {"rejection": "INPUT_INFO_ERROR"}
        before = sample("certs_issue_refusals_total", refused)
        holder = Holder(new_user_id())
        await portal.notice(holder)
        answer = await portal.issue(holder, new_key(), kihonet_code="87654321")
        assert answer.status_code == 422
        assert sample("certs_issue_refusals_total", refused) == before + 1

        failed = {"method": "GET", "route": "/v1/ca/ocsp/{encoded:path}", "status": "500"}
        before = sample("http_requests_total", failed)

        async def broken(*_: object) -> bytes:
            raise RuntimeError("the responder's key cannot be read")

        portal.app.state.certs.keeper.ocsp_answer = broken
        answer = await portal.client.get("/v1/ca/ocsp/MAA=")
        assert answer.status_code == 500
        assert sample("http_requests_total", failed) == before + 1, "what OCSPFailing reads"
