"""Identity's events about logging in: attempts, locks, the browser binding, sessions."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, StringConstraints

from contracts.common import (
    IpAddress,
    LoginId,
    Note,
    UserAgent,
    UtcDatetime,
)
from contracts.envelope import IdentityEvent

SessionRef = Annotated[str, StringConstraints(min_length=1, max_length=128)]
"""Names a session in events and logs without being its id: the session id in the cookie is a
bearer secret (X-11), so identity derives this reference one-way from it."""


# --- login, lockout --------------------------------------------------------------------------


class LoginFailureReason(StrEnum):
    """Why a login failed, for the platform's eyes only.

    The client is never told more than section 7's code; in particular ``unknown_login_id`` is
    answered exactly like ``invalid_credentials`` (ID-LOGIN-01 step 3, ID-LOGIN-02).
    """

    INVALID_CREDENTIALS = "invalid_credentials"
    UNKNOWN_LOGIN_ID = "unknown_login_id"
    ACCOUNT_LOCKED = "account_locked"
    ACCOUNT_DISABLED = "account_disabled"
    BROWSER_MISMATCH = "browser_mismatch"
    CHALLENGE_FAILED = "challenge_failed"


class LoginChannel(StrEnum):
    """What a login came from, as identity could tell (EN-09)."""

    BROWSER = "browser"
    """A browser, or any client that did not prove to be the app: the challenge applies."""
    APP = "app"
    """The realm's app, proved by the client credential the realm issued to it (kencom: the
    app skips the challenge, seed 003 【参考】)."""


class LoginSucceeded(IdentityEvent):
    """A login completed and a session was issued (ID-LOGIN-01 step 10)."""

    type: Literal["LoginSucceeded"] = "LoginSucceeded"
    version: Literal[1] = 1
    login_id: LoginId
    ip: IpAddress | None = None
    user_agent: UserAgent | None = None
    previous_login_at: UtcDatetime | None = None
    """The previous successful login (前回ログイン日時, ID-LOGIN-04); ``None`` on the first."""
    channel: LoginChannel | None = None
    """``app`` when the realm's app credential came with the login (EN-09)."""


class LoginFailed(IdentityEvent):
    """A login attempt failed (ID-LOGIN-02).

    For an unknown login ID, ``subject_id`` is the shadow subject that identity counts on
    (ID-LOGIN-01 step 3) and ``login_id`` is what was typed.
    """

    type: Literal["LoginFailed"] = "LoginFailed"
    version: Literal[1] = 1
    login_id: LoginId
    reason: LoginFailureReason
    consecutive_failures: Annotated[int, Field(ge=0)]
    """The lockout count after this attempt (0 when the reason does not count, e.g. browser)."""
    ip: IpAddress | None = None
    user_agent: UserAgent | None = None
    channel: LoginChannel | None = None
    """``app`` when the realm's app credential came with the login (EN-09)."""


class LockReason(StrEnum):
    """Why an account was locked."""

    CONSECUTIVE_FAILURES = "consecutive_failures"
    """The realm's threshold of consecutive wrong passwords was reached (ID-LOCK-01)."""
    ADMINISTRATIVE = "administrative"
    """An admin or support locked it on purpose."""


class AccountLocked(IdentityEvent):
    """An account was locked; ``actor`` says who (the system, for failures) (ID-LOCK-04)."""

    type: Literal["AccountLocked"] = "AccountLocked"
    version: Literal[1] = 1
    reason: LockReason
    consecutive_failures: Annotated[int, Field(ge=1)] | None = None
    ip: IpAddress | None = None
    """Where the locking attempt came from, for the ops stream (AU-05)."""
    user_agent: UserAgent | None = None
    note: Note | None = None


class UnlockReason(StrEnum):
    """Why an account was unlocked (ID-LOCK-04, ID-PW-06)."""

    UNLOCK = "unlock"
    """An admin (or support, for an admin) unlocked it and nothing else."""
    # Enum values that name events, not secrets: S105 misreads "PASSWORD" in the names.
    PASSWORD_INITIALISED = "password_initialised"  # noqa: S105
    PASSWORD_FORCE_CHANGED = "password_force_changed"  # noqa: S105
    PASSWORD_RESET = "password_reset"  # noqa: S105
    PASSWORD_RESET_LINK = "password_reset_link"  # noqa: S105
    """The user set a new password through a mailed reset link (ID-PW-08)."""


