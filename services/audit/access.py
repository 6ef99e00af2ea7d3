"""Who may export an organisation's access history (AU-03, ID-PERM-02).

Until identity offers its authorisation API (ID-PERM-03), audit asks identity's session
introspection (ID-SESS-02) who the caller is (``servicekit.credentials``). The rule itself is
pure and audit's own: the organisation's admin, or a support operator of the realm for any
organisation. Everyone else, and an admin asking for another organisation, gets the same
FORBIDDEN whether or not that organisation exists, so the answer tells nothing about it (X-15).
"""

from __future__ import annotations

from contracts.common import Role
from servicekit.credentials import Caller, Refusal


def may_export(caller: Caller, realm: str, org_id: str) -> Refusal | None:
    """AU-03: the organisation's admin; support for any organisation of its realm; in an
    organisation that requires the OTP, only once the session has entered it (ID-OTP-05)."""
    if caller.restricted:
        return Refusal.LOGIN_INCOMPLETE
    if caller.owes_otp:
        return Refusal.OTP_REQUIRED
    if caller.realm != realm:
        return Refusal.NOT_PERMITTED
    if caller.role == Role.SUPPORT or (caller.role == Role.ADMIN and caller.org_id == org_id):
        return None
    return Refusal.NOT_PERMITTED
