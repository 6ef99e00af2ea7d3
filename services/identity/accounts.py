"""What an admin does for a business user, and what a user does for themselves: pure rules.

- ``reserve_business_user``: the organisation's limit on business users (ID-USER-01) holds under
  parallel requests because the reservation is a new version of the organisation (X-13).
- ``change_own_password``: the change every user must make after an initial or temporary
  password (ID-PW-03), and may make at any time.
- ``initialise_password``: an admin puts a business user back on its initial password, which
  unlocks it and forces a change (ID-PW-06, ID-LOCK-04).
- ``change_profile`` and ``change_status``: the admin maintains a business user's profile and
  使用状態 (ID-USER-05, -06).
- ``reset_password``: `nexi`'s reset, a new random password mailed to the admin (ID-PW-06).
- ``change_own_login_id`` and ``change_own_phone``: a member's own change screen (ID-USER-08),
  each answered by a completion notice where the realm sends them (ID-PW-07).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts import (
    AccountUnlocked,
    Actor,
    ActorKind,
    PasswordChanged,
    SealedSecret,
    TemporaryPasswordIssued,
    UserProfileChanged,
    UserStatusChanged,
)
from contracts.common import UserProfile
from contracts.envelope import Event
from contracts.identity import (
    PasswordChangeMethod,
    ProfileField,
    RecipientRole,
    TemporaryPasswordReason,
    UnlockReason,
    UserStatus,
)
from servicekit.store import Change, Loaded
from services.identity.domain import envelope_of


def reserve_business_user(
    current: Loaded, user_id: str, limit: int | None, request: dict[str, Any] | None = None
) -> Change[bool]:
    """Add ``user_id`` to the organisation unless that would pass the realm's limit. With a
    ``request`` (ID-USER-10) the slot is held by a request awaiting support's approval."""
    state = current.state
    assert state is not None, "the organisation exists"
    members: list[str] = state.get("business_user_ids", [])
    if user_id in members:
        return Change.nothing(True)  # a retry of the same creation
    if limit is not None and len(members) >= limit:
        return Change.nothing(False)
    new = {**state, "business_user_ids": [*members, user_id], "business_users": len(members) + 1}
    if request is not None:
        new["id_requests"] = {**state.get("id_requests", {}), user_id: request}
    return Change(outcome=True, state=new)


def close_id_request(current: Loaded, user_id: str) -> Change[bool]:
    """The support desk approved the request: the user exists now."""
    state = current.state
    assert state is not None, "the organisation exists"
    pending = state.get("id_requests", {})
    if user_id not in pending:
        return Change.nothing(False)
    rest = {k: v for k, v in pending.items() if k != user_id}
    return Change(outcome=True, state={**state, "id_requests": rest})


def change_own_password(
    current: Loaded,
    verified_hash: str,
    new_hash: str,
    hint: str | None,
    correlation_id: str,
    now: datetime,
    completion_notice: bool = False,
) -> Change[bool]:
    """Replace the password checked against ``verified_hash``; ``False`` if it changed meanwhile."""
    state = _user(current)
    if state["password_hash"] != verified_hash:
        return Change.nothing(False)
    actor = Actor(kind=ActorKind.USER, id=state["user_id"])
    changed = PasswordChanged(
        **_envelope(state, actor, correlation_id, now),
        method=PasswordChangeMethod.SELF,
        must_change=False,
        completion_notice_to=registered_email(state) if completion_notice else None,
    )
    new = {
        **state,
        "password_hash": new_hash,
        "must_change_password": False,
        "password_is_temporary": False,
        "password_hint": hint,
    }
    return Change(outcome=True, state=new, events=[changed])


def registered_email(state: dict[str, Any]) -> str | None:
    """Where a user's own mail goes: the profile's e-mail, if there is one."""
    email = state.get("profile", {}).get("email")
    return str(email) if email else None


def initialise_password(
    current: Loaded, admin: Actor, correlation_id: str, now: datetime
) -> Change[bool]:
    """Back to the initial password: unlocked, counter reset, change forced at next login."""
    state = _user(current)
    return _set_password(
        state,
        state["initial_password_hash"],
        PasswordChangeMethod.INITIALISE,
        UnlockReason.PASSWORD_INITIALISED,
        _envelope(state, admin, correlation_id, now),
    )


def force_password(
    current: Loaded, new_hash: str, admin: Actor, correlation_id: str, now: datetime
) -> Change[bool]:
    """The admin sets a new password (強制変更): unlocked, and the user changes it at next login."""
    state = _user(current)
    return _set_password(
        state,
        new_hash,
        PasswordChangeMethod.FORCE_CHANGE,
        UnlockReason.PASSWORD_FORCE_CHANGED,
        _envelope(state, admin, correlation_id, now),
    )


def _set_password(
    state: dict[str, Any],
    new_hash: str,
    method: PasswordChangeMethod,
    unlock_reason: UnlockReason,
    envelope: dict[str, Any],
) -> Change[bool]:
    """ID-PW-06: every admin password operation unlocks and announces who did it and how."""
    events: list[Event] = [PasswordChanged(**envelope, method=method, must_change=True)]
    if state["locked"]:
        events.append(AccountUnlocked(**envelope, reason=unlock_reason))
    new = {
        **state,
        "password_hash": new_hash,
        "must_change_password": True,
        "failures": 0,
        "locked": False,
    }
    return Change(outcome=True, state=new, events=events)


