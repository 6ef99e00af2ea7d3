"""Events of the identity service, on topic ``identity.events`` (SPEC section 2).

Unless an event says otherwise, ``subject_id`` is the internal user id, so one user's story
(created, failed, locked, unlocked, password changed...) stays in order on one partition.

Two habits hold throughout:

* No secret in clear (X-02). What notify must put into a mail (a password, a link, a code)
  travels as a :class:`~contracts.sealed.SealedSecret`; session ids and binding cookies never
  travel at all (a ``session_ref`` names a session without being able to act as one).
* Events that need a mail carry the recipient address. Notify then needs no copy of user data,
  and the mail goes where the address was when the event happened.

Renamed from the issue's list:

* ``LinkIssued`` → ``EmailLinkIssued`` because three flows mail a one-time link with the same
  shape and rules (ID-MAIL-01 e-mail-auth address confirmation, 60 min; ID-MAIL-02 login link,
  10 min; ID-EMAIL-01 e-mail change confirmation, 24 h). One event with a ``purpose`` field
  keeps the secret-handling in one place; "Link" alone did not say that it is mailed, and
  "LoginLink" would misname two of the three purposes.
* ``LinkConsumed`` → ``EmailLinkConsumed`` to match.

The other names are the issue's. Where the issue listed a flow but the contract splits it,
the split is deliberate: ``PasswordChanged`` records *that* the password changed (no secret),
while ``InitialPasswordIssued`` / ``TemporaryPasswordIssued`` carry the sealed password for
the mail. A `nexi` reset (ID-PW-06) therefore emits ``PasswordChanged(method="reset")`` and
``TemporaryPasswordIssued(reason="reset", recipient_role="admin")``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, field_serializer, model_validator

from contracts.common import (
    EmailAddress,
    Identifier,
    IpAddress,
    LoginId,
    Note,
    Role,
    UserAgent,
    UserProfile,
    UtcDatetime,
)
from contracts.envelope import IdentityEvent
from contracts.permissions import Permissions
from contracts.sealed import SealedSecret

__all__ = [
    "AccountLocked",
    "AccountUnlocked",
    "AuthEmailConfirmed",
    "AuthEmailReset",
    "BrowserBindingReset",
    "BrowserRegistered",
    "EmailChangeRequested",
    "EmailChanged",
    "EmailLinkConsumed",
    "EmailLinkIssued",
    "InitialPasswordIssued",
    "InitialPasswordRoute",
    "LinkPurpose",
    "LockReason",
    "LoginFailed",
    "LoginFailureReason",
    "LoginSucceeded",
    "OperationCode",
    "OperationPerformed",
    "OtpIssued",
    "OtpPolicyChanged",
    "OtpVerified",
    "OtpVoidReason",
    "OtpVoided",
    "PasswordChangeMethod",
    "PasswordChanged",
    "PermissionsChanged",
    "ProfileField",
    "RecipientRole",
    "SessionEndReason",
    "SessionEnded",
    "SessionRef",
    "SessionStarted",
    "TemporaryPasswordIssued",
    "TemporaryPasswordReason",
    "UnlockReason",
    "UserCreated",
    "UserProfileChanged",
    "UserStatus",
    "UserStatusChanged",
]

SessionRef = Annotated[str, StringConstraints(min_length=1, max_length=128)]
"""Names a session in events and logs without being its id: the session id in the cookie is a
bearer secret (X-11), so identity derives this reference one-way from it."""

OperationCode = Annotated[
    str, StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z]+(-[0-9A-Za-z]+)*$")
]
"""An operation's catalogue code as in seed 004, e.g. ``1-2`` for パスワード変更 (AU-02). Public,
not a secret: it names a kind of operation."""


# --- users -----------------------------------------------------------------------------------


class UserStatus(StrEnum):
    """使用状態 (ID-USER-05): an inactive user cannot log in."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class ProfileField(StrEnum):
    """The parts of a profile a change can touch (login ID included: ID-USER-08)."""

    LOGIN_ID = "login_id"
    NAME = "name"
    DEPARTMENT = "department"
    TITLE = "title"
    EMAIL = "email"
    PHONE = "phone"


