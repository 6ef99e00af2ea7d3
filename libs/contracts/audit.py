"""Records of the audit service's live stream, on topic ``audit.access`` (SPEC AU-01, AU-05).

An ``AccessRecorded`` is one row of the access history (アクセス履歴) as seed 004 exports it —
login ID, time, operation code and label, and the user's name / department / title *as they
were at that moment* — published for ops dashboards (AU-05). ``occurred_at`` is the time of
the access (copied from the source event), not the time audit recorded it, so the stream and
the CSV export agree. ``subject_id`` is the user id.

The record is normalised: every source (identity, certs, enroll events and outside systems'
``OperationPerformed``) maps onto the operation catalogue (AU-02) before it is published, so
a dashboard needs to know no producer's events.

All names are the issue's; none renamed.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import StringConstraints

from contracts.common import IpAddress, LoginId, UserAgent
from contracts.envelope import AuditEvent
from contracts.identity import OperationCode

__all__ = ["AccessRecorded"]

_ProfileText = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class AccessRecorded(AuditEvent):
    """One access-history record (AU-01), e.g. ``[1-2] パスワード変更`` by 日本 太郎, 見本事業部."""

    type: Literal["AccessRecorded"] = "AccessRecorded"
    version: Literal[1] = 1
    login_id: LoginId
    user_name: _ProfileText | None = None
    """氏名 as it was at ``occurred_at``."""
    department: _ProfileText | None = None
    """所属名 as it was at ``occurred_at``."""
    title: _ProfileText | None = None
    """役職名 as it was at ``occurred_at``."""
    operation_code: OperationCode
    operation_label: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    ip: IpAddress | None = None
    user_agent: UserAgent | None = None
    source_event_id: UUID
    """The event this record was made from; audit is idempotent by it."""
    source_event_type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
