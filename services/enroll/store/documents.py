"""Enroll's aggregates as stored documents, and back: the one place a stored field is read.

Dates come back timezone-aware (the client is ``tz_aware``), in UTC; birth dates never reach
a document (the roster's lines are packed text, the person a keyed digest).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from contracts.enroll import SignupChannel
from services.enroll.domain.checkup import Draft, Gate, Secret
from services.enroll.domain.consent import Consent
from services.enroll.domain.roster import Maintenance, Restrictions, Roster
from services.enroll.domain.signups import Expiring, Signup, Status

Document = dict[str, Any]


def _expiring(doc: Document | None) -> Expiring | None:
    return None if not doc else Expiring(doc["token_hash"], doc["expires_at"])


def _consent(doc: Document | None) -> Consent | None:
    """A sign-up begun before consent was asked has none."""
    if not doc:
        return None
    return Consent(doc["terms_version"], doc["privacy_version"], doc["accepted_at"])


def signup_to_document(signup: Signup) -> Document:
    doc = asdict(signup)
    doc["channel"] = signup.channel.value
    doc["status"] = signup.status.value
    return doc


def signup_from_document(doc: Document) -> Signup:
    return Signup(
        signup_id=doc["signup_id"],
        email=doc["email"],
        channel=SignupChannel(doc["channel"]),
        status=Status(doc["status"]),
        started_at=doc["started_at"],
        ref_hash=doc["ref_hash"],
        link=_expiring(doc.get("link")),
        mails=int(doc.get("mails", 1)),
        step=_expiring(doc.get("step")),
        tries=int(doc.get("tries", 0)),
        invited=bool(doc.get("invited")),
        group_id=doc.get("group_id"),
        invitation_code=doc.get("invitation_code"),
        consent=_consent(doc.get("consent")),
        insurer_number=doc.get("insurer_number"),
        person_key=doc.get("person_key"),
        registered_at=doc.get("registered_at"),
        failure=doc.get("failure"),
    )


def roster_to_document(roster: Roster) -> Document:
    return asdict(roster)


def roster_from_document(doc: Document) -> Roster:
    return Roster(
        insurer_number=doc["insurer_number"],
        collection=doc["collection"],
        buckets=int(doc["buckets"]),
        rows=int(doc["rows"]),
        digest=doc["digest"],
        restrictions=Restrictions(**(doc.get("restrictions") or {})),
        imported_at=doc.get("imported_at"),
        salt=int(doc.get("salt", 0)),
        maintenance=_maintenance(doc.get("maintenance")),
    )


def _maintenance(doc: Document | None) -> Maintenance | None:
    return None if not doc else Maintenance(doc["by"], doc["since"])


def _secret(doc: Document | None) -> Secret | None:
    return None if not doc else Secret(doc["hash"], int(doc.get("failures", 0)))


def gate_to_document(gate: Gate) -> Document:
    return asdict(gate)


def gate_from_document(doc: Document) -> Gate:
    """A gate stored before ``question_allowed`` existed may set a question if its member proved
    identity and has none yet: as it could then."""
    draft = doc.get("draft")
    allowed = doc.get("verified_at") is not None and doc.get("question_id") is None
    return Gate(
        user_id=doc["user_id"],
        code=_secret(doc.get("code")),
        code_issued_at=doc.get("code_issued_at"),
        verified_at=doc.get("verified_at"),
        question_allowed=bool(doc.get("question_allowed", allowed)),
        draft=None
        if not draft
        else Draft(draft["question_id"], draft["answer_hash"], draft["expires_at"]),
        question_id=doc.get("question_id"),
        answer=_secret(doc.get("answer")),
    )
