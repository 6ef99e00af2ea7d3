"""The access-history record (アクセス履歴): one per event of any service, pure rules, no I/O.

Every event of every service becomes one access record (AU-01) with its catalogue operation
(AU-02). The record's ``_id`` is the event's id, so recording an event twice is the same record,
which makes the projection idempotent without any other bookkeeping (X-03).

A record keeps the login ID only when its event names it; name, department and title are not
copied into it at all. Both are resolved from the user's profile history when the CSV is
written (:mod:`services.audit.domain.profiles`), so a profile event that arrives late still counts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from contracts import AccessRecorded, CertsEvent, Event
from services.audit.domain.catalogue import operation_of
from services.audit.domain.profiles import ProfileVersion

_STREAM_IDS: Final = uuid.UUID("6f1c1f0e-5a8e-4c1a-9a51-3c2f0a7d5e21")
"""Namespace of the live stream's event ids: one source event, one stream id, every time."""


@dataclass(frozen=True)
class AccessRecord:
    event_id: str
    event_type: str
    realm: str
    org_id: str | None
    subject_id: str
    login_id: str | None
    operation_code: str
    operation_label: str
    actor: dict[str, Any]
    occurred_at: datetime
    correlation_id: str
    ip: str | None
    user_agent: str | None
    trace_id: str | None = None
    """The trace of the request the event came from (X-20): how an operator finds the whole
    story of one customer's login; ``None`` on records written before traces."""

    @classmethod
    def of(cls, event: Event, trace_id: str | None = None) -> AccessRecord:
        operation = operation_of(event)
        ip = getattr(event, "ip", None)
        return cls(
            event_id=str(event.event_id),
            event_type=event.type,
            realm=event.realm,
            org_id=event.org_id,
            subject_id=event.subject_id,
            login_id=login_id_of(event),
            operation_code=operation.code,
            operation_label=operation.label,
            actor=event.actor.model_dump(mode="json"),
            occurred_at=event.occurred_at,
            correlation_id=event.correlation_id,
            ip=None if ip is None else str(ip),
            user_agent=getattr(event, "user_agent", None),
            trace_id=trace_id,
        )

    def to_document(self, recorded_at: datetime) -> dict[str, Any]:
        doc = {k: v for k, v in self.__dict__.items() if k != "event_id"}
        return {"_id": self.event_id, **doc, "recorded_at": recorded_at}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> AccessRecord:
        fields: dict[str, Any] = {k: doc.get(k) for k in _FIELDS}
        return cls(event_id=doc["_id"], **fields)

    def streamed(self, profile: ProfileVersion | None) -> AccessRecorded:
        """The record for the live stream (AU-05), with the profile known when it was recorded.

        Its id is derived from the source event's, so a redelivered source event publishes the
        same stream event again and dashboards drop the repeat by id.
        """
        return AccessRecorded(
            event_id=uuid.uuid5(_STREAM_IDS, self.event_id),
            occurred_at=self.occurred_at,
            realm=self.realm,
            org_id=self.org_id,
            subject_id=self.subject_id,
            actor=self.actor,
            correlation_id=self.correlation_id,
            login_id=self.login_id or (profile.login_id if profile else self.subject_id),
            user_name=profile.name if profile else None,
            department=profile.department if profile else None,
            title=profile.title if profile else None,
            operation_code=self.operation_code,
            operation_label=self.operation_label,
            ip=self.ip,
            user_agent=self.user_agent,
            source_event_id=uuid.UUID(self.event_id),
            source_event_type=self.event_type,
        )


_FIELDS = tuple(f for f in AccessRecord.__dataclass_fields__ if f != "event_id")


def login_id_of(event: Event) -> str | None:
    """The login ID the event names, if any: identity's ``login_id``, the certificate's
    ユーザーID (``user_id`` on certs events, which is the holder's login ID in `kihonet`)."""
    login_id = getattr(event, "login_id", None)
    if login_id is None and isinstance(event, CertsEvent):
        login_id = getattr(event, "user_id", None)
    return None if login_id is None else str(login_id)
