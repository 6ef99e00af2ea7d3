"""Refusals: a command that a rule does not allow, as a value of the domain.

Each kind is mapped once, in the API, to its SPEC section 7 problem. A refusal raised inside a
decision leaves the aggregate as it was: nothing is committed.
"""

from __future__ import annotations


class Refusal(Exception):
    """A command a rule refuses; ``detail`` is for the person, in Japanese, when it helps."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or type(self).__name__)
        self.detail = detail


class NotPermitted(Refusal):
    """The caller may not do this (another organisation, another role, another realm)."""


class StepsPending(Refusal):
    """The session has login steps to complete first (ID-LOGIN-01 steps 7-9)."""


class SessionEnded(Refusal):
    """The session ended while its request was under way (a credential change elsewhere ended
    it, ID-SESS-03): what the request would have started is undone."""


class NotFound(Refusal):
    """No such organisation, user, or feature in this realm, as far as the caller may know."""


class LoginIdTaken(Refusal):
    """Another user of the realm has this login ID (ID-USER-02)."""


class KeyNamesAnotherCreation(Refusal):
    """A retried creation's idempotency key names a user made with another login ID: the
    request is not a retry of that creation (X-03), and must not take a second ID."""


class BusinessUserLimitReached(Refusal):
    """The realm's limit on an organisation's business users is reached (ID-USER-01)."""


class WrongPassword(Refusal):
    """The current password given to confirm a change is not the current password."""


class AccountLocked(Refusal):
    """The account is locked: a check of its password, even a correct one, is refused
    (ID-LOCK-02), and the one that locks it is answered so (ID-LOCK-01, -05)."""


class PasswordRefused(Refusal):
    """The new password breaks the realm's policy (ID-PW-02); ``detail`` says how."""


class MissingContact(Refusal):
    """What must be mailed has nowhere to go; ``detail`` says which address is missing."""


class HalfWidthRequired(Refusal):
    """An ID or a password holds full-width characters (X-06)."""


class LoginIdFormat(Refusal):
    """A login ID that does not have the realm's format (ID-USER-02)."""


class InMaintenance(Refusal):
    """The realm is in maintenance (REALM-03)."""


class ProfileRefused(Refusal):
    """A profile field breaks ID-USER-06's lengths or X-07's characters; ``detail`` names the
    characters at fault."""


class OtpRequired(Refusal):
    """A protected operation in a session not OTP-verified while its organisation requires one
    (ID-OTP-04)."""
