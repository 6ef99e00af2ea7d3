"""The ops dashboard's feed (WEB-02): ``audit.access`` read live, fanned out to the pages'
server-sent-event streams.

Every replica reads every partition of the stream itself (no consumer group, nothing
committed), so a dashboard sees every record whichever replica serves it. A tail keeps the
last records and counts what it has seen per realm since it started: a page opened later
starts from them, and the counters say "since this process started", as the page tells.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts import AccessRecorded
from contracts.registry import parse_event
from servicekit.logs import get_logger
from services.audit.domain.counters import KINDS, kind_of

log = get_logger(__name__)

KEPT = 50
"""Records a page opened now shows before its first live one."""


@dataclass
class Tail:
    """The live records and counters; ``run`` is the supervised reader of the topic."""

    bootstrap_servers: str
    topic: str
    recent: deque[AccessRecorded] = field(default_factory=lambda: deque(maxlen=KEPT))
    counters: dict[str, Counter[str]] = field(default_factory=dict)
    listeners: set[asyncio.Queue[AccessRecorded]] = field(default_factory=set)

    def counts(self, realm: str) -> dict[str, int]:
        found = self.counters.get(realm, Counter())
        return {kind: found[kind] for kind in KINDS}

    def listen(self) -> asyncio.Queue[AccessRecorded]:
        queue: asyncio.Queue[AccessRecorded] = asyncio.Queue(maxsize=1000)
        self.listeners.add(queue)
        return queue

    def leave(self, queue: asyncio.Queue[AccessRecorded]) -> None:
        self.listeners.discard(queue)

    def seen(self, record: AccessRecorded) -> None:
        kind = kind_of(record.source_event_type)
        if kind is not None:
            self.counters.setdefault(record.realm, Counter())[kind] += 1
        self.recent.append(record)
        for queue in list(self.listeners):
            if queue.full():  # a page that stopped reading loses records, never the tail
                continue
            queue.put_nowait(record)

    async def run(self) -> None:
        """Read the topic from its end (from its start if it appears after this process did:
        then every record is new), forever."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            enable_auto_commit=False,
            metadata_max_age_ms=2000,
        )
        await consumer.start()
        try:
            partitions = await self._partitions(consumer)
            while True:
                batches = await consumer.getmany(*partitions, timeout_ms=1000)
                for messages in batches.values():
                    for message in messages:
                        self._read(message.value)
        finally:
            await consumer.stop()

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        existed = True
        while not (numbers := consumer.partitions_for_topic(self.topic)):
            existed = False  # the client refreshes its metadata every 2 seconds
            await asyncio.sleep(1)
        partitions = [TopicPartition(self.topic, n) for n in sorted(numbers)]
        consumer.assign(partitions)
        if existed:
            await consumer.seek_to_end(*partitions)
        else:
            await consumer.seek_to_beginning(*partitions)
        return partitions

    def _read(self, value: bytes | None) -> None:
        try:
            event = parse_event(value or b"")
        except ValueError:
            log.warning("live_tail.unreadable_record", topic=self.topic)
            return
        if isinstance(event, AccessRecorded):
            self.seen(event)