def _user(current: Loaded) -> dict[str, Any]:
    assert current.state is not None, "the user exists"
    return current.state


def _envelope(
    state: dict[str, Any], actor: Actor, correlation_id: str, now: datetime
) -> dict[str, Any]:
    return envelope_of(
        state["realm"], state["org_id"], state["user_id"], actor, correlation_id, now
    )


def change_profile(
    current: Loaded, profile: UserProfile, admin: Actor, correlation_id: str, now: datetime
) -> Change[bool]:
    """The admin replaces a business user's profile; the event carries the full new profile."""
    state = _user(current)
    old = UserProfile.model_validate(state.get("profile", {}))
    changed = frozenset(
        ProfileField(name)
        for name in ("name", "department", "title", "email", "phone")
        if getattr(old, name) != getattr(profile, name)
    )
    if not changed:
        return Change.nothing(False)
    event = UserProfileChanged(
        **_envelope(state, admin, correlation_id, now),
        login_id=state["login_id"],
        profile=profile,
        changed_fields=changed,
    )
    new = {**state, "profile": profile.model_dump(exclude_none=True)}
    return Change(outcome=True, state=new, events=[event])


def change_status(
    current: Loaded, active: bool, admin: Actor, correlation_id: str, now: datetime
) -> Change[bool]:
    """使用状態 (ID-USER-05): an inactive user cannot log in."""
    state = _user(current)
    status = UserStatus.ACTIVE if active else UserStatus.INACTIVE
    if state["status"] == status.value:
        return Change.nothing(False)
    event = UserStatusChanged(
        **_envelope(state, admin, correlation_id, now),
        status=status,
        previous_status=UserStatus(state["status"]),
    )
    return Change(outcome=True, state={**state, "status": status.value}, events=[event])


def reset_password(
    current: Loaded,
    new_hash: str,
    sealed: SealedSecret,
    recipient_email: str,
    recipient_role: RecipientRole,
    admin: Actor,
    correlation_id: str,
    now: datetime,
) -> Change[bool]:
    """`nexi`'s リセット (ID-PW-06): a new random password, mailed sealed to whoever passes it on,
    that must be changed at the next login; like every admin password operation it unlocks."""
    state = _user(current)
    envelope = _envelope(state, admin, correlation_id, now)
    reset = _set_password(
        state, new_hash, PasswordChangeMethod.RESET, UnlockReason.PASSWORD_RESET, envelope
    )
    mail = TemporaryPasswordIssued(
        **envelope,
        login_id=state["login_id"],
        reason=TemporaryPasswordReason.RESET,
        recipient_role=recipient_role,
        recipient_email=recipient_email,
        sealed_password=sealed,
    )
    return Change(outcome=True, state=reset.state, events=[*reset.events, mail])


def change_own_login_id(
    current: Loaded,
    verified_hash: str,
    new_login_id: str,
    correlation_id: str,
    now: datetime,
    completion_notice: bool = False,
) -> Change[bool]:
    """A member's new login ID (ID-USER-08), once their password was checked against
    ``verified_hash``; ``False`` if the password changed meanwhile. The caller has claimed the
    new ID already and releases the old one after this commit."""
    state = _user(current)
    if state["password_hash"] != verified_hash:
        return Change.nothing(False)
    if state["login_id"] == new_login_id:
        return Change.nothing(True)
    new = {**state, "login_id": new_login_id}
    return _own_profile_change(
        state, new, ProfileField.LOGIN_ID, correlation_id, now, completion_notice
    )


def change_own_phone(
    current: Loaded, phone: str, correlation_id: str, now: datetime, completion_notice: bool = False
) -> Change[bool]:
    """A member's new phone number (ID-USER-08)."""
    state = _user(current)
    profile = UserProfile.model_validate(state.get("profile", {}))
    if profile.phone == phone:
        return Change.nothing(True)
    changed = profile.model_copy(update={"phone": phone})
    new = {**state, "profile": changed.model_dump(exclude_none=True)}
    return _own_profile_change(
        state, new, ProfileField.PHONE, correlation_id, now, completion_notice
    )


def _own_profile_change(
    old: dict[str, Any],
    new: dict[str, Any],
    field: ProfileField,
    correlation_id: str,
    now: datetime,
    completion_notice: bool,
) -> Change[bool]:
    """One ``UserProfileChanged`` with the full new profile, and its completion notice."""
    actor = Actor(kind=ActorKind.USER, id=old["user_id"])
    event = UserProfileChanged(
        **_envelope(old, actor, correlation_id, now),
        login_id=new["login_id"],
        profile=UserProfile.model_validate(new.get("profile", {})),
        changed_fields=frozenset({field}),
        completion_notice_to=registered_email(new) if completion_notice else None,
    )
    return Change(outcome=True, state=new, events=[event])
