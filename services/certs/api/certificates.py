"""Notices and certificates of the realm (CT-01..CT-08): the routes, thin over the use cases."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Path

from contracts import Actor, ActorKind
from contracts.certs import KeyOrigin
from services.certs.api.deps import CertsDep, GatewayCertificate, Operator, Realm
from services.certs.api.schemas import (
    CsrIssueIn,
    IssuedOut,
    NoticeIn,
    NoticeOut,
    Pkcs12IssueIn,
    RenewIn,
    RequestFields,
    RevokedOut,
    RevokeIn,
    VerifyIn,
    VerifyOut,
)
from services.certs.domain.calendar import tokyo_date
from services.certs.domain.refusals import BadRequestData, NotPermitted, UnknownCertificate
from services.certs.usecases.certificates import Issued, uid_of
from services.certs.usecases.signing import pem, usable_public_key

router = APIRouter(prefix="/v1/realms/{realm}", tags=["certificates"])
Serial = Annotated[str, Path(pattern=r"^[0-9A-Fa-f]{1,40}$", examples=["3A5F9C"])]


@router.post("/notices", status_code=201, summary="Record a user-ID notice (CT-02, CT-06)")
async def register_notice(
    body: NoticeIn, realm: Realm, actor: Operator, certs: CertsDep
) -> NoticeOut:
    """The back office (provisioning token) or the realm's support desk records the notice it
    sends by post; a reissue notice (``reason``) takes the next 枝番."""
    ctx = certs.context(realm, actor)
    notice = await certs.certificates.register_notice(body.request(tokyo_date(ctx.now)), ctx)
    return NoticeOut(
        kihonet_code=notice.kihonet_code,
        management_number=notice.management_number,
        user_id=notice.user_id,
        year=notice.year,
        branch_number=notice.branch_number,
        reason=notice.reason,
        registered_at=notice.registered_at,
    )


@router.post("/certificates", status_code=201, summary="Issue from a CSR (CT-01..04)")
async def issue(body: CsrIssueIn, realm: Realm, certs: CertsDep) -> IssuedOut:
    """The notice's fields and a CSR: the key never leaves the user. A mismatch with the notice
    answers ``INPUT_INFO_ERROR`` with ``status_code`` 3420."""
    csr = _csr(body.csr)
    ctx = certs.context(realm, _user(body))
    issued = await certs.certificates.issue(body.request(), csr.public_key(), KeyOrigin.CSR, ctx)
    return _out(issued, certs)


@router.post(
    "/certificates/pkcs12", status_code=201, summary="Issue with a key made here, as PKCS#12"
)
async def issue_pkcs12(body: Pkcs12IssueIn, realm: Realm, certs: CertsDep) -> IssuedOut:
    """For a user without tools to make a CSR: the key pair is made here and answered once, in
    a PKCS#12 protected by the password given (AES-256; never kept)."""
    ctx = certs.context(realm, _user(body))
    issued = await certs.certificates.issue_pkcs12(
        body.request(), body.key_algorithm, body.password, ctx
    )
    return _out(issued, certs)


@router.post("/certificates/renew", status_code=201, summary="Renew within 30 days (CT-05)")
async def renew(
    body: RenewIn, realm: Realm, certs: CertsDep, through: GatewayCertificate
) -> IssuedOut:
    """From 30 days before expiry until expiry (``RENEWAL_NOT_OPEN`` earlier, ``CERT_EXPIRED``
    later), proving possession of the current certificate: presented to the gateway's mTLS, or
    as ``certificate`` with ``signature``, by its key, over the new CSR's DER."""
    csr = _csr(body.csr)
    proof: tuple[bytes, bytes] | None
    if through is not None:
        presented, proof = _certificate(unquote(through)), None
    elif body.certificate and body.signature:
        try:
            signature = base64.b64decode(body.signature, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequestData("signature は Base64 で指定してください") from None
        presented = _certificate(body.certificate)
        proof = (csr.public_bytes(Encoding.DER), signature)
    else:
        raise NotPermitted("現在のクライアント証明書で本人確認ができません。")
    if not certs.certificates.ours(presented):
        raise UnknownCertificate()
    ctx = certs.context(realm, Actor(kind=ActorKind.USER, id=uid_of(presented)))
    issued = await certs.certificates.renew(presented, proof, csr.public_key(), ctx)
    return _out(issued, certs)


@router.post("/certificates/{serial}/revoke", summary="Revoke a certificate (CT-08)")
async def revoke(
    serial: Serial, body: RevokeIn, realm: Realm, actor: Operator, certs: CertsDep
) -> RevokedOut:
    """Support or the back office; the certificate is on a new CRL within moments, and OCSP
    answers ``revoked`` at once."""
    ctx = certs.context(realm, actor)
    cert = await certs.certificates.revoke(serial.upper(), body.reason, ctx)
    return RevokedOut(
        serial_number=cert.serial_number,
        revoked_at=cert.revoked_at,
        reason=cert.revocation_reason,
    )


@router.post("/certificates/verify", summary="Is this certificate valid? (CT-08)")
async def verify(body: VerifyIn, realm: Realm, certs: CertsDep) -> VerifyOut:
    """``valid``, ``expired``, ``revoked``, or ``unknown`` (not a certificate of this CA)."""
    del realm
    found = await certs.certificates.verify(_certificate(body.certificate), certs.keeper.now())
    return VerifyOut(
        status=found.status,
        serial_number=found.serial_number,
        not_after=found.not_after,
        revoked_at=found.revoked_at,
    )


def _user(body: RequestFields) -> Actor:
    return Actor(kind=ActorKind.USER, id=body.user_id)


def _csr(text: str) -> x509.CertificateSigningRequest:
    try:
        csr = x509.load_pem_x509_csr(text.encode())
        valid = csr.is_signature_valid
        usable_public_key(csr.public_key())
    except ValueError as err:
        raise BadRequestData(f"CSR を読み取れません: {err}") from None
    except Exception:  # an unsupported key or signature algorithm
        raise BadRequestData("CSR を読み取れません") from None
    if not valid:
        raise BadRequestData("CSR の署名が正しくありません")
    return csr


def _certificate(text: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(text.encode())
    except Exception:
        raise BadRequestData("証明書を読み取れません (PEM)") from None


def _out(issued: Issued, certs: CertsDep) -> IssuedOut:
    cert = issued.certificate
    return IssuedOut(
        serial_number=issued.recorded.serial_number,
        fingerprint_sha256=issued.recorded.fingerprint_sha256,
        subject=cert.subject.rfc4514_string(),
        not_before=issued.recorded.not_before,
        not_after=issued.recorded.not_after,
        certificate=pem(cert),
        ca_certificate=pem(certs.keeper.authority.certificate),
        pkcs12=None if issued.pkcs12 is None else base64.b64encode(issued.pkcs12).decode(),
    )
