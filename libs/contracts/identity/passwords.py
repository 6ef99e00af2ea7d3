"""Identity's events about passwords: changes, and the passwords mailed sealed.

``PasswordResetDeclined`` came with issue 23 for the same reason: a request for a reset link
(ID-PW-08) that mailed nothing commits one version with one event, as one that mailed does.

``TemporaryPasswordDeclined`` came with issue 20: a self-service request for a temporary
password (ID-PW-05) that mailed nothing (an unknown ID, another address, a user the realm
mails none to, or the user's three an hour used up) is recorded as such, so that every request
commits one version with one event whoever it names: the same writes, whose timing tells
nothing, and a trail on which ops see a stranger trying addresses.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import model_validator

from contracts.common import (
    EmailAddress,
    LoginId,
    UtcDatetime,
)
from contracts.envelope import IdentityEvent
from contracts.sealed import SealedSecret

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
    RESET_LINK = "reset_link"
    """The user chose a new one at the page of a mailed reset link (ID-PW-08, kencom)."""


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


class TemporaryPasswordDeclineReason(StrEnum):
    """Why a request for a temporary password mailed nothing (ID-PW-05). Never told to the
    requester, who hears the same answer either way."""

    UNKNOWN_LOGIN_ID = "unknown_login_id"
    """No user has this login ID in the realm (the event's subject is its shadow slot's)."""
    ADDRESS_MISMATCH = "address_mismatch"
    """The address is not the user's registered one."""
    NOT_OFFERED = "not_offered"
    """The realm mails temporary passwords to other roles only (`nexi`: admins)."""
    LIMIT_REACHED = "limit_reached"
    """The user was mailed three within the hour already."""


class TemporaryPasswordDeclined(IdentityEvent):
    """A temporary password was asked for and none was issued (ID-PW-05).

    Carries no typed address (someone else's, perhaps) and no secret. For an unknown ID the
    subject is ``unknown:<realm>:<keyed digest>``, as for its failed logins, and ``org_id`` is
    empty.
    """

    type: Literal["TemporaryPasswordDeclined"] = "TemporaryPasswordDeclined"
    version: Literal[1] = 1
    login_id: LoginId
    reason: TemporaryPasswordDeclineReason


class PasswordResetDeclineReason(StrEnum):
    """Why a request for a password-reset link mailed nothing (ID-PW-08). Never told to the
    requester, who hears the same answer either way."""

    UNKNOWN_LOGIN_ID = "unknown_login_id"
    """No user has this login ID (kencom: the e-mail address) in the realm."""
    NOT_OFFERED = "not_offered"
    """The realm mails reset links to other roles only (kencom: members)."""
    NO_ADDRESS = "no_address"
    """The user has no registered address to mail the link to."""
    LIMIT_REACHED = "limit_reached"
    """The user was mailed three links within the hour already."""


class PasswordResetDeclined(IdentityEvent):
    """A reset link was asked for and none was mailed (ID-PW-08). Carries no typed address and
    no secret; for an unknown ID the subject is its shadow slot's, as for its failed logins."""

    type: Literal["PasswordResetDeclined"] = "PasswordResetDeclined"
    version: Literal[1] = 1
    login_id: LoginId
    reason: PasswordResetDeclineReason
