"""Identity's aggregates as stored documents, and back: the one place a stored field is read.

Dates come back timezone-aware (the client is ``tz_aware``), in UTC. Profiles are stored without
their empty fields.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, TypeVar

from contracts.common import Role, UserProfile
from contracts.identity import OrgContact, TrustedNetworkEntry, UserStatus
from contracts.permissions import Permissions
from services.identity.domain.bot_defence import Activity, AddressSlot, TrustedAddresses
from services.identity.domain.lockout import ShadowCount, ShadowSlot
from services.identity.domain.organisations import IdRequest, Organisation
from services.identity.domain.session_lists import Listed
from services.identity.domain.sessions import IDLE_TIMEOUT, Session
from services.identity.domain.users import (
    AuthEmail,
    Charter,
    EmailChange,
    LoginLink,
    OtpCode,
    PasswordReset,
    PendingLogin,
    TemporaryPassword,
    User,
)

Document = dict[str, Any]
T = TypeVar("T")


def user_to_document(user: User) -> Document:
    temporary = user.temporary_password
    change = user.email_change
    charter = user.charter
    return {
        "user_id": user.user_id,
        "realm": user.realm,
        "org_id": user.org_id,
        "login_id": user.login_id,
        "role": user.role.value,
        "status": user.status.value,
        "profile": user.profile.model_dump(exclude_none=True),
        "password_hash": user.password_hash,
        "initial_password_hash": user.initial_password_hash,
        "must_change_password": user.must_change_password,
        "password_is_temporary": user.password_is_temporary,
        "password_hint": user.password_hint,
        "failures": user.failures,
        "locked": user.locked,
        "refused_while_locked": user.refused_while_locked,
        "last_login_at": user.last_login_at,
        "readable_org_ids": list(user.readable_org_ids),
        "temporary_password": None
        if temporary is None
        else {"secret_hash": temporary.secret_hash, "expires_at": temporary.expires_at},
        "temporary_issued": list(user.temporary_issued),
        "email_change": None
        if change is None
        else {
            "token_hash": change.token_hash,
            "new_email": change.new_email,
            "expires_at": change.expires_at,
        },
        "password_reset": None if user.password_reset is None else asdict(user.password_reset),
        "reset_issued": list(user.reset_issued),
        "charter": None
        if charter is None
        else {"org_name": charter.org_name, "opened_at": charter.opened_at},
        "browser_binding": user.browser_binding,
        "auth_email": None if user.auth_email is None else asdict(user.auth_email),
        "pending_login": None if user.pending_login is None else asdict(user.pending_login),
        "login_link": None if user.login_link is None else asdict(user.login_link),
        "permissions": None
        if user.permissions is None
        else user.permissions.model_dump(mode="json"),
        "otp_code": None if user.otp_code is None else asdict(user.otp_code),
        "otp_issued": list(user.otp_issued),
        "sessions": [{"k": s.key, "h": s.hour, "b": s.begun} for s in user.sessions],
    }


def user_from_document(doc: Document) -> User:
    temporary = doc.get("temporary_password")
    change = doc.get("email_change")
    charter = doc.get("charter")
    return User(
        user_id=doc["user_id"],
        realm=doc["realm"],
        org_id=doc["org_id"],
        login_id=doc["login_id"],
        role=Role(doc["role"]),
        status=UserStatus(doc["status"]),
        profile=UserProfile.model_validate(doc.get("profile") or {}),
        password_hash=doc["password_hash"],
        initial_password_hash=doc["initial_password_hash"],
        must_change_password=bool(doc.get("must_change_password")),
        password_is_temporary=bool(doc.get("password_is_temporary")),
        password_hint=doc.get("password_hint"),
        failures=int(doc.get("failures", 0)),
        locked=bool(doc.get("locked")),
        refused_while_locked=int(doc.get("refused_while_locked", 0)),
        last_login_at=doc.get("last_login_at"),
        readable_org_ids=tuple(doc.get("readable_org_ids") or ()),
        temporary_password=None
        if not temporary or "secret_hash" not in temporary
        else TemporaryPassword(temporary["secret_hash"], temporary["expires_at"]),
        temporary_issued=tuple(doc.get("temporary_issued") or ()),
        email_change=None
        if not change
        else EmailChange(change["token_hash"], change["new_email"], change["expires_at"]),
        password_reset=_optional(PasswordReset, doc.get("password_reset")),
        reset_issued=tuple(doc.get("reset_issued") or ()),
        charter=None if not charter else Charter(charter["org_name"], charter["opened_at"]),
        browser_binding=doc.get("browser_binding"),
        auth_email=_optional(AuthEmail, doc.get("auth_email")),
        pending_login=_optional(PendingLogin, doc.get("pending_login")),
        login_link=_optional(LoginLink, doc.get("login_link")),
        permissions=None
        if not doc.get("permissions")
        else Permissions.model_validate(doc["permissions"]),
        otp_code=_optional(OtpCode, doc.get("otp_code")),
        otp_issued=tuple(doc.get("otp_issued") or ()),
        sessions=tuple(Listed(s["k"], s["h"], s["b"]) for s in doc.get("sessions") or ()),
    )


def _optional(kind: type[T], fields: Document | None) -> T | None:
    """A small value object stored as its fields (``asdict``), or ``None``."""
    return None if not fields else kind(**fields)


def organisation_to_document(org: Organisation) -> Document:
    return {
        "realm": org.realm,
        "org_id": org.org_id,
        "name": org.name,
        "created_at": org.created_at,
        "admin": {"user_id": org.admin_user_id, "login_id": org.admin_login_id},
        "business_user_ids": list(org.business_user_ids),
        "id_requests": [
            {
                "user_id": r.user_id,
                "login_id": r.login_id,
                "profile": r.profile.model_dump(exclude_none=True),
                "requested_by": r.requested_by,
                "requested_at": r.requested_at,
            }
            for r in org.id_requests
        ],
        "otp_enabled": org.otp_enabled,
        "contact": None if org.contact is None else org.contact.model_dump(),
    }


def organisation_from_document(doc: Document) -> Organisation:
    return Organisation(
        realm=doc["realm"],
        org_id=doc["org_id"],
        name=doc["name"],
        created_at=doc["created_at"],
        admin_user_id=doc["admin"]["user_id"],
        admin_login_id=doc["admin"]["login_id"],
        business_user_ids=tuple(doc.get("business_user_ids") or ()),
        id_requests=tuple(
            IdRequest(
                user_id=r["user_id"],
                login_id=r["login_id"],
                profile=UserProfile.model_validate(r.get("profile") or {}),
                requested_by=r["requested_by"],
                requested_at=r["requested_at"],
            )
            for r in doc.get("id_requests") or ()
        ),
        otp_enabled=bool(doc.get("otp_enabled")),
        contact=OrgContact.model_validate(doc["contact"]) if doc.get("contact") else None,
    )


def shadow_slot_to_document(slot: ShadowSlot) -> Document:
    return {
        "realm": slot.realm,
        "slot": slot.slot,
        "counts": [
            {
                "digest": c.digest,
                "failures": c.failures,
                "locked": c.locked,
                "last_attempt_at": c.last_attempt_at,
            }
            for c in slot.counts
        ],
    }


def shadow_slot_from_document(doc: Document) -> ShadowSlot:
    return ShadowSlot(
        realm=doc["realm"],
        slot=int(doc["slot"]),
        counts=tuple(
            ShadowCount(c["digest"], int(c["failures"]), bool(c["locked"]), c["last_attempt_at"])
            for c in doc.get("counts") or ()
        ),
    )


def address_slot_to_document(slot: AddressSlot) -> Document:
    return {
        "realm": slot.realm,
        "slot": slot.slot,
        "activities": [asdict(a) for a in slot.activities],
    }


def address_slot_from_document(doc: Document) -> AddressSlot:
    return AddressSlot(
        realm=doc["realm"],
        slot=int(doc["slot"]),
        activities=tuple(
            Activity(a["digest"], tuple(a.get("accesses") or ()), tuple(a.get("failures") or ()))
            for a in doc.get("activities") or ()
        ),
    )


def trusted_to_document(trusted: TrustedAddresses) -> Document:
    return {
        "realm": trusted.realm,
        "entries": [entry.model_dump(mode="json") for entry in trusted.entries],
    }


def trusted_from_document(doc: Document) -> TrustedAddresses:
    return TrustedAddresses(
        realm=doc["realm"],
        entries=tuple(TrustedNetworkEntry.model_validate(e) for e in doc.get("entries") or ()),
    )


def session_to_document(key: str, session: Session) -> Document:
    return {
        "_id": key,
        "user_id": session.user_id,
        "realm": session.realm,
        "org_id": session.org_id,
        "role": session.role.value,
        "login_id": session.login_id,
        "otp_verified": session.otp_verified,
        "previous_login_at": session.previous_login_at,
        "created_at": session.created_at,
        "last_seen_at": session.last_seen_at,
        "expires_at": session.expires_at,
        "readable_org_ids": list(session.readable_org_ids),
        "pending_steps": list(session.pending_steps),
        "idle_timeout_seconds": int(session.idle_timeout.total_seconds()),
    }


def _idle_timeout(doc: Document) -> timedelta:
    """A session stored before idle timeouts were realm policy has the old constant's."""
    seconds = doc.get("idle_timeout_seconds")
    return IDLE_TIMEOUT if seconds is None else timedelta(seconds=int(seconds))


def session_from_document(doc: Document) -> Session:
    previous: datetime | None = doc.get("previous_login_at")
    return Session(
        user_id=doc["user_id"],
        realm=doc["realm"],
        org_id=doc.get("org_id"),
        role=Role(doc["role"]),
        login_id=doc["login_id"],
        otp_verified=bool(doc.get("otp_verified")),
        previous_login_at=previous,
        created_at=doc["created_at"],
        last_seen_at=doc["last_seen_at"],
        expires_at=doc["expires_at"],
        readable_org_ids=tuple(doc.get("readable_org_ids") or ()),
        pending_steps=tuple(doc.get("pending_steps") or ()),
        idle_timeout=_idle_timeout(doc),
    )
