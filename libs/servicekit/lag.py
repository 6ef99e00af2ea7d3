"""How far behind each consumer group is, on this replica's own partitions (X-19).

``consumer_lag_records{group, topic}`` is, per topic, the records between the next one this
replica's consumer will hand to its handler and the end of each partition assigned to it. It
costs no request: the end offset (the high-water mark) comes with every fetch response and
aiokafka keeps it (``highwater``), and the handled position is what the last batch reached. A
cluster's lag for a group is the sum over its replicas: each partition is assigned to one.

Why not the broker's committed offsets (what Kafka's exporters read)? Asking for them is a
request per partition per scrape, and they say the same here: a batch's offsets are committed
once its handler succeeds (``servicekit.bus``). A batch that fails is counted as not handled,
so a consumer retrying the same batch while its database is away shows its lag growing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


@dataclass
class _Group:
    consumer: Any
    """The group's aiokafka consumer in this process (``assignment()``, ``highwater(tp)``)."""
    next_offsets: dict[TopicPartition, int] = field(default_factory=dict)
    """Per partition, the offset of the first record not handled yet."""


class ConsumerLag(Collector):
    """Remembers where each group's handler is; answers the lag when Prometheus scrapes."""

    def __init__(self) -> None:
        self._groups: dict[str, _Group] = {}

    def reading(self, group: str, consumer: Any, records: Iterable[Any]) -> None:
        """A batch reaches the handler: its records are not handled until :meth:`handled`."""
        known = self._groups.get(group)
        if known is None or known.consumer is not consumer:
            known = self._groups[group] = _Group(consumer)
        for tp, (first, _) in _spans(records).items():
            known.next_offsets[tp] = first

    def handled(self, group: str, records: Iterable[Any]) -> None:
        """The handler finished the batch (its offsets are committed next)."""
        known = self._groups.get(group)
        if known is None:
            return
        for tp, (_, last) in _spans(records).items():
            known.next_offsets[tp] = last + 1

    def lag(self, group: str) -> dict[str, int]:
        """Records not handled yet per topic, on the partitions assigned to this replica."""
        known = self._groups.get(group)
        if known is None or not hasattr(known.consumer, "highwater"):
            return {}  # a test's fake consumer knows no ends
        assigned = known.consumer.assignment()
        by_topic: dict[str, int] = {}
        for tp, next_offset in known.next_offsets.items():
            end = known.consumer.highwater(tp) if tp in assigned else None
            if end is not None:
                by_topic[tp.topic] = by_topic.get(tp.topic, 0) + max(0, end - next_offset)
        return by_topic

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "consumer_lag_records",
            "Records not yet handled by this replica's consumer of a group, per topic",
            labels=["group", "topic"],
        )
        for group in list(self._groups):
            for topic, records in self.lag(group).items():
                family.add_metric([group, topic], records)
        yield family


def _spans(records: Iterable[Any]) -> dict[TopicPartition, tuple[int, int]]:
    """Per partition, the first and last offsets of a batch's records."""
    spans: dict[TopicPartition, tuple[int, int]] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        first, last = spans.get(tp, (record.offset, record.offset))
        spans[tp] = (min(first, record.offset), max(last, record.offset))
    return spans


LAG = ConsumerLag()
"""The process's one account of its consumers' positions, on ``/metrics``."""
REGISTRY.register(LAG)
