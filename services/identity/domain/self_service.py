"""What a person does for their own account: pure rules.

- ``change_own_password``: the change every user must make after an initial or temporary
  password (ID-PW-03), and may make at any time.
- ``change_own_login_id`` and ``change_own_phone``: a member's own change screen (ID-USER-08).

Each is answered by a completion notice where the realm sends them (ID-PW-07). A change that
is confirmed with the password is decided against the hash the password was checked against:
if the password changed meanwhile, the caller checks again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from contracts import PasswordChanged, UserProfileChanged
from contracts.identity import PasswordChangeMethod, ProfileField
from domainkit.decision import Decision
from services.identity.domain import login_link as login_link_rules
from services.identity.domain.attempts import NewLink
from services.identity.domain.users import User


@dataclass(frozen=True)
class Rotation:
    """A session that changes a credential is rotated (ID-SESS-03): its id before and after,
    as ``session_ref``s."""

    old_ref: str
    new_ref: str


def change_own_password(
    user: User,
    verified_hash: str,
    new_hash: str,
    hint: str | None,
    correlation_id: str,
    now: datetime,
    completion_notice: bool = False,
    login_link: NewLink | None = None,
    rotation: Rotation | None = None,
) -> Decision[User, bool]:
    """Replace the password checked against ``verified_hash``; ``False`` if it changed meanwhile.
    The session that changed it is ``rotation``'s: if it is the user's pending login, the
    pending login moves to the session's new id, and goes on: with ``login_link`` it reaches
    step 9 if it can. A correct current password restarts the failure count (ID-LOCK-02)."""
    if user.password_hash != verified_hash:
        return Decision.nothing(False)
    fields = user.envelope(user.as_actor, correlation_id, now)
    changed = PasswordChanged(
        **fields,
        method=PasswordChangeMethod.SELF,
        must_change=False,
        completion_notice_to=user.registered_email if completion_notice else None,
    )
    new = user.but(
        password_hash=new_hash,
        must_change_password=False,
        password_is_temporary=False,
        password_hint=hint,
        failures=0,
    )
    if rotation is not None:
        new = _renamed(new, rotation)
    reached = login_link_rules.reach(new, login_link, fields, now)
    return Decision(True, reached.state or new, (changed, *reached.events))


def _renamed(user: User, rotation: Rotation) -> User:
    """The user's pending login, and the login link bound to it (followed or not), go on with
    the rotated session: it is the same login in the same browser, under a new id."""
    pending, link = user.pending_login, user.login_link
    if pending is not None and pending.session_ref == rotation.old_ref:
        user = user.but(pending_login=replace(pending, session_ref=rotation.new_ref))
    if link is not None and link.session_ref == rotation.old_ref:
        user = user.but(login_link=replace(link, session_ref=rotation.new_ref))
    return user


def change_own_login_id(
    user: User,
    verified_hash: str,
    new_login_id: str,
    correlation_id: str,
    now: datetime,
    completion_notice: bool = False,
) -> Decision[User, bool]:
    """A member's new login ID (ID-USER-08), once their password was checked against
    ``verified_hash``; ``False`` if the password changed meanwhile. The caller has claimed the
    new ID already and releases the old one after this commit."""
    if user.password_hash != verified_hash:
        return Decision.nothing(False)
    if user.login_id == new_login_id:
        return Decision.nothing(True)
    return _own_change(
        user,
        user.but(login_id=new_login_id, failures=0),
        ProfileField.LOGIN_ID,
        correlation_id,
        now,
        completion_notice,
    )


def change_own_phone(
    user: User, phone: str, correlation_id: str, now: datetime, completion_notice: bool = False
) -> Decision[User, bool]:
    """A member's new phone number (ID-USER-08)."""
    if user.profile.phone == phone:
        return Decision.nothing(True)
    new = user.but(profile=user.profile.model_copy(update={"phone": phone}))
    return _own_change(user, new, ProfileField.PHONE, correlation_id, now, completion_notice)


def _own_change(
    old: User,
    new: User,
    field: ProfileField,
    correlation_id: str,
    now: datetime,
    completion_notice: bool,
) -> Decision[User, bool]:
    """One ``UserProfileChanged`` with the full new profile, and its completion notice."""
    event = UserProfileChanged(
        **old.envelope(old.as_actor, correlation_id, now),
        login_id=new.login_id,
        profile=new.profile,
        changed_fields=frozenset({field}),
        completion_notice_to=new.registered_email if completion_notice else None,
    )
    return Decision.commit(True, new, event)
