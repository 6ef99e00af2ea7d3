"""The CA's decisions on a holder: pure functions of the state, the command and the time.

Each answers a :class:`Decision` (the next state, its events, and what to answer) or raises a
refusal. They may run again after a lost race (X-13), so they do nothing but decide. The
certificate itself is signed before the decision (signing is no rule, and a refused request is
checked with :func:`matching_notice` first, so nothing is signed for it); the decision then
records the signed certificate's facts, or refuses them if another request won meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from contracts import Actor, Event
from contracts.certs import (
    CertExpired,
    CertExpiring,
    CertIssued,
    CertIssueRejected,
    CertReissued,
    CertRejection,
    CertRenewed,
    CertRequestField,
    CertRevoked,
    KeyOrigin,
    ReissueReason,
    RevocationReason,
)
from domainkit.decision import Decision, envelope
from services.certs.domain import refusals
from services.certs.domain.calendar import notice_year
from services.certs.domain.holders import (
    FIRST_BRANCH,
    REMINDER_DAYS,
    RENEWAL_WINDOW,
    Certificate,
    Holder,
    Notice,
    next_branch,
)


@dataclass(frozen=True)
class Context:
    """Who asks, which request, and when: what every event's envelope needs (X-01)."""

    realm: str
    actor: Actor
    correlation_id: str
    now: datetime

    def envelope(self, user_id: str) -> dict[str, Any]:
        """A holder's events: the user ID is their subject; holders have no organisation."""
        return envelope(self.realm, None, user_id, self.actor, self.correlation_id, self.now)


@dataclass(frozen=True)
class NoticeRequest:
    kihonet_code: str
    management_number: str
    user_id: str
    issued_on: date
    """The day the user ID was issued (Tokyo): it decides the notice's year (CT-02)."""
    reason: ReissueReason | None
    """``None``: the first issue's notice (枝番 001); otherwise a reissue notice (CT-06)."""


@dataclass(frozen=True)
class IssueRequest:
    """The fields a user types from the notice (CT-02), and where reminders go (CT-04)."""

    kihonet_code: str
    management_number: str
    user_id: str
    year: int
    branch_number: str
    email: str
    confirmation: str | None = None
    """The issue screen's confirmation key (CT-12): the notice remembers it, so the same
    confirmation sent twice issues one certificate. ``None`` from the API."""


@dataclass(frozen=True)
class Signed:
    """A certificate the CA has signed and not yet recorded."""

    serial_number: str
    fingerprint_sha256: str
    not_before: datetime
    not_after: datetime
    key_origin: KeyOrigin


def register_notice(
    holder: Holder | None, request: NoticeRequest, ctx: Context
) -> Decision[Holder, Notice]:
    """A first notice (001) once per user ID; each reissue notice takes the next 枝番."""
    current = holder or Holder(realm=ctx.realm, user_id=request.user_id)
    fields = {
        "kihonet_code": request.kihonet_code,
        "management_number": request.management_number,
        "user_id": request.user_id,
        "year": notice_year(request.issued_on),
    }
    if request.reason is None and current.notices:
        first = current.notice(FIRST_BRANCH)
        if first is not None and all(getattr(first, k) == v for k, v in fields.items()):
            return Decision(first)  # the same notice registered again: answered as it was
        raise refusals.NoticeConflict(
            "このユーザーIDのお知らせは登録済みです。再発行として登録してください。"
        )
    if request.reason is not None and not current.notices:
        raise refusals.NoticeConflict("再発行の前に、新規発行のお知らせを登録してください。")
    notice = Notice(
        **fields,  # type: ignore[arg-type]
        branch_number=next_branch(holder),
        reason=request.reason,
        registered_at=ctx.now,
    )
    return Decision(notice, current.with_notice(notice).pruned(ctx.now))