class AccountUnlocked(IdentityEvent):
    """An account was unlocked; ``actor`` names who, ``reason`` and ``note`` say why."""

    type: Literal["AccountUnlocked"] = "AccountUnlocked"
    version: Literal[1] = 1
    reason: UnlockReason
    note: Note | None = None


class PasswordCheckPurpose(StrEnum):
    """What a session confirmed with its current password (ID-LOCK-05)."""

    PASSWORD_CHANGE = "password_change"  # noqa: S105 - names an operation, not a secret
    LOGIN_ID_CHANGE = "login_id_change"
    EMAIL_CHANGE = "email_change"


class CurrentPasswordRejected(IdentityEvent):
    """A session's check of its user's current password failed (ID-LOCK-05): it counts toward
    the lock as a failed login does, so a session left open cannot guess the password online.
    ``AccountLocked`` follows in the same commit when it reaches the threshold."""

    type: Literal["CurrentPasswordRejected"] = "CurrentPasswordRejected"
    version: Literal[1] = 1
    purpose: PasswordCheckPurpose
    consecutive_failures: Annotated[int, Field(ge=1)]
    session_ref: SessionRef
    locked: bool = False
    """This failure reached the threshold: the account is locked, and every session of the
    user ends (a session guessing its password is not one to keep)."""
    ip: IpAddress | None = None
    user_agent: UserAgent | None = None


# --- bot defence ----------------------------------------------------------------------------


class TrustedNetworkEntry(BaseModel):
    """Networks whose logins skip the challenge until their failure limit (ID-BOT-03), and the
    organisation (a union, 健保組合) they were registered for."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_attribute_docstrings=True)

    organisation: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    networks: Annotated[tuple[IPvAnyNetwork, ...], Field(min_length=1, max_length=20)]


class TrustedAddressesChanged(IdentityEvent):
    """The realm's support desk replaced the list of trusted networks (ID-BOT-03); the event
    carries the whole new list. ``subject_id`` is ``realm:<realm>``."""

    type: Literal["TrustedAddressesChanged"] = "TrustedAddressesChanged"
    version: Literal[1] = 1
    entries: Annotated[tuple[TrustedNetworkEntry, ...], Field(max_length=100)]


# --- browser binding -------------------------------------------------------------------------


class BrowserRegistered(IdentityEvent):
    """A browser was bound to the user on a completed login (ID-BIND-01). The binding cookie
    never travels: it is a bearer secret, stored as a hash by identity."""

    type: Literal["BrowserRegistered"] = "BrowserRegistered"
    version: Literal[1] = 1
    ip: IpAddress | None = None
    user_agent: UserAgent | None = None


class BrowserBindingReset(IdentityEvent):
    """The browser binding was reset; the next completed login binds anew (ID-BIND-03)."""

    type: Literal["BrowserBindingReset"] = "BrowserBindingReset"
    version: Literal[1] = 1
    note: Note | None = None


# --- sessions --------------------------------------------------------------------------------


class SessionStarted(IdentityEvent):
    """A session was issued (ID-SESS-01)."""

    type: Literal["SessionStarted"] = "SessionStarted"
    version: Literal[1] = 1
    session_ref: SessionRef
    restricted: bool = False
    """Only the password change is allowed (ID-LOGIN-01 step 7)."""
    idle_timeout_seconds: Annotated[int, Field(gt=0)]
    expires_at: UtcDatetime
    """The absolute end of the session."""
    ip: IpAddress | None = None
    user_agent: UserAgent | None = None


class SessionEndReason(StrEnum):
    """Why a session ended (ID-SESS-01)."""

    LOGOUT = "logout"
    IDLE_TIMEOUT = "idle_timeout"
    ABSOLUTE_TIMEOUT = "absolute_timeout"
    ROTATED = "rotated"
    """Re-authentication issued a new session id."""
    USER_DISABLED = "user_disabled"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - names a reason, not a secret
    """An admin/support password reset ends all of the user's sessions."""


class SessionEnded(IdentityEvent):
    """A session ended."""

    type: Literal["SessionEnded"] = "SessionEnded"
    version: Literal[1] = 1
    session_ref: SessionRef
    reason: SessionEndReason
