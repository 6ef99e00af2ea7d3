"""Certs' request and answer bodies. The fields a user types from the notice, and their rules,
are the use cases' (``usecases.inputs``), shared with the screens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from contracts.certs import ReissueReason, RevocationReason
from services.certs.domain.holders import CertStatus
from services.certs.usecases.inputs import (
    KeyMadeHere,
    NoticeFields,
    Pem,
    Pkcs12IssueIn,
    RequestFields,
)

__all__ = [
    "CsrIssueIn",
    "IssuedOut",
    "KeyMadeHere",
    "NoticeIn",
    "NoticeOut",
    "Pkcs12IssueIn",
    "RenewIn",
    "RequestFields",
    "RevokeIn",
    "RevokedOut",
    "VerifyIn",
    "VerifyOut",
]


class NoticeIn(NoticeFields):
    """A 「ユーザーIDのお知らせ」 as the back office or support records it (the rules are
    ``usecases.inputs.NoticeFields``, shared with the support console's form)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kihonet_code": "12345678",
                    "management_number": "AB12345678",
                    "user_id": "U123456",
                }
            ]
        },
    )


class NoticeOut(BaseModel):
    kihonet_code: str
    management_number: str
    user_id: str
    year: int = Field(description="年, as printed on the notice")
    branch_number: str = Field(description="枝番")
    reason: ReissueReason | None
    registered_at: datetime


class CsrIssueIn(RequestFields):
    csr: Pem = Field(description="PKCS#10 certificate request (PEM); the key stays with you")


class RenewIn(BaseModel):
    """A CSR for the new key, and proof of the current certificate: through the gateway's mTLS,
    or here as the certificate and a signature by its key over the CSR's DER (CT-05)."""

    model_config = ConfigDict(extra="forbid")

    csr: Pem
    certificate: Pem | None = Field(default=None, description="The current certificate (PEM)")
    signature: str | None = Field(
        default=None,
        max_length=2048,
        description="Base64 signature over the CSR's DER by the current certificate's key "
        "(ECDSA with SHA-256, or RSA PKCS#1 v1.5 with SHA-256)",
    )


class IssuedOut(BaseModel):
    serial_number: str
    fingerprint_sha256: str
    subject: str = Field(description="Shows the user ID and 管理番号 (CT-03)")
    not_before: datetime
    not_after: datetime
    certificate: str = Field(description="PEM")
    ca_certificate: str = Field(description="PEM of the issuing CA")
    pkcs12: str | None = Field(
        default=None, description="Base64 PKCS#12 (AES-256), only when the key was made here"
    )


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: RevocationReason = RevocationReason.UNSPECIFIED


class RevokedOut(BaseModel):
    serial_number: str
    revoked_at: datetime | None
    reason: RevocationReason | None


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    certificate: Pem = Field(description="The certificate presented (PEM)")


class VerifyOut(BaseModel):
    status: CertStatus
    serial_number: str | None = None
    not_after: datetime | None = None
    revoked_at: datetime | None = None