class UserCreated(IdentityEvent):
    """A user was created: an organisation's admin with the organisation, a business user by
    the admin, a member by enrolment, a support operator (ID-USER-01, -03, -04, -09)."""

    type: Literal["UserCreated"] = "UserCreated"
    version: Literal[1] = 1
    login_id: LoginId
    role: Role
    profile: UserProfile
    status: UserStatus = UserStatus.ACTIVE
    permissions: Permissions | None = None
    """The business user's permissions at creation (`nexi`, ID-PERM-01), if the realm has them."""


class UserProfileChanged(IdentityEvent):
    """A profile changed; carries the *full new* profile (ID-USER-06), not a patch, so audit
    knows the profile as it was at each moment (AU-01) from this one event."""

    type: Literal["UserProfileChanged"] = "UserProfileChanged"
    version: Literal[1] = 1
    login_id: LoginId
    """The login ID after the change (members may change it, ID-USER-08)."""
    profile: UserProfile
    changed_fields: Annotated[frozenset[ProfileField], Field(min_length=1)]
    completion_notice_to: EmailAddress | None = None
    """Where the completion mail goes (ID-PW-07, `mypage`); ``None`` when the realm sends none."""

    @field_serializer("changed_fields")
    def _sorted_fields(self, value: frozenset[ProfileField]) -> list[str]:
        """Sorted, so the same event always serialises to the same bytes."""
        return sorted(value)


class UserStatusChanged(IdentityEvent):
    """A user was made active or inactive (ID-USER-05); deactivation also ends sessions."""

    type: Literal["UserStatusChanged"] = "UserStatusChanged"
    version: Literal[1] = 1
    status: UserStatus
    previous_status: UserStatus
    note: Note | None = None


class PermissionsChanged(IdentityEvent):
    """A business user's permissions were set anew by the admin (ID-PERM-01); full new set."""

    type: Literal["PermissionsChanged"] = "PermissionsChanged"
    version: Literal[1] = 1
    permissions: Permissions


class OtpPolicyChanged(IdentityEvent):
    """The admin turned the organisation's OTP step-up on or off (ID-OTP-01).

    ``subject_id`` is the organisation id here: the policy belongs to the organisation.
    """

    type: Literal["OtpPolicyChanged"] = "OtpPolicyChanged"
    version: Literal[1] = 1
    enabled: bool


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


class LoginSucceeded(IdentityEvent):
    """A login completed and a session was issued (ID-LOGIN-01 step 10)."""

    type: Literal["LoginSucceeded"] = "LoginSucceeded"
    version: Literal[1] = 1
    login_id: LoginId
    ip: IpAddress | None = None
    user_agent: UserAgent | None = None
    previous_login_at: UtcDatetime | None = None
    """The previous successful login (前回ログイン日時, ID-LOGIN-04); ``None`` on the first."""


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


class AccountUnlocked(IdentityEvent):
    """An account was unlocked; ``actor`` names who, ``reason`` and ``note`` say why."""

    type: Literal["AccountUnlocked"] = "AccountUnlocked"
    version: Literal[1] = 1
    reason: UnlockReason
    note: Note | None = None


# --- passwords -------------------------------------------------------------------------------


class PasswordChangeMethod(StrEnum):
    """How a password came to change (ID-PW-03, -05, -06)."""

    SELF = "self"
    """The user chose a new password on the change screen."""
    INITIALISE = "initialise"
    """Admin/support set it back to the initial password (初期化)."""
    FORCE_CHANGE = "force_change"
    """Admin/support set a new password for the user."""
    RESET = "reset"
    """A new random password was generated and mailed to the admin (`nexi`)."""
    TEMPORARY = "temporary"
    """A self-service temporary password replaced it (ID-PW-05)."""


