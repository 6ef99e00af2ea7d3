"""kihonet's support console: a holder's notices and certificates, and revocation (WEB-04,
CT-06, CT-08, seed 001).

The support operator finds a holder by its ユーザーID, or by a notice's 企保ネットコード or
管理番号; its page lists its notices and its certificates with their standing (valid, inside the
renewal window, revoked, expired), serial and validity in Tokyo time (X-04). 失効させる asks for a
reason, 確認する shows what will be revoked, and 確定する revokes through the use case
``POST /v1/realms/kihonet/certificates/{serial}/revoke`` calls, under the same rule
(``domain/authz``): its ``CertRevoked`` puts the serial on the next CRL, and OCSP answers
``revoked`` at once. The POSTs carry the page's CSRF token (X-12); the confirmation changes
nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import Response

from contracts import Actor
from contracts.certs import RevocationReason
from servicekit.problems import ProblemCode
from services.certs.domain import refusals
from services.certs.domain.holders import Certificate, Holder, SearchBy, Standing
from services.certs.pages.deps import AccessDep, CertsDep, Realm
from services.certs.pages.issue import PAGES, refusal_words
from services.certs.pages.support import (
    REISSUE_REASONS,
    REVOCATION_REASONS,
    STANDINGS,
    chunks,
    operator,
    tokyo,
)
from services.certs.usecases import Certs
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}/support", tags=["pages"], include_in_schema=False)
UserId = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{7}$")]
Serial = Annotated[str, Path(pattern=r"^[0-9A-Fa-f]{1,40}$")]

#: What a holder is searched by, with the format each takes (the notice's, CT-02).
SEARCHES: dict[SearchBy, tuple[str, re.Pattern[str]]] = {
    SearchBy.USER_ID: ("ユーザーID", re.compile(r"[0-9A-Za-z]{7}")),
    SearchBy.KIHONET_CODE: ("企保ネットコード", re.compile(r"[0-9]{8}")),
    SearchBy.MANAGEMENT_NUMBER: ("管理番号", re.compile(r"[0-9A-Za-z]{10}")),
}
REVOCABLE = (Standing.VALID, Standing.EXPIRING)


def holder_href(realm: str, user_id: str) -> str:
    return f"/realms/{realm}/support/holders/{user_id}"


@router.get("/holders")
async def search(
    request: Request,
    realm: Realm,
    access: AccessDep,
    certs: CertsDep,
    by: Annotated[str, Query(max_length=40)] = SearchBy.USER_ID.value,
    q: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """The search form, and what it found."""
    actor = await operator(request, realm, access)
    if isinstance(actor, Response):
        return actor
    value = q.strip()
    errors: list[FieldError] = []
    found: list[Holder] | None = None
    key = next((k for k in SearchBy if k.value == by), None)
    if key is None:
        errors.append(FieldError("検索する項目を選んでください", "by"))
    elif value:
        label, pattern = SEARCHES[key]
        if pattern.fullmatch(value):
            found = await certs.certificates.find_holders(key, value)
        else:
            errors.append(FieldError(f"{label}の形式が正しくありません", "q"))
    return PAGES.render(
        request,
        "support_holders",
        422 if errors else 200,
        realm=realm,
        errors=errors,
        title="証明書利用者の検索",
        searches={k.value: label for k, (label, _) in SEARCHES.items()},
        by=key.value if key else SearchBy.USER_ID.value,
        q=value,
        found=found,
    )


def certificate_rows(holder: Holder, certs: Certs) -> list[dict[str, object]]:
    """Each certificate as the page shows it, the newest first."""
    now = certs.keeper.now()
    rows = []
    for cert in sorted(holder.certificates, key=lambda c: c.not_before, reverse=True):
        standing = cert.standing(now)
        rows.append(
            {
                "serial": cert.serial_number,
                "serial_chunks": chunks(cert.serial_number),
                "standing": standing.value,
                "standing_label": STANDINGS[standing],
                "branch_number": cert.branch_number,
                "management_number": cert.management_number,
                "email": cert.email,
                "not_before": tokyo(cert.not_before),
                "not_after": tokyo(cert.not_after),
                "revoked_at": tokyo(cert.revoked_at),
                "revocation_reason": REVOCATION_REASONS.get(
                    cert.revocation_reason.value if cert.revocation_reason else "", ""
                ),
                "revocable": standing in REVOCABLE,
            }
        )
    return rows


def unknown(request: Request, realm: str) -> Response:
    """No such holder or certificate: not found, saying no more."""
    code = ProblemCode.NOT_FOUND
    return PAGES.render(request, "webkit/message", code.status, realm=realm, title=code.title)


@router.get("/holders/{user_id}")
async def holder_page(
    request: Request, realm: Realm, user_id: UserId, access: AccessDep, certs: CertsDep
) -> Response:
    """A holder's notices and certificates, each certificate with its standing."""
    actor = await operator(request, realm, access)
    if isinstance(actor, Response):
        return actor
    holder = await certs.certificates.holder(user_id)
    if holder is None:
        return unknown(request, realm)
    return PAGES.render(
        request,
        "support_holder",
        realm=realm,
        title=f"証明書利用者 {holder.user_id}",
        holder=holder,
        notices=[
            {
                "notice": n,
                "reason": REISSUE_REASONS[n.reason.value if n.reason else ""],
                "registered_at": tokyo(n.registered_at),
            }
            for n in holder.notices
        ],
        certificates=certificate_rows(holder, certs),
    )


