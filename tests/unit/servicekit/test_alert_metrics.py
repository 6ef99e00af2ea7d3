"""Metrics X-19's alerts read that servicekit computes in memory: readiness as the last
``/readyz`` answered it, and each consumer group's lag on this replica's partitions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aiokafka import TopicPartition
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, generate_latest

from servicekit.lag import LAG, ConsumerLag
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings


def readiness(check: str) -> float | None:
    return REGISTRY.get_sample_value("service_readiness_check", {"check": check})


def test_x_19_readyz_shows_each_checks_answer_on_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = Runtime(ServiceSettings(service_name="readiness"))
    answers = {"database": True, "kafka": False, "task:outbox-relay": True}

    async def ready() -> dict[str, bool]:
        return dict(answers)

    monkeypatch.setattr(runtime, "ready", ready)
    client = TestClient(runtime.app(title="readiness", description="under test", routers=[]))
    assert client.get("/readyz").status_code == 503
    assert (readiness("database"), readiness("kafka")) == (1.0, 0.0)
    answers["kafka"] = True
    assert client.get("/readyz").status_code == 200
    assert readiness("kafka") == 1.0
    assert 'service_readiness_check{check="kafka"} 1.0' in client.get("/metrics").text


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int


class Consumer:
    """What the lag reads of aiokafka's consumer: its assignment and the ends fetches saw."""

    def __init__(self, ends: dict[TopicPartition, int]) -> None:
        self.ends = ends
        self.assigned = set(ends)

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.ends.get(tp)


def test_x_19_a_groups_lag_is_what_its_handler_has_not_finished_on_partitions_it_holds() -> None:
    lag = ConsumerLag()
    p0, p1 = TopicPartition("identity.events", 0), TopicPartition("identity.events", 1)
    consumer = Consumer({p0: 100, p1: 50})
    batch = [Record("identity.events", 0, n) for n in range(10, 20)]
    lag.reading("notify.mail", consumer, batch)
    assert lag.lag("notify.mail") == {"identity.events": 90}, "a batch in hand is not handled"
    lag.handled("notify.mail", batch)
    assert lag.lag("notify.mail") == {"identity.events": 80}
    lag.reading("notify.mail", consumer, [Record("identity.events", 1, 49)])
    assert lag.lag("notify.mail") == {"identity.events": 81}
    consumer.assigned = {p0}  # a rebalance gave partition 1 to another replica: its lag is theirs
    assert lag.lag("notify.mail") == {"identity.events": 80}
    lag.reading("notify.mail", consumer, [Record("identity.events", 0, 20)])
    consumer.ends[p0] = 150  # the handler fails, the batch comes again, events keep coming
    assert lag.lag("notify.mail") == {"identity.events": 130}, "a failing consumer falls behind"
    assert lag.lag("audit.records") == {}


def test_x_19_consumer_lag_is_on_metrics_by_group_and_topic() -> None:
    tp = TopicPartition("x19.events", 0)
    LAG.reading("x19.group", Consumer({tp: 7}), [Record("x19.events", 0, 2)])
    text = generate_latest().decode()
    assert 'consumer_lag_records{group="x19.group",topic="x19.events"} 5.0' in text
