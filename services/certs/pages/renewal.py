"""kihonet's 証明書更新 screen (WEB-01, CT-05, seed 001): from 30 days before expiry until
expiry, the certificate the browser presents is renewed with a key made here, answered once as
a PKCS#12 to save, like the issue screen's.

Who renews is known only from the certificate the gateway's kihonet server verified in its TLS
handshake and forwards with the secret it shares with certs (``GatewayCertificate``), never
from the form: presenting it is the proof of possession. The gateway serves this screen on
that server only (GW-03). The form carries the CSRF token (X-12).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from cryptography import x509
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from contracts import Actor, ActorKind
from servicekit.problems import ProblemCode
from services.certs.domain import refusals
from services.certs.pages.deps import CertsDep, GatewayCertificate, Realm
from services.certs.pages.issue import (
    PAGES,
    PASSWORDS_DIFFER,
    day,
    format_errors,
    issued_page,
    refusal_words,
)
from services.certs.usecases import Certs
from services.certs.usecases.certificates import uid_of
from services.certs.usecases.inputs import KeyMadeHere
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)
Text = Annotated[str, Form(max_length=300)]


def renewal_form(
    request: Request,
    realm: str,
    presented: x509.Certificate,
    errors: list[FieldError],
    status: int,
    *,
    open_: bool,
) -> Response:
    """The current certificate, and the password form while renewal is open."""
    return PAGES.render(
        request,
        "certificate_renewal",
        status,
        realm=realm,
        errors=errors,
        title="クライアント証明書の更新",
        subject=presented.subject.rfc4514_string(),
        not_after=day(presented.not_valid_after_utc),
        open=open_,
    )


def presented_of(
    request: Request, realm: str, certs: Certs, through: str | None
) -> x509.Certificate | Response:
    """The certificate the gateway verified, if this CA signed it; or the page that says one is
    needed, or that it is not known here. Nothing on the screen reads a certificate before it
    is known to be ours: its subject, shown on the form, may not even decode (X-05)."""
    code = ProblemCode.CLIENT_CERTIFICATE_REQUIRED
    if through is not None:
        try:
            presented = x509.load_pem_x509_certificate(unquote(through).encode())
        except ValueError:  # unreadable: as if none had been presented
            pass
        else:
            if certs.certificates.ours(presented):
                return presented
            code = ProblemCode.CERT_UNKNOWN
    return PAGES.render(request, "webkit/message", code.status, realm=realm, title=code.title)


@router.get("/certificate-renewal")
async def renewal_page(
    request: Request, realm: Realm, certs: CertsDep, through: GatewayCertificate
) -> Response:
    """The presented certificate and whether it may be renewed now, before any key is made."""
    presented = presented_of(request, realm, certs, through)
    if isinstance(presented, Response):
        return presented
    try:
        await certs.certificates.renewal(presented, certs.keeper.now())
    except refusals.Refusal as refused:
        message, _ = refusal_words(refused)
        return renewal_form(request, realm, presented, [FieldError(message)], 200, open_=False)
    return renewal_form(request, realm, presented, [], 200, open_=True)


@router.post("/certificate-renewal", dependencies=[Depends(csrf.checked)])
async def renew(
    request: Request,
    realm: Realm,
    certs: CertsDep,
    through: GatewayCertificate,
    password: Text = "",
    password_again: Text = "",
) -> Response:
    """CT-05 for a person: the new key pair made here, under the password given."""
    presented = presented_of(request, realm, certs, through)
    if isinstance(presented, Response):
        return presented
    if password != password_again:
        return renewal_form(request, realm, presented, [PASSWORDS_DIFFER], 422, open_=True)
    try:
        body = KeyMadeHere(password=password)
    except ValidationError as invalid:
        return renewal_form(request, realm, presented, format_errors(invalid), 422, open_=True)
    try:
        ctx = certs.context(realm, Actor(kind=ActorKind.USER, id=uid_of(presented)))
        issued = await certs.certificates.renew_pkcs12(
            presented, body.key_algorithm, body.password, ctx
        )
    except refusals.Refusal as refused:
        message, status = refusal_words(refused)
        return renewal_form(request, realm, presented, [FieldError(message)], status, open_=False)
    return issued_page(request, realm, issued, "クライアント証明書を更新しました")
