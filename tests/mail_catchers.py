"""Real SMTP for the notify tests: Mailpit's HTTP API, and aiosmtpd servers that fail on demand.

Both are real SMTP servers; aiosmtpd ones are started inside a test when it needs to refuse a
recipient, go away for a while, or do something at the moment a mail is accepted.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiosmtpd.controller import Controller
from harness import free_port

from contracts import Event


def new_address(tag: str = "to") -> str:
    """A recipient no other test uses, so tests never see each other's mail."""
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.jp"


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return message


class Mailpit:
    def __init__(self, url: str) -> None:
        self.url = url

    def mails_to(self, address: str) -> list[EmailMessage]:
        """Every mail Mailpit holds for ``address``, oldest first, parsed from its raw source."""
        found = httpx.get(f"{self.url}/api/v1/search", params={"query": f'to:"{address}"'})
        found.raise_for_status()
        summaries = sorted(found.json()["messages"], key=lambda m: m["Created"])
        return [
            parse(httpx.get(f"{self.url}/api/v1/message/{m['ID']}/raw").content) for m in summaries
        ]


@dataclass
class Catcher:
    """An aiosmtpd handler that keeps what it accepts. It refuses ``refused-…`` recipients for
    good (550), ``busy-…`` ones for now (451) every time, and ``flaky-…`` ones for now twice."""

    mails: list[EmailMessage] = field(default_factory=list)
    on_accept: Callable[[EmailMessage], None] | None = None
    tries: dict[str, int] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.tries[address] = self.tries.get(address, 0) + 1
        if address.startswith("refused-"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("busy-") or (
            address.startswith("flaky-") and self.tries[address] <= 2
        ):
            return "451 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = parse(envelope.content)
        self.mails.append(message)
        if self.on_accept is not None:
            self.on_accept(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.mails if m["To"] == address]


class SmtpServer:
    """An aiosmtpd server on a fixed port that a test may stop and start again."""

    def __init__(self, catcher: Catcher) -> None:
        self.catcher = catcher
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.catcher, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextmanager
def smtp_server(catcher: Catcher | None = None) -> Iterator[SmtpServer]:
    server = SmtpServer(catcher or Catcher())
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def publish(bootstrap: str, prefix: str, *events: Event | bytes, key: bytes = b"") -> None:
    """Put events (or raw bytes, for malformed ones) on their topics, as producers do."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            if isinstance(event, bytes):
                await producer.send_and_wait(prefix + "identity.events", event, key=key or None)
            else:
                await producer.send_and_wait(
                    prefix + event.topic, event.to_json(), key=key or event.key()
                )
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, *, until: Callable[[list[Any]], bool]) -> list[Any]:
    """Records of ``topic`` from the beginning, read until ``until(records)`` holds (or 30 s)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[Any] = []
    try:
        for _ in range(60):
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
            if until(records):
                break
    finally:
        await consumer.stop()
    return records


def announcements(records: list[Any], source_event_id: str) -> list[dict[str, Any]]:
    """The ``MailSent`` / ``MailFailed`` events on notify.events about one source event."""
    values = [json.loads(r.value) for r in records]
    return [v for v in values if v.get("source_event_id") == source_event_id]


class MailWatch:
    """Every mail Mailpit receives for one domain, read while it arrives.

    Mailpit keeps its newest 500 messages and prunes older ones, so a burst of more mails than
    that is only seen whole by reading it as it comes: each poll keeps what it finds, by
    Mailpit's own id (a mail handed over twice is two messages there).
    """

    def __init__(self, mailpit_url: str, domain: str) -> None:
        self.mailpit_url = mailpit_url
        self.domain = domain
        self.seen: dict[str, dict[str, Any]] = {}

    async def poll(self, newest: int | None = None) -> None:
        """Keep every mail Mailpit holds for the domain, or only its ``newest`` (one cheap page,
        enough when fewer than that arrive between two polls)."""
        async with httpx.AsyncClient(timeout=60) as client:
            start = 0
            while True:
                page = (
                    await client.get(
                        f"{self.mailpit_url}/api/v1/search",
                        params={
                            "query": f"to:{self.domain}",
                            "start": start,
                            "limit": newest or 500,
                        },
                    )
                ).json()
                self.seen.update((m["ID"], m) for m in page["messages"])
                start += len(page["messages"])
                if newest or not page["messages"] or start >= page["messages_count"]:
                    return

    async def run(self, interval: float = 0.3, newest: int | None = None) -> None:
        """Poll until cancelled."""
        while True:
            await self.poll(newest)
            await asyncio.sleep(interval)

    def by_recipient(self) -> dict[str, list[str]]:
        """Each recipient's mails: their ``Message-ID`` headers, one per message received."""
        found: dict[str, list[str]] = {}
        for message in self.seen.values():
            for to in message["To"]:
                found.setdefault(to["Address"], []).append(message["MessageID"])
        return found
