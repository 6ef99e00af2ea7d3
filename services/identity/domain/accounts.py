"""What an admin does for a business user, and support for an admin or a member: pure rules.

- ``initialise_password``: back to the initial password, which unlocks and forces a change
  (ID-PW-06, ID-LOCK-04).
- ``force_password``: the admin sets a new password (強制変更), with the same effects.
- ``reset_password``: `nexi`'s reset, a new random password mailed to whoever passes it on.
- ``change_profile`` and ``change_status``: the profile and 使用状態 (ID-USER-05, -06).
- ``lock`` and ``unlock``: support locks an admin on purpose, or unlocks it and nothing else
  (ID-LOCK-04), the password untouched.

Each password operation, each change of an address that receives links or codes, and each
deactivation also ends the user's sessions (ID-SESS-01, -03; ``credentials``): its event is in
the same commit, and the session reaper that the outbox relay runs on it ends every session
that began before it, so a crash after the commit cannot leave one open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts import (
    AccountLocked,
    AccountUnlocked,
    Actor,
    AuthEmailReset,
    BrowserBindingReset,
    PasswordChanged,
    SealedSecret,
    TemporaryPasswordIssued,
    UserProfileChanged,
    UserStatusChanged,
)
from contracts.common import UserProfile
from contracts.envelope import Event
from contracts.identity import (
    LockReason,
    PasswordChangeMethod,
    ProfileField,
    RecipientRole,
    TemporaryPasswordReason,
    UnlockReason,
    UserStatus,
)
from domainkit.decision import Decision
from services.identity.domain.users import User

PROFILE_FIELDS = ("name", "department", "title", "email", "phone")


def initialise_password(
    user: User, admin: Actor, correlation_id: str, now: datetime
) -> Decision[User, bool]:
    """Back to the initial password: unlocked, counter reset, change forced at next login."""
    return _set_password(
        user,
        user.initial_password_hash,
        PasswordChangeMethod.INITIALISE,
        UnlockReason.PASSWORD_INITIALISED,
        user.envelope(admin, correlation_id, now),
    )


def force_password(
    user: User, new_hash: str, admin: Actor, correlation_id: str, now: datetime
) -> Decision[User, bool]:
    """The admin sets a new password (強制変更): unlocked, and the user changes it at next login."""
    return _set_password(
        user,
        new_hash,
        PasswordChangeMethod.FORCE_CHANGE,
        UnlockReason.PASSWORD_FORCE_CHANGED,
        user.envelope(admin, correlation_id, now),
    )


def _set_password(
    user: User,
    new_hash: str,
    method: PasswordChangeMethod,
    unlock_reason: UnlockReason,
    fields: dict[str, Any],
) -> Decision[User, bool]:
    """ID-PW-06: every admin password operation unlocks and announces who did it and how."""
    events: list[Event] = [PasswordChanged(**fields, method=method, must_change=True)]
    if user.locked:
        events.append(AccountUnlocked(**fields, reason=unlock_reason))
    new = user.but(
        password_hash=new_hash,
        must_change_password=True,
        password_is_temporary=False,
        temporary_password=None,
        failures=0,
        locked=False,
    )
    return Decision(True, new, tuple(events))


def reset_password(
    user: User,
    new_hash: str,
    sealed: SealedSecret,
    recipient_email: str,
    recipient_role: RecipientRole,
    admin: Actor,
    correlation_id: str,
    now: datetime,
) -> Decision[User, bool]:
    """`nexi`'s リセット (ID-PW-06): a new random password, mailed sealed to whoever passes it on,
    that must be changed at the next login; like every admin password operation it unlocks."""
    fields = user.envelope(admin, correlation_id, now)
    reset = _set_password(
        user, new_hash, PasswordChangeMethod.RESET, UnlockReason.PASSWORD_RESET, fields
    )
    mail = TemporaryPasswordIssued(
        **fields,
        login_id=user.login_id,
        reason=TemporaryPasswordReason.RESET,
        recipient_role=recipient_role,
        recipient_email=recipient_email,
        sealed_password=sealed,
    )
    return Decision(True, reset.state, (*reset.events, mail))


def change_profile(
    user: User, profile: UserProfile, admin: Actor, correlation_id: str, now: datetime
) -> Decision[User, bool]:
    """The admin replaces a business user's profile; the event carries the full new profile."""
    changed = frozenset(
        ProfileField(name)
        for name in PROFILE_FIELDS
        if getattr(user.profile, name) != getattr(profile, name)
    )
    if not changed:
        return Decision.nothing(False)
    event = UserProfileChanged(
        **user.envelope(admin, correlation_id, now),
        login_id=user.login_id,
        profile=profile,
        changed_fields=changed,
    )
    return Decision.commit(True, user.but(profile=profile), event)


def change_status(
    user: User, active: bool, admin: Actor, correlation_id: str, now: datetime
) -> Decision[User, bool]:
    """使用状態 (ID-USER-05): an inactive user cannot log in, and its sessions end."""
    status = UserStatus.ACTIVE if active else UserStatus.INACTIVE
    if user.status is status:
        return Decision.nothing(False)
    event = UserStatusChanged(
        **user.envelope(admin, correlation_id, now), status=status, previous_status=user.status
    )
    return Decision.commit(True, user.but(status=status), event)


def reset_browser(
    user: User, admin: Actor, correlation_id: str, now: datetime, note: str | None = None
) -> Decision[User, bool]:
    """ブラウザ情報初期化 (ID-BIND-03): the next completed login registers its browser."""
    reset = BrowserBindingReset(**user.envelope(admin, correlation_id, now), note=note)
    return Decision.commit(True, user.but(browser_binding=None), reset)


def reset_auth_email(
    user: User, admin: Actor, correlation_id: str, now: datetime, note: str | None = None
) -> Decision[User, bool]:
    """メール認証用アドレス初期化 (ID-MAIL-04): the user registers a new one at next login; a
    pending login's link goes with it."""
    reset = AuthEmailReset(**user.envelope(admin, correlation_id, now), note=note)
    return Decision.commit(True, user.but(auth_email=None, login_link=None), reset)


def lock(
    user: User, admin: Actor, correlation_id: str, now: datetime, note: str | None = None
) -> Decision[User, bool]:
    """An account locked on purpose (ID-LOCK-04): refused at the login's step 4 like a lock
    of failures, until it is unlocked; its sessions end. Locking a locked one changes nothing."""
    if user.locked:
        return Decision.nothing(False)
    event = AccountLocked(
        **user.envelope(admin, correlation_id, now), reason=LockReason.ADMINISTRATIVE, note=note
    )
    return Decision.commit(True, user.but(locked=True), event)


def unlock(
    user: User, admin: Actor, correlation_id: str, now: datetime, note: str | None = None
) -> Decision[User, bool]:
    """ロック解除 (ID-LOCK-04): unlocked and the count reset, the password as it was. Unlocking
    an account that is not locked changes nothing."""
    if not user.locked:
        return Decision.nothing(False)
    event = AccountUnlocked(
        **user.envelope(admin, correlation_id, now), reason=UnlockReason.UNLOCK, note=note
    )
    return Decision.commit(True, user.but(locked=False, failures=0), event)
