"""Deliveries: send the mails a batch of events asks for, each once; forget old ones (X-14).

One batch at a time per partition (the bus guarantees it). Within a batch the mails of one
recipient go one after another, in event order, and different recipients' mails go side by
side over the connection pool. The order of the steps is what makes NT-03 and X-03 hold:

1. record the intent of every mail (the delivery log's insert is the "once");
2. send (the courier retries; a refusal or an impossible letter is an :class:`Undeliverable`);
3. announce ``MailSent`` / ``MailFailed`` and dead-letter the undeliverable, *then* record
   the outcome: a crash between two steps repeats the later ones, never skips them, and a
   repeat is the same mail (``Message-ID``) and the same announcement (event id).

An SMTP outage stops each recipient's queue at its first unsent mail; what was sent is recorded,
and the batch is handed back to the bus to come again (:class:`SmtpUnavailable`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from opentelemetry.trace import SpanKind

from contracts import Event
from servicekit import traces
from servicekit.clock import Clock
from servicekit.logs import bind_correlation_id, get_logger
from services.notify.domain.deliveries import Outcome, Sent, Undeliverable, announcement
from services.notify.domain.mails import MailOrder, message_id, order_for
from services.notify.store import DeliveryLog
from services.notify.usecases.mail.letters import CannotCompose, Composer
from services.notify.usecases.mail.smtp import Accepted, Courier, SmtpUnavailable

log = get_logger(__name__)

UNKNOWN_SENDER = "notify@notify.invalid"


class Announcer(Protocol):
    """Where outcomes go: ``notify.events`` and the source topic's dead-letter topic."""

    async def announce(self, events: Sequence[Event]) -> None: ...

    async def dead_letter(self, event: Event, reason: str) -> None: ...


@dataclass
class _Round:
    """One batch's sending: its outcomes so far, the mails in hand, whether the server is gone."""

    now: datetime
    in_hand: asyncio.Semaphore
    results: list[tuple[MailOrder, Outcome]] = field(default_factory=list)
    server_gone: asyncio.Event = field(default_factory=asyncio.Event)


class Deliveries:
    """Mails from events, once each, announced and logged; and the log's retention."""

    def __init__(
        self,
        delivery_log: DeliveryLog,
        composer: Composer,
        courier: Courier,
        announcer: Announcer,
        clock: Clock,
    ) -> None:
        self.delivery_log = delivery_log
        self.composer = composer
        self.courier = courier
        self.announcer = announcer
        self.clock = clock

    async def deliver(self, events: Sequence[Event]) -> None:
        """Send the mails ``events`` ask for, each once (NT-01, NT-03, NT-04)."""
        distinct = {event.event_id: event for event in events}  # a redelivered twin, once
        orders = [o for e in distinct.values() if (o := order_for(e)) is not None]
        if not orders:
            return
        now = self.clock.now()
        letter_ids = {o.event_id: message_id(o.event.event_id, self._sender(o)) for o in orders}
        pending = await self.delivery_log.begin(
            orders, [letter_ids[o.event_id] for o in orders], now
        )
        # As many mails in hand as connections can take, and as many more being composed:
        # composing (CPU) then overlaps sending (waiting for the server) instead of preceding it.
        batch = _Round(now, asyncio.Semaphore(2 * self.courier.pool.size))
        try:
            failures = await asyncio.gather(
                *(self._send_in_order(queue, batch) for queue in _by_recipient(pending)),
                return_exceptions=True,
            )
        finally:
            await self._record(batch.results, letter_ids, now)
        for failure in failures:
            if isinstance(failure, BaseException):
                raise failure

    async def _send_in_order(self, queue: list[MailOrder], batch: _Round) -> None:
        """One recipient's mails, one after another; the first the server cannot take stops
        the queue, and tells the other queues not to start new mails either."""
        for order in queue:
            async with batch.in_hand:
                if batch.server_gone.is_set():
                    return
                try:
                    batch.results.append((order, await self._send(order, batch.now)))
                except SmtpUnavailable:
                    batch.server_gone.set()
                    raise

    async def _send(self, order: MailOrder, now: datetime) -> Outcome:
        """One mail, in the trace of the event that asked for it (X-20)."""
        bind_correlation_id(order.event.correlation_id)
        with traces.within(order.event):
            return await self._compose_and_send(order, now)

    async def _compose_and_send(self, order: MailOrder, now: datetime) -> Outcome:
        try:
            letter = self.composer.compose(order, now)
        except CannotCompose as err:
            return Undeliverable(str(err), attempts=1)
        with traces.tracer().start_as_current_span(
            "smtp send", kind=SpanKind.CLIENT, attributes={"mail.template": order.template.value}
        ) as span:
            answer = await self.courier.deliver(letter.sender, letter.recipient, letter.data)
            span.set_attribute("mail.attempts", answer.attempts)
        if isinstance(answer, Accepted):
            return Sent(answer.attempts)
        return Undeliverable(answer.reason, answer.attempts)

    async def _record(
        self, results: list[tuple[MailOrder, Outcome]], letter_ids: dict[str, str], now: datetime
    ) -> None:
        if not results:
            return
        await self.announcer.announce(
            [announcement(o, out, letter_ids[o.event_id], now) for o, out in results]
        )
        for order, outcome in results:
            if isinstance(outcome, Undeliverable):
                await self.announcer.dead_letter(order.event, outcome.reason)
            with traces.within(order.event):
                _log_outcome(order, outcome, letter_ids[order.event_id])
        await self.delivery_log.finish(results, letter_ids, now)

    def _sender(self, order: MailOrder) -> str:
        try:
            return self.composer.sender_of(order)
        except CannotCompose:
            return UNKNOWN_SENDER  # the letter will fail to compose and say why

    async def purge_delivery_log(self) -> int:
        """X-14: forget mails older than the delivery log's retention, by the injected clock."""
        deleted = await self.delivery_log.purge(self.clock.now())
        log.info("delivery log purged", deleted=deleted)
        return deleted


def _by_recipient(orders: Sequence[MailOrder]) -> list[list[MailOrder]]:
    queues: dict[str, list[MailOrder]] = {}
    for order in orders:
        queues.setdefault(order.recipient.lower(), []).append(order)
    return list(queues.values())


def _log_outcome(order: MailOrder, outcome: Outcome, letter_id: str) -> None:
    """Masked address, ids and template: enough to find a mail, nothing of its content."""
    fields = {
        "event_id": order.event_id,
        "event_type": order.event.type,
        "template": order.template.value,
        "recipient": order.recipient_masked,
        "message_id": letter_id,
        "attempts": outcome.attempts,
    }
    if isinstance(outcome, Sent):
        log.info("mail sent", **fields)
    else:
        log.error("mail undeliverable; dead-lettered", reason=outcome.reason, **fields)
