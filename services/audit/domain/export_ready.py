"""「アクセス履歴のファイルを作成しました」: who asked for an export job, and the event that
tells them its file is ready (issue 16, AU-03, AU-04). Pure rules, no I/O.

Why a mail and not only the page: a year of history takes minutes to make, and a portal user
does not keep a page open that long; Japanese portals mail when a requested file is ready.
The mail names the job's page, not the file: the download still needs the requester's session
and the export rule, so the mail carries nothing a stranger could use (X-02), and the file is
still given once.

Where the address comes from: identity announces every profile whole (``UserCreated``,
``UserProfileChanged``, also after an e-mail change), and audit keeps those histories for the
CSV's names (AU-01); the latest version's ``email`` is the registered address. A requester with
none gets no mail; the job completes and its page shows it all the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from contracts import AccessExportReady, Actor, ActorKind
from contracts.common import Role
from domainkit.callers import Caller
from services.audit.domain.profiles import ProfileVersion


@dataclass(frozen=True)
class Requester:
    """Who started the job: the session's user, as introspection told it."""

    user_id: str
    login_id: str
    role: str

    @classmethod
    def of(cls, caller: Caller) -> Requester:
        return cls(caller.user_id, caller.login_id or caller.user_id, caller.role)

    def to_document(self) -> dict[str, str]:
        return {"user_id": self.user_id, "login_id": self.login_id, "role": self.role}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Requester:
        return cls(doc["user_id"], doc["login_id"], doc["role"])


def page_path(realm: str, org_id: str, export_id: str, requester: Requester) -> str:
    """The job's page; support names the organisation it reads, an admin reads its own."""
    path = f"/realms/{realm}/access-history/exports/{export_id}"
    return f"{path}?org={org_id}" if requester.role == Role.SUPPORT else path


def address_of(history: Sequence[ProfileVersion]) -> str | None:
    """The registered address now: the latest profile's (``None`` if there is none)."""
    return history[-1].email if history else None


@dataclass(frozen=True)
class Ready:
    """What the finished job is: its rows, its size, its period, until when it waits."""

    rows: int
    size: int
    first_day: date
    last_day: date
    kept_until: datetime


def announcement(
    *,
    realm: str,
    org_id: str,
    export_id: str,
    requester: Requester,
    ready: Ready,
    address: str | None,
    now: datetime,
    correlation_id: str,
) -> AccessExportReady:
    """``AccessExportReady`` about the requester (the Kafka key), caused by their request."""
    kind = ActorKind.SUPPORT if requester.role == Role.SUPPORT else ActorKind.ADMIN
    return AccessExportReady(
        occurred_at=now,
        realm=realm,
        org_id=org_id,
        subject_id=requester.user_id,
        actor=Actor(kind=kind, id=requester.user_id),
        correlation_id=correlation_id,
        export_id=export_id,
        login_id=requester.login_id,
        recipient_email=address,
        rows=ready.rows,
        size_bytes=ready.size,
        first_day=ready.first_day,
        last_day=ready.last_day,
        expires_at=ready.kept_until,
        page_path=page_path(realm, org_id, export_id, requester),
    )