class PasswordChanged(IdentityEvent):
    """The user's password changed. Carries no password: the mail that delivers a new one is
    driven by ``InitialPasswordIssued`` / ``TemporaryPasswordIssued``."""

    type: Literal["PasswordChanged"] = "PasswordChanged"
    version: Literal[1] = 1
    method: PasswordChangeMethod
    must_change: bool
    """The next login must set a new password first (PASSWORD_CHANGE_REQUIRED, ID-PW-03)."""
    completion_notice_to: EmailAddress | None = None
    """Where the completion mail goes (ID-PW-07), if the realm sends one."""


class InitialPasswordRoute(StrEnum):
    """How an initial password reaches its user (ID-PW-03)."""

    MAIL_TO_USER = "mail_to_user"
    MAIL_TO_ORG_CONTACT = "mail_to_org_contact"
    """`dantai-net`: the password-notice mail to the organisation contact."""
    MAIL_TO_ADMIN = "mail_to_admin"
    """`nexi` business users: mailed to the admin, who passes it on."""
    OUT_OF_BAND = "out_of_band"
    """`nexi` admins: by post; the API returned it once to the operator. Nothing to mail."""


class InitialPasswordIssued(IdentityEvent):
    """An initial password was generated on user creation (ID-PW-03).

    For the mail routes the password travels sealed to notify; for ``out_of_band`` it does
    not travel at all (a secret nobody on the bus needs should not be on the bus, even sealed).
    """

    type: Literal["InitialPasswordIssued"] = "InitialPasswordIssued"
    version: Literal[1] = 1
    login_id: LoginId
    route: InitialPasswordRoute
    recipient_email: EmailAddress | None = None
    sealed_password: SealedSecret | None = None
    attachment_password: SealedSecret | None = None
    """`dantai-net` (NT-06): the password that opens the AES-256 ZIP attachment (the first
    contact's phone number), sealed because it opens the notice."""

    @model_validator(mode="after")
    def _route_decides_what_travels(self) -> Self:
        if self.route is InitialPasswordRoute.OUT_OF_BAND:
            if self.sealed_password is not None or self.attachment_password is not None:
                raise ValueError("an out-of-band initial password must not travel on the bus")
        elif self.sealed_password is None or self.recipient_email is None:
            raise ValueError(f"route {self.route.value!r} needs sealed_password and recipient")
        return self


class TemporaryPasswordReason(StrEnum):
    """Why a one-time password that forces a change was issued."""

    SELF_SERVICE = "self_service"
    """The user asked for one (ID-PW-05)."""
    RESET = "reset"
    """The admin (support, for an admin) reset the password (ID-PW-06, `nexi`)."""


class RecipientRole(StrEnum):
    """Whose mailbox a mail goes to, relative to the subject."""

    USER = "user"
    ADMIN = "admin"


class TemporaryPasswordIssued(IdentityEvent):
    """A temporary password was issued: works once, forces a change, expires (ID-PW-05)."""

    type: Literal["TemporaryPasswordIssued"] = "TemporaryPasswordIssued"
    version: Literal[1] = 1
    login_id: LoginId
    reason: TemporaryPasswordReason
    recipient_role: RecipientRole
    recipient_email: EmailAddress
    sealed_password: SealedSecret
    expires_at: UtcDatetime | None = None


# --- e-mail links, e-mail authentication, e-mail change --------------------------------------


class LinkPurpose(StrEnum):
    """What a mailed one-time link is for."""

    LOGIN = "login"
    """ID-MAIL-02: completes the pending login of the same browser; 10 minutes."""
    AUTH_EMAIL_CONFIRMATION = "auth_email_confirmation"
    """ID-MAIL-01: confirms a provisional e-mail-authentication address; 60 minutes."""
    EMAIL_CHANGE_CONFIRMATION = "email_change_confirmation"
    """ID-EMAIL-01: confirms a new registered address; 24 hours."""


