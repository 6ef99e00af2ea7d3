"""Certs' request and answer bodies. Fields are the seed's (CT-02), half-width, with the
formats of its input table; a value of the wrong shape is a 422 before any notice is read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts.certs import ReissueReason, RevocationReason
from contracts.common import MAIL_ADDRESS
from services.certs.authority import KeyAlgorithm
from services.certs.domain.holders import CertStatus

KihonetCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]
ManagementNumber = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{10}$")]
UserId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{7}$")]
Year = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
Branch = Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")]
Email = Annotated[
    str, StringConstraints(min_length=3, max_length=254, pattern=MAIL_ADDRESS.pattern)
]
"""The portals' one definition (``contracts.common.MAIL_ADDRESS``), which the certificate's
RFC822Name holds: ``cryptography`` refuses a comment or display name (``a(b)@c.jp``) only when it
builds the certificate, after the notice was matched (X-05)."""
Pem = Annotated[str, StringConstraints(min_length=1, max_length=16_384)]


class NoticeIn(BaseModel):
    """A 「ユーザーIDのお知らせ」 as the back office or support records it."""

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

    kihonet_code: KihonetCode = Field(description="企保ネットコード (半角数字8桁)")
    management_number: ManagementNumber = Field(description="管理番号 (半角英数10桁)")
    user_id: UserId = Field(description="ユーザーID (半角英数7桁)")
    issued_on: date | None = Field(
        default=None,
        description="The day the user ID was issued (Asia/Tokyo); default today. It decides "
        "the notice's 年: the next year on December's last business day (CT-02).",
    )
    reason: ReissueReason | None = Field(
        default=None, description="A reissue notice's reason; none for the first issue (枝番 001)"
    )


class NoticeOut(BaseModel):
    kihonet_code: str
    management_number: str
    user_id: str
    year: int = Field(description="年, as printed on the notice")
    branch_number: str = Field(description="枝番")
    reason: ReissueReason | None
    registered_at: datetime


class RequestFields(BaseModel):
    """What the user types from the notice (CT-02), and the address for reminders (CT-04)."""

    model_config = ConfigDict(extra="forbid")

    kihonet_code: KihonetCode = Field(description="企保ネットコード")
    management_number: ManagementNumber = Field(description="管理番号")
    user_id: UserId = Field(description="ユーザーID")
    year: Year = Field(description="年 (西暦4桁)")
    branch_number: Branch = Field(description="枝番 (新規取得は 001)")
    email: Email = Field(description="Eメールアドレス: 更新のご案内の宛先")


class CsrIssueIn(RequestFields):
    csr: Pem = Field(description="PKCS#10 certificate request (PEM); the key stays with you")


class KeyMadeHere(BaseModel):
    """A key pair certs makes, and the password of the PKCS#12 it is answered in: the issue's
    and the renewal screen's one rule for that password."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(
        min_length=8, max_length=128, repr=False, description="Protects the PKCS#12 answered"
    )
    key_algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256


class Pkcs12IssueIn(KeyMadeHere, RequestFields):
    """The notice's fields, then the password (the order of the issue screen)."""


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
