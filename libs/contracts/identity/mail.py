"""Identity's events about mailed links and codes: login links, the e-mail-authentication
address, the e-mail change, one-time passwords."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from contracts.common import (
    EmailAddress,
    IpAddress,
    Note,
    UserAgent,
    UtcDatetime,
)
from contracts.envelope import IdentityEvent
from contracts.identity.login import SessionRef
from contracts.sealed import SealedSecret

# --- e-mail links, e-mail authentication, e-mail change --------------------------------------


class LinkPurpose(StrEnum):
    """What a mailed one-time link is for."""

    LOGIN = "login"
    """ID-MAIL-02: completes the pending login of the same browser; 10 minutes."""
    AUTH_EMAIL_CONFIRMATION = "auth_email_confirmation"
    """ID-MAIL-01: confirms a provisional e-mail-authentication address; 60 minutes."""
    EMAIL_CHANGE_CONFIRMATION = "email_change_confirmation"
    """ID-EMAIL-01: confirms a new registered address; 24 hours."""
    PASSWORD_RESET = "password_reset"  # noqa: S105 - names a purpose, not a secret
    """ID-PW-08: opens the page that sets a new password (kencom); 1 hour."""


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
    kept_session: SessionRef | None = None
    """The pending login that registered the address: a new address ends every other session
    of the user, but this one goes on to its login link (ID-SESS-03)."""


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
