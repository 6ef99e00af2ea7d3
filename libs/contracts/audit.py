"""Records of the audit service's live stream, on topic ``audit.access`` (SPEC AU-01, AU-05).

An ``AccessRecorded`` is one row of the access history (アクセス履歴) as seed 004 exports it —
login ID, time, operation code and label, and the user's name / department / title *as they
were at that moment* — published for ops dashboards (AU-05). ``occurred_at`` is the time of
the access (copied from the source event), not the time audit recorded it, so the stream and
the CSV export agree. ``subject_id`` is the user id.

The record is normalised: every source (identity, certs, enroll events and outside systems'
``OperationPerformed``) maps onto the operation catalogue (AU-02) before it is published, so
a dashboard needs to know no producer's events.

All names are the issue's; none renamed. One type was added after the first catalogue:
``AccessExportReady`` (issue 16), on its own low-volume topic ``audit.exports``: a large export
made as a job is ready, and its requester is told by mail where to fetch it. It carries no
secret: the export id only names the job, whose file is given once to a session that may read
the organisation's history, never to the holder of a link.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from contracts.common import (
    EmailAddress,
    Identifier,
    IpAddress,
    LoginId,
    UserAgent,
    UtcDatetime,
)
from contracts.envelope import AuditEvent, Topics
from contracts.identity import OperationCode

__all__ = ["AccessExportReady", "AccessRecorded"]

_PATH_BELOW_THE_PORTAL = r"^/[\x21-\x2e\x30-\x7e][\x21-\x7e]{0,498}$"
"""A path of printable ASCII that begins with one ``/`` (``//host`` would leave the portal)."""

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


class AccessExportReady(AuditEvent):
    """A large access-history export made as a job is ready to download (AU-03, AU-04): its
    requester (``subject_id``, ``login_id``) is mailed where the file waits, once."""

    topic: ClassVar[str] = Topics.AUDIT_EXPORTS
    type: Literal["AccessExportReady"] = "AccessExportReady"
    version: Literal[1] = 1
    export_id: Identifier
    """The job; not a credential (the download needs the session and the export rule)."""
    login_id: LoginId
    """The requester's login ID, as the mail greets them."""
    recipient_email: EmailAddress | None = None
    """The requester's registered address as audit knows it from identity's events; ``None``
    when none is known: the page still shows the file, and no mail is sent."""
    rows: Annotated[int, Field(ge=1)]
    size_bytes: Annotated[int, Field(ge=1)]
    first_day: date
    """The period's first day (Asia/Tokyo), after clipping (AU-03)."""
    last_day: date
    expires_at: UtcDatetime
    """Until when the file waits for its one download."""
    page_path: Annotated[str, StringConstraints(pattern=_PATH_BELOW_THE_PORTAL)]
    """The job's page below the portal (``/realms/…/access-history/exports/…``), a path, so
    notify puts the realm's portal URL in front and the link cannot lead elsewhere."""
