"""What became of a mail, and how notify announces it (NT-03, NT-04, X-03). Pure.

A mail is sent or undeliverable; the announcement of either (``MailSent`` / ``MailFailed``)
has an id derived from the source event, so announcing twice is one announcement to consumers.
The delivery log keeps each mail with a :class:`Status`, never its body or a secret (X-02).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from contracts import Actor, ActorKind, Event, MailFailed, MailSent
from domainkit.tokyo import TOKYO
from services.notify.domain.mails import MailOrder

_ANNOUNCEMENTS = UUID("6f1c7a52-4c3e-4f0e-9d55-0e8f1b0c7a11")
"""Namespace of the ids of MailSent / MailFailed, derived from the source event id."""


@dataclass(frozen=True)
class Sent:
    """The SMTP server accepted the mail."""

    attempts: int


@dataclass(frozen=True)
class Undeliverable:
    """The mail cannot be sent, now or later: a refusal, a template error, a sealed secret that
    does not open. It goes to the dead-letter topic with ``reason`` (NT-04)."""

    reason: str
    attempts: int


Outcome = Sent | Undeliverable


class Status(StrEnum):
    """Where a mail of the delivery log stands."""

    SENDING = "sending"
    """Handed, or about to be handed, to the SMTP server; not known to be accepted."""
    SENT = "sent"
    FAILED = "failed"
    """Refused or impossible to compose: dead-lettered with ``MailFailed``."""


@dataclass(frozen=True)
class DeliveryEntry:
    """One mail of the delivery log as its realm's support desk reads it: whom it went to and
    what became of it; no body and no secret, ever (X-02)."""

    event_id: str
    event_type: str
    template: str
    realm: str
    org_id: str | None
    recipient: str
    message_id: str
    status: Status
    attempts: int
    reason: str | None
    created_at: datetime
    updated_at: datetime


DEEPEST = 1000
"""The most entries one search of the log reads, its page's offset and size together."""


@dataclass(frozen=True)
class DeliverySearch:
    """What the support desk looks its realm's mails up by; every field narrows, none is needed.

    ``day`` is a Tokyo date (X-04): the mails whose delivery began from its midnight to the
    next, in Tokyo. ``offset`` and ``limit`` page the answer, newest first.
    """

    realm: str
    recipient: str | None = None
    event_id: str | None = None
    status: Status | None = None
    org_id: str | None = None
    day: date | None = None
    offset: int = 0
    limit: int = 100

    @property
    def began(self) -> tuple[datetime, datetime] | None:
        """The instants ``day`` covers in Tokyo, from its midnight (in) to the next (out)."""
        if self.day is None:
            return None
        start = datetime.combine(self.day, time(), TOKYO)
        return start, start + timedelta(days=1)


def announcement(order: MailOrder, outcome: Outcome, message_id: str, now: datetime) -> Event:
    """``MailSent`` or ``MailFailed`` for an order; the id is derived from the source event, so
    announcing twice is one announcement to consumers (X-03). No secret, a masked address."""
    source = order.event
    envelope: dict[str, Any] = {
        "occurred_at": now,
        "realm": source.realm,
        "org_id": source.org_id,
        "subject_id": source.subject_id,
        "actor": Actor(kind=ActorKind.SERVICE, id="notify"),
        "correlation_id": source.correlation_id,
        "causation_id": order.event_id,
        "source_event_id": source.event_id,
        "source_event_type": source.type,
        "template": order.template.value,
        "recipient_masked": order.recipient_masked,
        "attempts": max(outcome.attempts, 1),
    }
    if isinstance(outcome, Sent):
        return MailSent(
            event_id=uuid5(_ANNOUNCEMENTS, f"MailSent:{source.event_id}"),
            message_id=message_id,
            **envelope,
        )
    return MailFailed(
        event_id=uuid5(_ANNOUNCEMENTS, f"MailFailed:{source.event_id}"),
        reason=outcome.reason[:500],
        **envelope,
    )
