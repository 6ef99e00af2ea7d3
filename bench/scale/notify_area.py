"""bench/scale's notify area: the delivery log, and the page support operators read it on.

Data: ``sizes.mails`` mails across the organisations and realms (``portal``), begun over the
last 28 days (the log keeps 30; its purge would take older ones), written as notify writes them
when it sends: ``DeliveryLog.begin`` (the intents) then ``DeliveryLog.finish`` (the outcomes),
one bulk insert each for a chunk of a thousand, the chunk's mails begun at one instant. Most
are sent; one in fifty failed, one in two hundred is still sending (an intent alone). Beside
them one *measured* organisation of the demo realm has 1,000 mails (seeded at the first step,
never grown), so its page compares like with like while the log around it grows.

Operation, through a notify process whose identity is the support-desk stub: the support
console's delivery log searched by that organisation (``/realms/demo/support/deliveries?org=``,
its first page of 50), p50 over 50 requests, and the database commands a page costs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from harness import Infra, Namespace, ServiceProcess
from portal import USERS_PER_ORG, at, measured_org, org_id, realm_of, timed_gets
from pymongo import AsyncMongoClient
from scalekit import Figure, Sizes, numbered
from support_desk import SupportDesk

from contracts import Actor, ActorKind, OtpIssued, SealedSecret
from contracts.sealed import SEAL_OVERHEAD
from servicekit.credentials import SESSION_COOKIE
from services.notify.domain.deliveries import Outcome, Sent, Undeliverable
from services.notify.domain.mails import MailOrder, message_id, order_for
from services.notify.store import DeliveryLog

Document = dict[str, Any]

CHUNK: Final = 1000
REALM: Final = "demo"
ORG: Final = measured_org("notify")
MEASURED_MAILS: Final = 1000
MEASURED_GROUP: Final = 10
"""The measured organisation's mails are begun ten at a time: a hundred instants."""
LOG_DAYS: Final = 28
PAGE_REQUESTS: Final = 50
SENDER: Final = "noreply@example.jp"
SEALED: Final = SealedSecret(bytes(SEAL_OVERHEAD + 8))
"""A code nobody will open: the log keeps no secret, and nothing here is ever mailed."""


def mail_order(realm: str, org: str, user: int, when: datetime) -> MailOrder:
    """A one-time password mailed to one of the organisation's users (the commonest mail)."""
    subject = f"{org}-{user:02d}"
    event = OtpIssued(
        occurred_at=when,
        realm=realm,
        org_id=org,
        subject_id=subject,
        actor=Actor(kind=ActorKind.USER, id=subject),
        correlation_id=uuid.uuid4().hex,
        recipient_email=f"u{user:02d}.{org[:12]}@example.jp",
        sealed_code=SEALED,
        expires_at=when + timedelta(minutes=10),
        max_attempts=5,
    )
    order = order_for(event)
    assert order is not None
    return order


def background_order(i: int, orgs: int, when: datetime) -> MailOrder:
    """Mail ``i``: of organisation ``i % orgs``, to one of its users in turn."""
    n = i % orgs
    return mail_order(realm_of(n), org_id(n), (i // orgs) % USERS_PER_ORG, when)


def outcome_of(i: int) -> Outcome | None:
    """Mail ``i``'s outcome: one in fifty failed, one in two hundred still sending (none)."""
    if i % 200 == 1:
        return None
    if i % 50 == 0:
        return Undeliverable("550 5.1.1 mailbox unavailable", 1)
    return Sent(1)


async def write(log: DeliveryLog, numbered_orders: Sequence[tuple[int, MailOrder]]) -> None:
    """Mails as notify records them when it sends: intents, then the outcomes, begun ``now``."""
    now = numbered_orders[0][1].event.occurred_at
    orders = [o for _, o in numbered_orders]
    letters = {o.event_id: message_id(o.event.event_id, SENDER) for o in orders}
    await log.begin(orders, [letters[o.event_id] for o in orders], now)
    results = [(o, r) for i, o in numbered_orders if (r := outcome_of(i)) is not None]
    await log.finish(results, letters, now)


@dataclass
class Running:
    """What ``start`` started: identity's stub, the notify process, a client of its database."""

    desk: SupportDesk
    notify: ServiceProcess
    client: AsyncMongoClient[Document]
    log: DeliveryLog


class NotifyArea:
    name = "notify"

    def __init__(self) -> None:
        self.done = 0
        self.measured_seeded = False
        self.now = datetime.now(UTC)
        self.since = self.now - timedelta(days=LOG_DAYS)
        self._running: Running | None = None

    @property
    def running(self) -> Running:
        if self._running is None:
            raise RuntimeError("the notify area is not started")
        return self._running

    async def start(self, infra: Infra, ns: Namespace, log_dir: Path) -> None:
        desk = SupportDesk()
        # No outbox work here: its poll would be counted against the page's commands.
        notify = ServiceProcess(
            "notify",
            infra,
            ns,
            log_dir,
            log_level="WARNING",
            identity_url=desk.url,
            outbox_poll_seconds="3600",
        ).start()
        client: AsyncMongoClient[Document] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
        log = DeliveryLog(client[ns.database("notify")], timedelta(days=30))
        self._running = Running(desk, notify, client, log)

    async def grow(self, sizes: Sizes) -> None:
        """The measured organisation once, then mails ``[done, target)``."""
        log = self.running.log
        if not self.measured_seeded:
            for group in numbered(0, MEASURED_MAILS, MEASURED_GROUP):
                when = at(group.start, self.since, self.now)
                orders = [(i, mail_order(REALM, ORG, i % USERS_PER_ORG, when)) for i in group]
                await write(log, orders)
            self.measured_seeded = True
        for chunk in numbered(self.done, sizes.mails, CHUNK):
            when = at(chunk.start, self.since, self.now)
            await write(log, [(i, background_order(i, sizes.orgs, when)) for i in chunk])
        self.done = max(self.done, sizes.mails)

    async def measure(self) -> list[Figure]:
        page = await timed_gets(
            self.running.notify.url,
            f"/realms/{REALM}/support/deliveries",
            PAGE_REQUESTS,
            params={"org": ORG},
            headers={"Cookie": f"{SESSION_COOKIE}={REALM}"},
        )
        return [
            Figure(
                "notify: delivery log, an organisation's page (50), p50",
                "ms",
                page.p50_ms,
                page.commands,
            )
        ]

    async def stop(self) -> None:
        if self._running is not None:
            self._running.notify.stop()
            self._running.desk.stop()
            await self._running.client.close()
            self._running = None


AREA = NotifyArea()
