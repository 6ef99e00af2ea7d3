"""An event as the outbox keeps it (X-03): the bytes the relay publishes, where, and in which
trace (X-20). Its own module so that the store stays one screenful of rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts import Event

Document = dict[str, Any]


@dataclass(frozen=True)
class StoredEvent:
    """An event as the outbox keeps it: the exact bytes to publish and where to."""

    event_id: str
    type: str
    topic: str
    key: str
    correlation_id: str
    json: str
    traceparent: str | None = None
    """The trace of the work that committed it (the commit's, X-20): the relay publishes in it."""

    @classmethod
    def of(cls, event: Event) -> StoredEvent:
        return cls(
            event_id=str(event.event_id),
            type=event.type,
            topic=event.topic,
            key=event.subject_id,
            correlation_id=event.correlation_id,
            json=event.to_json().decode(),
        )

    def to_document(self) -> Document:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "topic": self.topic,
            "key": self.key,
            "correlation_id": self.correlation_id,
            "json": self.json,
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], traceparent: str | None = None) -> StoredEvent:
        """The event as its commit keeps it, with the commit's ``traceparent``."""
        kept = {k: doc[k] for k in cls.__dataclass_fields__ if k != "traceparent"}
        return cls(**kept, traceparent=traceparent)
