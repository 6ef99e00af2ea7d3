"""The identity domain: pure rules, no I/O.

An organisation (団体/法人) belongs to a realm and is created with its one admin (管理用ID,
ID-USER-01). Decisions are pure functions of the current state, a command and the time, so the
versioned store can run them again after losing a race (X-13).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts import Actor, InitialPasswordIssued, SealedSecret, UserCreated
from contracts.common import Role, UserProfile
from contracts.identity import InitialPasswordRoute
from servicekit.store import Change, Loaded

#: Login IDs and passwords are half-width printable ASCII (X-06).
HALF_WIDTH = re.compile(r"^[\x21-\x7e]+$")
HALF_WIDTH_LOGIN_ID = re.compile(r"^[\x21-\x7e]{1,254}$")


def is_half_width(text: str) -> bool:
    return bool(HALF_WIDTH.match(text))


def org_aggregate_id(realm: str, org_id: str) -> str:
    return f"org:{realm}:{org_id}"


def user_aggregate_id(realm: str, user_id: str) -> str:
    return f"user:{realm}:{user_id}"


def login_id_fact(realm: str, login_id: str) -> str:
    """Login IDs are unique within a realm, compared exactly (X-06)."""
    return f"login:{realm}:{login_id}"


@dataclass(frozen=True)
class CreateOrganisation:
    realm: str
    org_id: str
    name: str
    admin_user_id: str
    admin_login_id: str
    admin_profile: UserProfile
    admin_password_hash: str
    actor: Actor
    correlation_id: str


@dataclass(frozen=True)
class Organisation:
    """What a caller learns about an organisation; also the answer to a repeated create."""

    realm: str
    org_id: str
    name: str
    admin_user_id: str
    admin_login_id: str
    created_at: datetime

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Organisation:
        return cls(
            realm=state["realm"],
            org_id=state["org_id"],
            name=state["name"],
            admin_user_id=state["admin"]["user_id"],
            admin_login_id=state["admin"]["login_id"],
            created_at=state["created_at"],
        )


@dataclass(frozen=True)
class NewUser:
    realm: str
    org_id: str | None
    user_id: str
    login_id: str
    role: Role
    profile: UserProfile
    password_hash: str
    actor: Actor
    correlation_id: str
    readable_org_ids: tuple[str, ...] = ()
    delivery: PasswordNotice | None = None
    """How the initial password reaches the user; ``None``: answered once by the API."""


@dataclass(frozen=True)
class PasswordNotice:
    """The password-notice mail (ID-PW-03, NT-06): to whom, sealed for notify."""

    route: InitialPasswordRoute
    recipient_email: str
    sealed_password: SealedSecret
    attachment_password: SealedSecret | None = None


def create_user(current: Loaded, cmd: NewUser, now: datetime) -> Change[bool]:
    """A user with an initial password that must be changed at the first login (ID-PW-03).

    Returns whether it is new: creating the same user again changes nothing.
    """
    if current.state is not None:
        return Change.nothing(False)
    state = {
        "user_id": cmd.user_id,
        "realm": cmd.realm,
        "org_id": cmd.org_id,
        "login_id": cmd.login_id,
        "role": cmd.role.value,
        "status": "active",
        "profile": cmd.profile.model_dump(exclude_none=True),
        "password_hash": cmd.password_hash,
        "initial_password_hash": cmd.password_hash,
        "must_change_password": True,
        "failures": 0,
        "locked": False,
        "last_login_at": None,
        "readable_org_ids": list(cmd.readable_org_ids),
    }
    envelope = envelope_of(cmd.realm, cmd.org_id, cmd.user_id, cmd.actor, cmd.correlation_id, now)
    events = [
        UserCreated(**envelope, login_id=cmd.login_id, role=cmd.role, profile=cmd.profile),
        _initial_password_issued(envelope, cmd),
    ]
    return Change(outcome=True, state=state, events=events)


def _initial_password_issued(envelope: dict[str, Any], cmd: NewUser) -> InitialPasswordIssued:
    if cmd.delivery is None:  # answered once by the API: nothing secret on the bus
        return InitialPasswordIssued(
            **envelope, login_id=cmd.login_id, route=InitialPasswordRoute.OUT_OF_BAND
        )
    return InitialPasswordIssued(
        **envelope,
        login_id=cmd.login_id,
        route=cmd.delivery.route,
        recipient_email=cmd.delivery.recipient_email,
        sealed_password=cmd.delivery.sealed_password,
        attachment_password=cmd.delivery.attachment_password,
    )


def admin_of(cmd: CreateOrganisation) -> NewUser:
    """The organisation's one admin (ID-USER-01)."""
    return NewUser(
        realm=cmd.realm,
        org_id=cmd.org_id,
        user_id=cmd.admin_user_id,
        login_id=cmd.admin_login_id,
        role=Role.ADMIN,
        profile=cmd.admin_profile,
        password_hash=cmd.admin_password_hash,
        actor=cmd.actor,
        correlation_id=cmd.correlation_id,
    )


def may_manage(
    role: str, realm: str, org_id: str | None, restricted: bool, target: dict[str, Any]
) -> bool:
    """Who may do admin operations on whom: an organisation's admin on its business users
    (ID-USER-01), and the realm's support desk on organisations' admins (ID-USER-04) and on
    individual members, who have no admin of their own (ID-USER-03)."""
    if restricted or realm != target["realm"]:
        return False
    if role == Role.ADMIN.value:
        return bool(target["role"] == Role.BUSINESS.value and org_id == target["org_id"])
    return role == Role.SUPPORT.value and target["role"] in (Role.ADMIN.value, Role.MEMBER.value)


def may_read(
    role: str,
    realm: str,
    org_id: str | None,
    restricted: bool,
    readable_org_ids: list[str],
    target_realm: str,
    target_org_id: str,
) -> bool:
    """Who may read an organisation's users: its admin, the realm's support desk, and a
    group-wide read-only ID of its corporate group (ID-USER-09)."""
    if restricted or realm != target_realm:
        return False
    if role == Role.ADMIN.value:
        return org_id == target_org_id
    if role == Role.GROUP_READER.value:
        return target_org_id in readable_org_ids
    return role == Role.SUPPORT.value


def envelope_of(
    realm: str,
    org_id: str | None,
    subject_id: str,
    actor: Actor,
    correlation_id: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "occurred_at": now,
        "realm": realm,
        "org_id": org_id,
        "subject_id": subject_id,
        "actor": actor,
        "correlation_id": correlation_id,
    }


def create_organisation(
    current: Loaded, cmd: CreateOrganisation, now: datetime
) -> Change[Organisation]:
    """A new organisation naming its admin; creating the same organisation again changes nothing."""
    if current.state is not None:
        return Change.nothing(Organisation.from_state(current.state))
    state = {
        "realm": cmd.realm,
        "org_id": cmd.org_id,
        "name": cmd.name,
        "created_at": now,
        "admin": {"user_id": cmd.admin_user_id, "login_id": cmd.admin_login_id},
        "business_users": 0,
    }
    return Change(outcome=Organisation.from_state(state), state=state)
