"""A self-signed-up member (EN-05, EN-08): identity's part of enroll's sign-up saga. Pure.

Enroll hands identity the sign-up's credential at its start (the one synchronous call); identity
*holds* it, hashed, as no user: nobody can log in with it, no login ID is claimed. When enroll
announces the sign-up eligible, the held credential becomes a member, whose user id is the
sign-up id (so a repeat makes no second member), with the password the person chose (no forced
change). If it cannot (the address became another member's, or the hold was forgotten), the
sign-up's refusal is committed once with ``MemberEnrolmentRefused``, and enroll frees the
person to start again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts import Actor, ActorKind, MemberEnrolmentRefused, UserCreated
from contracts.common import Role, UserProfile
from contracts.identity import EnrolmentRefusal, UserStatus
from domainkit.decision import Decision, envelope
from services.identity.domain.users import User

ENROLL = Actor(kind=ActorKind.SERVICE, id="enroll")


@dataclass(frozen=True)
class Held:
    """A credential held for a sign-up until eligibility is announced."""

    realm: str
    signup_id: str
    login_id: str
    password_hash: str | None
    """``None`` once the member exists: the hash lives in the user, nowhere else (X-14)."""
    expires_at: datetime


@dataclass(frozen=True)
class Eligible:
    """Enroll's ``EligibilityChecked`` (eligible) for a sign-up, as the command it is."""

    realm: str
    signup_id: str
    event_id: str
    correlation_id: str


def enrol(current: User | None, held: Held, cmd: Eligible, now: datetime) -> Decision[User, bool]:
    """The member, with the password chosen at sign-up (EN-05); answers whether it is new."""
    if current is not None or held.password_hash is None:
        return Decision.nothing(False)
    member = User(
        user_id=cmd.signup_id,
        realm=cmd.realm,
        org_id=None,
        login_id=held.login_id,
        role=Role.MEMBER,
        status=UserStatus.ACTIVE,
        profile=UserProfile(email=held.login_id),
        password_hash=held.password_hash,
        initial_password_hash=held.password_hash,
        must_change_password=False,
    )
    fields = member.envelope(ENROLL, cmd.correlation_id, now) | {"causation_id": cmd.event_id}
    created = UserCreated(
        **fields, login_id=member.login_id, role=member.role, profile=member.profile
    )
    return Decision.commit(True, member, created)


@dataclass(frozen=True)
class Refused:
    """A sign-up identity made no member for: the state that records it once."""

    reason: EnrolmentRefusal


def refuse(
    current: Refused | None, cmd: Eligible, reason: EnrolmentRefusal, now: datetime
) -> Decision[Refused, bool]:
    if current is not None:
        return Decision.nothing(False)
    fields = envelope(cmd.realm, None, cmd.signup_id, Actor.system(), cmd.correlation_id, now)
    refused = MemberEnrolmentRefused(**fields | {"causation_id": cmd.event_id}, reason=reason)
    return Decision.commit(True, Refused(reason), refused)
