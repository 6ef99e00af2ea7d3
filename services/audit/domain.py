"""The access-history domain (アクセス履歴): pure rules, no I/O.

Every event of every service becomes one access record (AU-01). The record's ``_id`` is the
event's id, so recording an event twice is the same record, which makes the projection
idempotent without any other bookkeeping (X-03).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts import Event


@dataclass(frozen=True)
class AccessRecord:
    event_id: str
    event_type: str
    realm: str
    org_id: str | None
    subject_id: str
    actor: dict[str, Any]
    occurred_at: datetime
    correlation_id: str

    @classmethod
    def of(cls, event: Event) -> AccessRecord:
        return cls(
            event_id=str(event.event_id),
            event_type=event.type,
            realm=event.realm,
            org_id=event.org_id,
            subject_id=event.subject_id,
            actor=event.actor.model_dump(mode="json"),
            occurred_at=event.occurred_at,
            correlation_id=event.correlation_id,
        )

    def to_document(self, recorded_at: datetime) -> dict[str, Any]:
        return {
            "_id": self.event_id,
            "event_type": self.event_type,
            "realm": self.realm,
            "org_id": self.org_id,
            "subject_id": self.subject_id,
            "actor": self.actor,
            "occurred_at": self.occurred_at,
            "correlation_id": self.correlation_id,
            "recorded_at": recorded_at,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> AccessRecord:
        return cls(event_id=doc["_id"], **{k: doc[k] for k in _FIELDS})


_FIELDS = ("event_type", "realm", "org_id", "subject_id", "actor", "occurred_at", "correlation_id")