def matching_notice(holder: Holder | None, request: IssueRequest) -> Notice:
    """The unused notice the request matches field for field; otherwise 3420 (CT-02)."""
    if holder is None or not holder.notices:
        raise refusals.InputInfoError(frozenset(CertRequestField) - {CertRequestField.EMAIL})
    notice = holder.notice(request.branch_number)
    compared = notice or holder.latest_notice
    assert compared is not None
    mismatched = {
        field
        for field, same in (
            (CertRequestField.KIHONET_CODE, compared.kihonet_code == request.kihonet_code),
            (
                CertRequestField.MANAGEMENT_NUMBER,
                compared.management_number == request.management_number,
            ),
            (CertRequestField.YEAR, compared.year == request.year),
            (CertRequestField.BRANCH_NUMBER, notice is not None),
        )
        if not same
    }
    if mismatched or notice is None:
        raise refusals.InputInfoError(frozenset(mismatched))
    if notice.used_by is not None:
        raise refusals.NoticeUsed("このお知らせでは発行済みです。再発行のお手続きをしてください。")
    return notice


def issued_by_confirmation(holder: Holder | None, request: IssueRequest) -> Certificate | None:
    """The certificate this very confirmation issued already (CT-12), if it did: the notice it
    used carries its key, and every field typed matches (the e-mail too)."""
    if holder is None or request.confirmation is None:
        return None
    notice = holder.notice(request.branch_number)
    if notice is None or notice.used_by is None or notice.confirmation != request.confirmation:
        return None
    cert = holder.certificate(notice.used_by)
    same = (
        notice.kihonet_code == request.kihonet_code
        and notice.management_number == request.management_number
        and notice.year == request.year
        and cert is not None
        and cert.email == request.email
    )
    return cert if same else None


def issue(
    holder: Holder | None, request: IssueRequest, signed: Signed, ctx: Context
) -> Decision[Holder, Certificate]:
    """Record a certificate issued with a notice; a reissue notice revokes the older ones."""
    notice = matching_notice(holder, request)
    assert holder is not None
    cert = Certificate(
        serial_number=signed.serial_number,
        fingerprint_sha256=signed.fingerprint_sha256,
        branch_number=notice.branch_number,
        management_number=notice.management_number,
        email=request.email,
        key_origin=signed.key_origin,
        not_before=signed.not_before,
        not_after=signed.not_after,
    )
    state = holder.with_notice(
        replace(notice, used_by=cert.serial_number, confirmation=request.confirmation)
    )
    facts = {
        "serial_number": cert.serial_number,
        "fingerprint_sha256": cert.fingerprint_sha256,
        "email": cert.email,
        "key_origin": cert.key_origin,
        "not_before": cert.not_before,
        "not_after": cert.not_after,
    }
    envelope = ctx.envelope(holder.user_id)
    events: list[Event] = []
    if notice.reason is None:
        events.append(
            CertIssued(
                **envelope,
                **facts,
                user_id=holder.user_id,
                management_number=notice.management_number,
                branch_number=notice.branch_number,
                notice_year=notice.year,
            )
        )
    else:
        older = [c for c in holder.certificates if c.revoked_at is None and c.not_after > ctx.now]
        for old in older:
            state = state.with_certificate(
                replace(old, revoked_at=ctx.now, revocation_reason=RevocationReason.SUPERSEDED)
            )
        events.append(
            CertReissued(
                **envelope,
                **facts,
                branch_number=notice.branch_number,
                reason=notice.reason,
                supersedes=tuple(c.serial_number for c in older),
            )
        )
        events.extend(
            CertRevoked(
                **envelope, serial_number=c.serial_number, reason=RevocationReason.SUPERSEDED
            )
            for c in older
        )
    return Decision(cert, state.with_certificate(cert).pruned(ctx.now), tuple(events))


def renewable(holder: Holder | None, serial_number: str, now: datetime) -> Certificate:
    """The certificate, if it may be renewed now (CT-05); otherwise why not."""
    cert = holder.certificate(serial_number) if holder is not None else None
    if cert is None:
        raise refusals.UnknownCertificate()
    if cert.revoked_at is not None:
        raise refusals.CertificateRevoked()
    if now >= cert.not_after:
        raise refusals.RenewalRefused(
            CertRejection.CERT_EXPIRED,
            "有効期限を過ぎたクライアント証明書は更新できません。再発行のお手続きをしてください。",
        )
    if now < cert.not_after - RENEWAL_WINDOW:
        opens = cert.not_after - RENEWAL_WINDOW
        raise refusals.RenewalRefused(
            CertRejection.RENEWAL_NOT_OPEN,
            f"更新は有効期限の30日前から可能です（{opens.isoformat()} 以降）。",
        )
    if cert.renewed_by is not None:
        raise refusals.AlreadyRenewed("このクライアント証明書は更新済みです。")
    return cert


