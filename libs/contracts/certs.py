"""Events of the certificates service, on topic ``certs.events`` (SPEC section 4, `kihonet`).

``subject_id`` is the certificate holder's user id on every event, not the certificate serial:
a reissue and the revocations it causes (CT-06) then stay in order on one partition, and a
rejected request, which has no certificate, still has a subject. ``serial_number`` names the
certificate.

No private key, PKCS#12 or its password ever travels: the key stays with the user (CSR) or is
returned once by the API (CT-01).

All names are the issue's; none renamed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_serializer

from contracts.common import EmailAddress, LoginId, UtcDatetime
from contracts.envelope import CertsEvent

__all__ = [
    "BranchNumber",
    "CertExpired",
    "CertExpiring",
    "CertIssueRejected",
    "CertIssued",
    "CertReissued",
    "CertRejection",
    "CertRenewed",
    "CertRequestField",
    "CertRevoked",
    "Fingerprint",
    "KeyOrigin",
    "ManagementNumber",
    "ReissueReason",
    "RevocationReason",
    "SerialNumber",
]

SerialNumber = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[0-9A-Fa-f]+$")
]
"""The certificate serial, hex (RFC 5280 allows up to 20 octets)."""

Fingerprint = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""SHA-256 of the DER certificate, lower-case hex: public, identifies a certificate."""

ManagementNumber = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{10}$")]
"""管理番号, 10 alphanumerics (CT-02); shown in the certificate subject (CT-03)."""

BranchNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")]
"""枝番, 3 digits: ``001`` for a first issue, the next one for each reissue (CT-02, CT-06)."""


class KeyOrigin(StrEnum):
    """Where the certificate's key pair came from (CT-01)."""

    CSR = "csr"
    """The user's own key, sent as a CSR; the private key never left the user (preferred)."""
    GENERATED = "generated"
    """The service generated the key and returned a password-protected PKCS#12 once."""


class CertIssued(CertsEvent):
    """A first certificate was issued (CT-01, CT-02); valid three years (CT-04)."""

    type: Literal["CertIssued"] = "CertIssued"
    version: Literal[1] = 1
    serial_number: SerialNumber
    fingerprint_sha256: Fingerprint
    user_id: LoginId
    """The holder's ユーザーID (7 alphanumerics in `kihonet`), as in the certificate subject."""
    management_number: ManagementNumber
    branch_number: BranchNumber
    notice_year: Annotated[int, Field(ge=2000, le=9999)]
    """年 of the user-ID notice the request matched (CT-02)."""
    email: EmailAddress
    """The address given at issue; it receives the renewal notices (CT-04)."""
    key_origin: KeyOrigin
    not_before: UtcDatetime
    not_after: UtcDatetime


class CertRenewed(CertsEvent):
    """A certificate was renewed within 30 days of expiry, proving possession (CT-05)."""

    type: Literal["CertRenewed"] = "CertRenewed"
    version: Literal[1] = 1
    serial_number: SerialNumber
    fingerprint_sha256: Fingerprint
    previous_serial_number: SerialNumber
    email: EmailAddress
    key_origin: KeyOrigin
    not_before: UtcDatetime
    not_after: UtcDatetime


class ReissueReason(StrEnum):
    """Why support recorded a reissue notice (CT-06)."""

    PC_CHANGE = "pc_change"
    EMAIL_CHANGE = "email_change"
    EXPIRED = "expired"
    OTHER = "other"


class CertReissued(CertsEvent):
    """A certificate was issued on a reissue notice with the next branch number (CT-06).

    The older certificates it supersedes are revoked, each announced by ``CertRevoked``.
    """

    type: Literal["CertReissued"] = "CertReissued"
    version: Literal[1] = 1
    serial_number: SerialNumber
    fingerprint_sha256: Fingerprint
    branch_number: BranchNumber
    reason: ReissueReason
    supersedes: tuple[SerialNumber, ...] = ()
    """Serials of the holder's older certificates, revoked by this reissue."""
    email: EmailAddress
    key_origin: KeyOrigin
    not_before: UtcDatetime
    not_after: UtcDatetime


class RevocationReason(StrEnum):
    """CRL reason codes (RFC 5280 §5.3.1) the service uses (CT-08)."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"


class CertRevoked(CertsEvent):
    """A certificate was revoked and goes on the CRL (CT-06, CT-08)."""

    type: Literal["CertRevoked"] = "CertRevoked"
    version: Literal[1] = 1
    serial_number: SerialNumber
    reason: RevocationReason


class CertExpiring(CertsEvent):
    """A reminder is due 30 or 7 days before expiry, once each (CT-07).

    The 7-day reminder is sent even after renewal, as the seed says; ``renewed_already`` lets
    its text say that the renewal is done (beyond the seed).
    """

    type: Literal["CertExpiring"] = "CertExpiring"
    version: Literal[1] = 1
    serial_number: SerialNumber
    not_after: UtcDatetime
    days_before: Literal[30, 7]
    renewed_already: bool
    recipient_email: EmailAddress
    """The certificate's e-mail (CT-04, CT-07)."""


class CertExpired(CertsEvent):
    """A certificate passed its end of validity; only a reissue helps now (CT-05)."""

    type: Literal["CertExpired"] = "CertExpired"
    version: Literal[1] = 1
    serial_number: SerialNumber
    not_after: UtcDatetime


class CertRejection(StrEnum):
    """Why an issue or renewal request was refused: the section 7 code."""

    INPUT_INFO_ERROR = "INPUT_INFO_ERROR"
    """The request did not match the user-ID notice on record (status 3420, CT-02)."""
    RENEWAL_NOT_OPEN = "RENEWAL_NOT_OPEN"
    CERT_EXPIRED = "CERT_EXPIRED"


class CertRequestField(StrEnum):
    """The fields of an issue request (CT-02) that may fail to match the notice."""

    KIHONET_CODE = "kihonet_code"
    MANAGEMENT_NUMBER = "management_number"
    USER_ID = "user_id"
    YEAR = "year"
    BRANCH_NUMBER = "branch_number"
    EMAIL = "email"


class CertIssueRejected(CertsEvent):
    """An issue or renewal request was refused (CT-02, CT-05).

    Carries what was wrong, not what was typed beyond the user ID: the request's other values
    are attacker-controlled and add nothing an operator needs.
    """

    type: Literal["CertIssueRejected"] = "CertIssueRejected"
    version: Literal[1] = 1
    user_id: LoginId
    """The ユーザーID of the request."""
    rejection: CertRejection
    status_code: Annotated[int, Field(ge=0, le=9999)] | None = None
    """The seed's status code, e.g. 3420 for 入力情報エラー. A public error number."""
    mismatched_fields: frozenset[CertRequestField] = frozenset()

    @field_serializer("mismatched_fields")
    def _sorted_fields(self, value: frozenset[CertRequestField]) -> list[str]:
        """Sorted, so the same event always serialises to the same bytes."""
        return sorted(value)

    suggest_next_year: bool = False
    """The notice may carry next year (an ID issued on the last business day of December)."""
