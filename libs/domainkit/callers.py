"""Who a session is, as identity's introspection tells every other service (ID-SESS-02), and
the checks every service's ``domain/authz.py`` starts with.

Pure: ``servicekit.credentials`` reads the token and asks identity; a service's authorisation
decides on the :class:`Caller` it answers and names a :class:`Refusal`, which the HTTP layer
turns into one problem per reason (X-15).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from contracts.common import Role


@dataclass(frozen=True)
class Caller:
    """The session's user as identity's introspection answers it.

    ``restricted``: the login is not complete yet (a forced password change or another of
    ID-LOGIN-01's pending steps, listed in ``pending_steps``), so the session may do nothing
    but those steps. ``readable_org_ids``: the organisations a group-wide read-only ID reads.
    ``otp_required``: the organisation requires an OTP for protected operations (ID-OTP-01);
    ``otp_verified``: this session has entered one (ID-OTP-03).
    """

    user_id: str
    realm: str
    org_id: str | None
    role: str
    restricted: bool
    pending_steps: tuple[str, ...] = ()
    readable_org_ids: tuple[str, ...] = ()
    login_id: str = ""
    otp_verified: bool = False
    otp_required: bool = False

    @property
    def owes_otp(self) -> bool:
        """A protected operation must wait for the OTP (ID-OTP-04, -05)."""
        return self.otp_required and not self.otp_verified


class Refusal(Enum):
    """Why a caller may not go on; each answers one problem (``servicekit.credentials``)."""

    NO_SESSION = "no session"
    LOGIN_INCOMPLETE = "the session must finish its login steps first"
    NOT_PERMITTED = "not a caller this operation is for"
    OTP_REQUIRED = "the organisation requires an OTP this session has not entered"
    IDENTITY_UNAVAILABLE = "identity did not answer"


def login_incomplete(caller: Caller) -> Refusal | None:
    """ID-LOGIN-01: a session still at its login steps may do nothing but those steps."""
    return Refusal.LOGIN_INCOMPLETE if caller.restricted else None


def realm_support(caller: Caller, realm: str) -> Refusal | None:
    """The realm's support desk, once its login is complete; everyone else is not permitted,
    whatever they asked for (X-15)."""
    if caller.restricted:
        return Refusal.LOGIN_INCOMPLETE
    if caller.realm == realm and caller.role == Role.SUPPORT:
        return None
    return Refusal.NOT_PERMITTED
