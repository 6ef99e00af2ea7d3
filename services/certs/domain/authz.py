"""Who may do what at the CA: one place, answered alike for every route.

Most of the CA is open: a user proves who they are with the notice's fields or with the
certificate they hold (CT-02, CT-05), and the publication points are anyone's (CT-08, CT-10).
What is left are the operators' acts, recording a notice and revoking a certificate: the back
office does them with the provisioning token (checked before any session is asked for), and
otherwise only the realm's support desk, once its login is complete and, where its
organisation requires one, its OTP entered (X-15: the same refusal whatever the caller asked
about). The support console's pages (WEB-04) ask the same rule, to look holders up too.
"""

from __future__ import annotations

from domainkit.callers import Caller, Refusal, realm_support


def operate(caller: Caller, realm: str) -> Refusal | None:
    """Record a notice (CT-02, CT-06), revoke a certificate (CT-08), look a holder up (WEB-04):
    the realm's support."""
    refusal = realm_support(caller, realm)
    if refusal is None and caller.owes_otp:
        return Refusal.OTP_REQUIRED
    return refusal
