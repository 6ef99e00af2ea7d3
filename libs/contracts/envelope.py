"""The event envelope every domain event carries, and the topics events travel on (SPEC X-01).

One model per event type; the envelope fields sit beside the payload fields, flat, so that a
consumer reads ``event.subject_id`` and ``event.reason`` alike. Design choices and why:

* ``frozen=True``: an event is a fact that happened; nobody may edit it after the fact, and a
  frozen model is hashable, which idempotent consumers (X-03) find handy.
* ``extra="ignore"``: consumers ignore unknown fields (X-01), so a producer can add an optional
  field without a lock-step deploy of every consumer.
* ``hide_input_in_errors=True``: a ``ValidationError`` otherwise repeats the rejected input in
  its message, and a rejected input may be a plain password put into a sealed field (X-02).
* ``type`` and ``version`` are ``Literal`` on every concrete event, so the JSON schema (and the
  AsyncAPI document FastStream generates, X-08) states them, and a payload of another type or
  an unknown version is refused rather than half-understood.
* ``occurred_at`` has no default: times come from the service's injectable clock (X-04), never
  from the wall clock inside a model.
* ``topic`` is a class variable set once per producer (``IdentityEvent`` and friends): the topic
  is a fact about the producer, not something each event could get wrong.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Final, Self
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.common import Identifier, UtcDatetime

__all__ = [
    "Actor",
    "ActorKind",
    "AuditEvent",
    "CertsEvent",
    "EnrollEvent",
    "Event",
    "IdentityEvent",
    "NotifyEvent",
    "Topics",
]


class Topics:
    """Kafka topics, one per producing service (X-01), plus their dead-letter topics."""

    IDENTITY: Final = "identity.events"
    CERTS: Final = "certs.events"
    ENROLL: Final = "enroll.events"
    NOTIFY: Final = "notify.events"
    AUDIT: Final = "audit.access"
    AUDIT_EXPORTS: Final = "audit.exports"
    """Audit's own facts, few and far between (a large export is ready): a topic apart from
    the live stream, so that notify reads a handful of events, not every access record."""

    @staticmethod
    def dead_letter(topic: str) -> str:
        """The dead-letter topic for ``topic``: where poison messages go so that they never
        block the partition (NT-04)."""
        return topic + ".dlq"


class ActorKind(StrEnum):
    """Who caused an event, by kind."""

    USER = "user"
    """The user the event is about, acting for themselves (or an end user in general)."""
    ADMIN = "admin"
    """An organisation admin acting on a business user."""
    SUPPORT = "support"
    """A support-desk operator acting on an admin or member."""
    SYSTEM = "system"
    """The platform itself: a timer, a policy (a lock after three failures, an expiry)."""
    SERVICE = "service"
    """Another system or service, named by ``id`` (e.g. an outside system's operation)."""


class Actor(BaseModel):
    """Who caused an event (X-01): a user, an admin, support, a service, or the system.

    Every kind except ``system`` names the actor in ``id`` (a user id or a service name), so
    that "who unlocked this account" (ID-LOCK-04) always has an answer.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    kind: ActorKind
    id: Identifier | None = None

    @model_validator(mode="after")
    def _named_unless_system(self) -> Self:
        if self.kind is not ActorKind.SYSTEM and self.id is None:
            raise ValueError(f"an actor of kind {self.kind.value!r} must have an id")
        return self

    @classmethod
    def system(cls) -> Actor:
        """The platform itself, acting on its own (timers, policies)."""
        return cls(kind=ActorKind.SYSTEM)


class Event(BaseModel):
    """The envelope of every domain event (X-01). Concrete events subclass a producer base.

    ``subject_id`` is the Kafka key, so one subject's events stay ordered on one partition.
    ``correlation_id`` follows one request through every service (X-08); ``causation_id`` is
    the ``event_id`` (as text) or request id that directly caused this event, if any.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        hide_input_in_errors=True,
        use_attribute_docstrings=True,
    )

    topic: ClassVar[str]
    """The Kafka topic of the producing service; set by the producer base class."""

    event_id: UUID = Field(default_factory=uuid4)
    """Unique per event; consumers are idempotent by it (X-03)."""
    type: str
    """The event type name; a ``Literal`` equal to the class name on every concrete event."""
    version: int
    """The schema version of this event type; a ``Literal`` on every concrete event."""
    occurred_at: UtcDatetime
    """When it happened, by the producer's clock; timezone-aware, normalised to UTC."""
    realm: Identifier
    """The realm (portal) the subject belongs to (REALM-01)."""
    org_id: Identifier | None = None
    """The organisation, if the subject belongs to one (individual members do not)."""
    subject_id: Identifier
    """The user, certificate holder, signup... the event is about; the Kafka key."""
    actor: Actor
    """Who caused it."""
    correlation_id: Identifier
    """Follows one request across services and logs (X-08)."""
    causation_id: Identifier | None = None
    """The event (its ``event_id``) or request that directly caused this one."""

    def key(self) -> bytes:
        """The Kafka message key: the subject id, UTF-8."""
        return self.subject_id.encode("utf-8")

    def to_json(self) -> bytes:
        """The Kafka message value: this event as UTF-8 JSON (sealed secrets stay sealed)."""
        return self.model_dump_json().encode("utf-8")


class IdentityEvent(Event):
    """Base of the events the identity service publishes."""

    topic: ClassVar[str] = Topics.IDENTITY


class CertsEvent(Event):
    """Base of the events the certificates service publishes."""

    topic: ClassVar[str] = Topics.CERTS


class EnrollEvent(Event):
    """Base of the events the enrolment service publishes."""

    topic: ClassVar[str] = Topics.ENROLL


class NotifyEvent(Event):
    """Base of the events the notify service publishes."""

    topic: ClassVar[str] = Topics.NOTIFY


class AuditEvent(Event):
    """Base of the records the audit service publishes on its live stream (AU-05)."""

    topic: ClassVar[str] = Topics.AUDIT