async def certificate_of(
    certs: Certs, user_id: str, serial: str
) -> tuple[Holder, Certificate] | None:
    holder = await certs.certificates.holder(user_id)
    cert = holder.certificate(serial.upper()) if holder is not None else None
    return None if holder is None or cert is None else (holder, cert)


def revoke_page(
    request: Request,
    realm: str,
    holder: Holder,
    cert: Certificate,
    certs: Certs,
    *,
    template: str,
    title: str,
    status: int = 200,
    reason: str = RevocationReason.KEY_COMPROMISE.value,
    errors: list[FieldError] | None = None,
) -> Response:
    row = next(r for r in certificate_rows(holder, certs) if r["serial"] == cert.serial_number)
    return PAGES.render(
        request,
        template,
        status,
        realm=realm,
        errors=errors or [],
        title=title,
        holder=holder,
        cert=row,
        reasons=REVOCATION_REASONS,
        reason=reason,
        reason_label=REVOCATION_REASONS.get(reason, ""),
        action=f"{holder_href(realm, holder.user_id)}/certificates/{cert.serial_number}/revoke",
        back=holder_href(realm, holder.user_id),
    )


@router.get("/holders/{user_id}/certificates/{serial}/revoke")
async def revoke_form(
    request: Request,
    realm: Realm,
    user_id: UserId,
    serial: Serial,
    access: AccessDep,
    certs: CertsDep,
    reason: Annotated[str, Query(max_length=40)] = RevocationReason.KEY_COMPROMISE.value,
) -> Response:
    """失効させる: the certificate, and the reason to choose."""
    actor = await operator(request, realm, access)
    if isinstance(actor, Response):
        return actor
    found = await certificate_of(certs, user_id, serial)
    if found is None:
        return unknown(request, realm)
    holder, cert = found
    return revoke_page(
        request,
        realm,
        holder,
        cert,
        certs,
        template="support_revoke_form",
        title="クライアント証明書の失効",
        reason=reason if reason in REVOCATION_REASONS else RevocationReason.KEY_COMPROMISE.value,
    )


Reason = Annotated[str, Form(max_length=40)]


@dataclass(frozen=True)
class Revocation:
    """A revocation as 確認する and 確定する post it: who asks, whose certificate, and why."""

    actor: Actor
    holder: Holder
    cert: Certificate
    reason: RevocationReason


async def revocation_posted(
    request: Request,
    realm: Realm,
    user_id: UserId,
    serial: Serial,
    access: AccessDep,
    certs: CertsDep,
    reason: Reason = "",
) -> Revocation | Response:
    """Both steps' checks in one place: the console's gate, the certificate (not found, saying
    no more), and a reason from the list (else the form again, its error in the summary)."""
    actor = await operator(request, realm, access)
    if isinstance(actor, Response):
        return actor
    found = await certificate_of(certs, user_id, serial)
    if found is None:
        return unknown(request, realm)
    holder, cert = found
    if reason not in REVOCATION_REASONS:
        error = FieldError("失効の理由を選んでください", "reason")
        return revoke_page(
            request, realm, holder, cert, certs, template="support_revoke_form",
            title="クライアント証明書の失効", status=422, errors=[error],
        )  # fmt: skip
    return Revocation(actor, holder, cert, RevocationReason(reason))


Posted = Annotated[Revocation | Response, Depends(revocation_posted)]


@router.post(
    "/holders/{user_id}/certificates/{serial}/revoke/confirm",
    dependencies=[Depends(csrf.checked)],
)
async def revoke_confirm(
    request: Request, realm: Realm, certs: CertsDep, asked: Posted
) -> Response:
    """確認する: what will be revoked, and why; nothing is changed."""
    if isinstance(asked, Response):
        return asked
    return revoke_page(
        request,
        realm,
        asked.holder,
        asked.cert,
        certs,
        template="support_revoke_confirm",
        title="クライアント証明書の失効（確認）",
        reason=asked.reason.value,
    )


@router.post(
    "/holders/{user_id}/certificates/{serial}/revoke", dependencies=[Depends(csrf.checked)]
)
async def revoke(request: Request, realm: Realm, certs: CertsDep, asked: Posted) -> Response:
    """確定する: revoked by the use case the API's ``POST …/certificates/{serial}/revoke``
    calls; its ``CertRevoked`` reaches the CRL, and OCSP answers ``revoked``."""
    if isinstance(asked, Response):
        return asked
    return await revoked(request, realm, certs, asked)


async def revoked(request: Request, realm: str, certs: Certs, asked: Revocation) -> Response:
    holder, cert = asked.holder, asked.cert
    try:
        done = await certs.certificates.revoke(
            cert.serial_number, asked.reason, certs.context(realm, asked.actor)
        )
    except refusals.Refusal as refused:
        message, status = refusal_words(refused)
        return revoke_page(
            request, realm, holder, cert, certs, template="support_revoke_form",
            title="クライアント証明書の失効", status=status, errors=[FieldError(message)],
        )  # fmt: skip
    return revoke_page(
        request,
        realm,
        holder.with_certificate(done),
        done,
        certs,
        template="support_revoked",
        title="クライアント証明書を失効させました",
        reason=(done.revocation_reason or asked.reason).value,
    )