class EmailLinkIssued(IdentityEvent):
    """A one-time link (renamed from ``LinkIssued``) was issued; notify mails it.

    A new link for the same user and purpose invalidates the older one (ID-MAIL-03).
    """

    type: Literal["EmailLinkIssued"] = "EmailLinkIssued"
    version: Literal[1] = 1
    purpose: LinkPurpose
    recipient_email: EmailAddress
    sealed_link: SealedSecret
    expires_at: UtcDatetime


class EmailLinkConsumed(IdentityEvent):
    """A mailed link was used (by the POST of its confirmation page, ID-MAIL-02)."""

    type: Literal["EmailLinkConsumed"] = "EmailLinkConsumed"
    version: Literal[1] = 1
    purpose: LinkPurpose
    ip: IpAddress | None = None
    user_agent: UserAgent | None = None


class AuthEmailConfirmed(IdentityEvent):
    """The e-mail-authentication address (メール認証用アドレス) was confirmed (ID-MAIL-01)."""

    type: Literal["AuthEmailConfirmed"] = "AuthEmailConfirmed"
    version: Literal[1] = 1
    auth_email: EmailAddress


class AuthEmailReset(IdentityEvent):
    """The admin (support, for an admin) reset the e-mail-authentication address; the user
    registers a new one at next login (ID-MAIL-04)."""

    type: Literal["AuthEmailReset"] = "AuthEmailReset"
    version: Literal[1] = 1
    note: Note | None = None


class EmailChangeRequested(IdentityEvent):
    """A change of the registered address was requested; nothing changes until the link to the
    new address is followed (ID-EMAIL-01)."""

    type: Literal["EmailChangeRequested"] = "EmailChangeRequested"
    version: Literal[1] = 1
    new_email: EmailAddress
    expires_at: UtcDatetime


class EmailChanged(IdentityEvent):
    """The registered address changed (the ID-EMAIL-01 flow completed)."""

    type: Literal["EmailChanged"] = "EmailChanged"
    version: Literal[1] = 1
    previous_email: EmailAddress | None = None
    new_email: EmailAddress
    completion_notice_to: EmailAddress | None = None
    """Where the completion mail goes (ID-PW-07), if the realm sends one."""


# --- OTP step-up -----------------------------------------------------------------------------


class OtpIssued(IdentityEvent):
    """A one-time code was issued and is to be mailed; it voids the previous one (ID-OTP-02)."""

    type: Literal["OtpIssued"] = "OtpIssued"
    version: Literal[1] = 1
    session_ref: SessionRef | None = None
    recipient_email: EmailAddress
    sealed_code: SealedSecret
    expires_at: UtcDatetime
    max_attempts: Annotated[int, Field(ge=1)]


class OtpVerified(IdentityEvent):
    """The code was entered correctly; the session is OTP-verified (ID-OTP-03)."""

    type: Literal["OtpVerified"] = "OtpVerified"
    version: Literal[1] = 1
    session_ref: SessionRef | None = None


class OtpVoidReason(StrEnum):
    """Why an issued code stopped working before it was verified."""

    TOO_MANY_FAILURES = "too_many_failures"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"


class OtpVoided(IdentityEvent):
    """An issued code was voided (ID-OTP-02)."""

    type: Literal["OtpVoided"] = "OtpVoided"
    version: Literal[1] = 1
    session_ref: SessionRef | None = None
    reason: OtpVoidReason


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


# --- operations from outside systems ---------------------------------------------------------


class OperationPerformed(IdentityEvent):
    """A user performed an operation in another system (AU-01, AU-02).

    For example ``[1-4] Web申込状況一覧の参照`` reported by the application system.

    Published on ``identity.events`` keyed by the user, beside that user's profile changes, so
    that in the usual case audit sees the profile before the operations that follow it.
    ``actor`` is the reporting system (kind ``service``) or the user.
    """

    type: Literal["OperationPerformed"] = "OperationPerformed"
    version: Literal[1] = 1
    source_system: Identifier
    login_id: LoginId
    operation_code: OperationCode
    operation_label: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    ip: IpAddress | None = None
    user_agent: UserAgent | None = None