def renew(
    holder: Holder | None, serial_number: str, signed: Signed, ctx: Context
) -> Decision[Holder, Certificate]:
    current = renewable(holder, serial_number, ctx.now)
    assert holder is not None
    cert = replace(
        current,
        serial_number=signed.serial_number,
        fingerprint_sha256=signed.fingerprint_sha256,
        key_origin=signed.key_origin,
        not_before=signed.not_before,
        not_after=signed.not_after,
        reminders=frozenset(),
        expiry_announced=False,
    )
    state = holder.with_certificate(replace(current, renewed_by=cert.serial_number))
    event = CertRenewed(
        **ctx.envelope(holder.user_id),
        serial_number=cert.serial_number,
        fingerprint_sha256=cert.fingerprint_sha256,
        previous_serial_number=current.serial_number,
        email=cert.email,
        key_origin=cert.key_origin,
        not_before=cert.not_before,
        not_after=cert.not_after,
    )
    return Decision(cert, state.with_certificate(cert).pruned(ctx.now), (event,))


def revoke(
    holder: Holder | None, serial_number: str, reason: RevocationReason, ctx: Context
) -> Decision[Holder, Certificate]:
    """Revoke once; revoking a revoked certificate again answers it as it is."""
    cert = holder.certificate(serial_number) if holder is not None else None
    if cert is None or holder is None:
        raise refusals.UnknownCertificate()
    if cert.revoked_at is not None:
        return Decision(cert)
    revoked = replace(cert, revoked_at=ctx.now, revocation_reason=reason)
    event = CertRevoked(**ctx.envelope(holder.user_id), serial_number=serial_number, reason=reason)
    return Decision(revoked, holder.with_certificate(revoked), (event,))


def remind(holder: Holder | None, serial_number: str, ctx: Context) -> Decision[Holder, int]:
    """The reminders now due for one certificate, each once (CT-07); answers how many events.

    A reminder is due from its day before expiry until expiry. When the 7-day one is due and the
    30-day one was never sent (the job was down), only the 7-day one goes: a mail saying "30
    days" a week before expiry would be wrong. The 7-day one goes after a renewal too, as the
    seed says, and says the renewal is done. At expiry, ``CertExpired`` is announced once.
    """
    cert = holder.certificate(serial_number) if holder is not None else None
    if holder is None or cert is None or cert.revoked_at is not None:
        return Decision(0)
    now = ctx.now
    envelope = ctx.envelope(holder.user_id)
    if now >= cert.not_after:
        if cert.expiry_announced:
            return Decision(0)
        done = replace(cert, expiry_announced=True, reminders=frozenset(REMINDER_DAYS))
        expired = CertExpired(**envelope, serial_number=serial_number, not_after=cert.not_after)
        return Decision(1, holder.with_certificate(done), (expired,))
    due = [d for d in REMINDER_DAYS if now >= cert.not_after - timedelta(days=d)]
    if not due or min(due) in cert.reminders:
        return Decision(0)
    days = min(due)
    reminder = CertExpiring(
        **envelope,
        serial_number=serial_number,
        not_after=cert.not_after,
        days_before=days,
        renewed_already=cert.renewed_by is not None,
        recipient_email=cert.email,
    )
    done = replace(cert, reminders=cert.reminders | frozenset(due))
    return Decision(1, holder.with_certificate(done), (reminder,))


def rejected(user_id: str, refusal: refusals.Refusal, ctx: Context) -> CertIssueRejected | None:
    """The event of a refused issue or renewal (CT-11), for the refusals the CA records."""
    envelope = ctx.envelope(user_id)
    if isinstance(refusal, refusals.InputInfoError):
        return CertIssueRejected(
            **envelope,
            user_id=user_id,
            rejection=CertRejection.INPUT_INFO_ERROR,
            status_code=refusal.status_code,
            mismatched_fields=refusal.mismatched,
            suggest_next_year=refusal.suggest_next_year,
        )
    if isinstance(refusal, refusals.RenewalRefused):
        return CertIssueRejected(**envelope, user_id=user_id, rejection=refusal.rejection)
    return None
