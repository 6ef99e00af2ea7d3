"""A login attempt as the decision sees it, and its answer (ID-LOGIN-01)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum

from contracts import SealedSecret
from contracts.identity import LoginChannel
from services.identity.domain.session_lists import Listed
from services.identity.domain.users import User


class LoginAnswer(Enum):
    SUCCEEDED = "succeeded"
    INVALID_CREDENTIALS = "invalid_credentials"
    LOCKED = "locked"
    DISABLED = "disabled"
    BROWSER_MISMATCH = "browser_mismatch"
    CREDENTIALS_CHANGED_MEANWHILE = "credentials_changed_meanwhile"
    """The password was checked against a hash no longer in force: check again."""
    NOT_THIS_USER = "not_this_user"
    """The login ID is no longer this user's (ID-USER-08): it is answered as unknown."""


class PendingStep(StrEnum):
    """What a session must still do before it is a full one (ID-LOGIN-01 steps 7-9, in order).

    Which steps a login has is decided in ``login.pending_steps`` by the realm's policy; a
    registered browser that does not match is not a step but a refusal (``BROWSER_MISMATCH``).
    """

    PASSWORD_CHANGE = "password_change"  # noqa: S105 - a step's name, not a secret
    """Step 7: an initial or temporary password must be replaced first (ID-PW-03)."""
    BROWSER_REGISTRATION = "browser_registration"
    """Step 8 for a user with no registered browser: the browser that completes the login is
    registered (ID-BIND-01), in the answer that completes it, so a stranger who stops halfway
    registers nothing."""
    AUTH_EMAIL_ADDRESS = "auth_email_address"
    """Step 9, first time: register an e-mail-authentication address and confirm it by its
    60-minute link (ID-MAIL-01)."""
    LOGIN_LINK = "login_link"
    """Step 9: follow the 10-minute link mailed for this login, in this browser (ID-MAIL-02)."""


@dataclass(frozen=True)
class NewLink:
    """A mailed link made before deciding: its token's hash, and the link sealed for notify."""

    token_hash: str
    sealed_link: SealedSecret


@dataclass(frozen=True)
class NewSession:
    ref: str
    idle_timeout_seconds: int
    expires_at: datetime
    key: str
    """The digest its document is kept under: listed under the user (decision 0020)."""


@dataclass(frozen=True)
class LoginAttempt:
    realm: str
    login_id: str
    password_ok: bool
    """The typed password matched ``verified_hash``."""
    verified_hash: str
    """The password hash the typed password was checked against."""
    secret_hash: str
    """The typed password's temporary-password hash, compared with any outstanding one."""
    ip: str | None
    user_agent: str | None
    correlation_id: str
    now: datetime
    session: NewSession | None = None
    """The session to announce if the attempt succeeds (its id is chosen before deciding)."""
    new_hash: str | None = None
    """The typed password hashed with today's parameters: a rehash (ID-PW-01), or the hash a
    consumed temporary password keeps for the forced change."""
    browser: str | None = None
    """The SHA-256 of the browser's binding cookie for this realm, if it sent one."""
    login_link: NewLink | None = None
    """A login link ready to mail, should this login reach step 9 (ID-MAIL-02)."""
    channel: LoginChannel = LoginChannel.BROWSER
    """``app`` when the realm's app credential came with the login (EN-09)."""


@dataclass(frozen=True)
class LoginResult:
    answer: LoginAnswer
    user: User | None = None
    """The user as the successful attempt left them."""
    previous_login_at: datetime | None = None
    pending: tuple[PendingStep, ...] = ()
    """Steps 7-9 the new session must complete first; none: a full session (step 10)."""
    crowded_out: tuple[Listed, ...] = ()
    """The user's oldest sessions that the new one crowds out of its list: they end."""

    @property
    def must_change_password(self) -> bool:
        return PendingStep.PASSWORD_CHANGE in self.pending
