"""The one place a stored holder document is read or written (X-13's commits carry it)."""

from __future__ import annotations

from typing import Any

from contracts.certs import KeyOrigin, ReissueReason, RevocationReason
from services.certs.domain.holders import Certificate, Holder, Notice

Document = dict[str, Any]


def holder_id(realm: str, user_id: str) -> str:
    return f"holder:{realm}:{user_id}"


def notice_to_document(notice: Notice) -> Document:
    return {
        "kihonet_code": notice.kihonet_code,
        "management_number": notice.management_number,
        "user_id": notice.user_id,
        "year": notice.year,
        "branch_number": notice.branch_number,
        "reason": None if notice.reason is None else notice.reason.value,
        "registered_at": notice.registered_at,
        "used_by": notice.used_by,
        "confirmation": notice.confirmation,
    }


def notice_from_document(doc: Document) -> Notice:
    return Notice(
        kihonet_code=doc["kihonet_code"],
        management_number=doc["management_number"],
        user_id=doc["user_id"],
        year=int(doc["year"]),
        branch_number=doc["branch_number"],
        reason=None if doc["reason"] is None else ReissueReason(doc["reason"]),
        registered_at=doc["registered_at"],
        used_by=doc.get("used_by"),
        confirmation=doc.get("confirmation"),
    )


def certificate_to_document(cert: Certificate) -> Document:
    return {
        "serial_number": cert.serial_number,
        "fingerprint_sha256": cert.fingerprint_sha256,
        "branch_number": cert.branch_number,
        "management_number": cert.management_number,
        "email": cert.email,
        "key_origin": cert.key_origin.value,
        "not_before": cert.not_before,
        "not_after": cert.not_after,
        "revoked_at": cert.revoked_at,
        "revocation_reason": None
        if cert.revocation_reason is None
        else cert.revocation_reason.value,
        "renewed_by": cert.renewed_by,
        "reminders": sorted(cert.reminders),
        "expiry_announced": cert.expiry_announced,
    }


def certificate_from_document(doc: Document) -> Certificate:
    reason = doc.get("revocation_reason")
    return Certificate(
        serial_number=doc["serial_number"],
        fingerprint_sha256=doc["fingerprint_sha256"],
        branch_number=doc["branch_number"],
        management_number=doc["management_number"],
        email=doc["email"],
        key_origin=KeyOrigin(doc["key_origin"]),
        not_before=doc["not_before"],
        not_after=doc["not_after"],
        revoked_at=doc.get("revoked_at"),
        revocation_reason=None if reason is None else RevocationReason(reason),
        renewed_by=doc.get("renewed_by"),
        reminders=frozenset(int(d) for d in doc.get("reminders", ())),
        expiry_announced=bool(doc.get("expiry_announced", False)),
    )


def holder_to_document(holder: Holder) -> Document:
    return {
        "realm": holder.realm,
        "user_id": holder.user_id,
        "notices": [notice_to_document(n) for n in holder.notices],
        "certificates": [certificate_to_document(c) for c in holder.certificates],
    }


def holder_from_document(doc: Document) -> Holder:
    return Holder(
        realm=doc["realm"],
        user_id=doc["user_id"],
        notices=tuple(notice_from_document(n) for n in doc["notices"]),
        certificates=tuple(certificate_from_document(c) for c in doc["certificates"]),
    )
