"""Who may do what in enrolment: one place, answered alike for every route and page.

Signing up needs no session: a sign-up is held by the secrets it answers (EN-01..05). The
checkup-results gate is a member's own (EN-06); reissuing a member's code and unlocking a
locked answer are the support desk's (seed 003 A4); rosters are imported by the back office
(the provisioning token, checked before any session is asked for) or by the support desk
(EN-07). A session still at its login steps is refused before anything else (ID-LOGIN-01), and
every refusal is the same whatever was asked about (X-15).
"""

from __future__ import annotations

from contracts.common import Role
from domainkit.callers import Caller, Refusal, login_incomplete, realm_support
from services.enroll.domain.realm import REALM


def member(caller: Caller) -> Refusal | None:
    """A kencom member with a complete login: their own checkup-results gate."""
    refusal = login_incomplete(caller)
    if refusal is not None:
        return refusal
    if caller.realm == REALM and caller.role == Role.MEMBER:
        return None
    return Refusal.NOT_PERMITTED


def support(caller: Caller) -> Refusal | None:
    """kencom's support desk (サポートデスク): checkup codes, locked answers, rosters."""
    return realm_support(caller, REALM)
