"""Who may do what in audit: every authorisation rule of the service, pure (AU-03, AU-07,
WEB-02, ID-PERM-02, X-15).

Until identity offers its authorisation API (ID-PERM-03), audit asks identity's session
introspection (ID-SESS-02) who the caller is; the rules themselves are audit's own. Everyone a
rule turns away gets the same refusal whether or not the organisation or realm they named
exists, so the answer tells nothing about it (X-15).
"""

from __future__ import annotations

from contracts.common import Role
from domainkit.callers import Caller, Refusal, login_incomplete, realm_support
from services.audit.domain.period import KNOWN_REALMS


def may_export(caller: Caller, realm: str, org_id: str) -> Refusal | None:
    """AU-03: the organisation's admin; support for any organisation of its realm; in an
    organisation that requires the OTP, only once the session has entered it (ID-OTP-05)."""
    if refusal := login_incomplete(caller):
        return refusal
    if caller.owes_otp:
        return Refusal.OTP_REQUIRED
    if caller.realm != realm:
        return Refusal.NOT_PERMITTED
    if caller.role == Role.SUPPORT or (caller.role == Role.ADMIN and caller.org_id == org_id):
        return None
    return Refusal.NOT_PERMITTED


def may_read_own(caller: Caller, realm: str) -> Refusal | None:
    """AU-07: every user of the realm reads its own history, and nobody's else: the rule names
    no user, since the only user it serves is the session's own. Support and admins read
    others' through their own tools (the export, the console). Where the organisation requires
    the OTP, only once the session has entered it, as the export (the rows name addresses)."""
    if refusal := login_incomplete(caller):
        return refusal
    if caller.owes_otp:
        return Refusal.OTP_REQUIRED
    if caller.realm != realm or not keeps_history_of(realm):
        return Refusal.NOT_PERMITTED
    return None


def may_watch(caller: Caller, realm: str) -> Refusal | None:
    """WEB-02, AU-05: the ops dashboard is operator data (X-15), for the realm's support
    operators once their login is complete (the realm's operations desk; the SPEC names no
    other ops role)."""
    return realm_support(caller, realm)


def keeps_history_of(realm: str) -> bool:
    """A realm audit has history rules for. Asked only after :func:`may_export` let the caller
    through, so a caller of that realm learns that audit does not know it yet, nobody else."""
    return realm in KNOWN_REALMS


def org_read_by(caller: Caller, realm: str, org: str) -> str | Refusal:
    """The organisation whose history a page's browser reads (AU-03): an admin's own, or the
    one support names in the page's ``org``; the export's rule decides, and a realm audit
    keeps no history of is refused like any other (X-15)."""
    org_id = org if caller.role == Role.SUPPORT else (caller.org_id or "")
    refusal = may_export(caller, realm, org_id) if org_id else Refusal.NOT_PERMITTED
    if refusal is None and not keeps_history_of(realm):
        refusal = Refusal.NOT_PERMITTED
    return refusal or org_id
