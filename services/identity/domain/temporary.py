"""Self-service temporary passwords (ID-PW-05): mailed, single use, forcing a change, 24 hours.

The temporary password is kept beside the real one, so asking for it locks nobody out: the
real password keeps working until the temporary one is used. A login with the temporary
password consumes it (the same versioned-store commit that logs in), so two parallel logins
with it cannot both succeed (X-11). The mail's password travels sealed to notify (X-02).

It is a random secret of 16 characters (93 bits) and is kept as a salted SHA-256, as link
tokens are (X-11), not as an argon2 hash: a login compares every typed password with it, or
with a dummy when there is none, at a cost of microseconds. A wrong password then costs one
argon2 verification whatever the account's state, so nobody can learn by timing whether a
temporary password is outstanding, and with it whether a guessed address was the registered
one (ID-PW-05 answers alike either way).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from contracts import Actor, SealedSecret, TemporaryPasswordIssued
from contracts.identity import RecipientRole, TemporaryPasswordReason
from services.identity.domain.decision import Decision
from services.identity.domain.users import TemporaryPassword, User

LIFETIME = timedelta(hours=24)
LENGTH = 16

#: Compared with when no temporary password is outstanding, so the work is the same.
_NONE_OUTSTANDING = hashlib.sha256(b"no temporary password").hexdigest()


def secret_hash(user_id: str, password: str) -> str:
    """How a temporary password is kept, salted with its user's id."""
    return hashlib.sha256(f"{user_id}\0{password}".encode()).hexdigest()


def matches(user: User, typed_hash: str, now: datetime) -> bool:
    """Whether the typed password is the user's usable temporary password, compared in
    constant time against it or a dummy."""
    outstanding = user.temporary_password
    usable = outstanding is not None and now < outstanding.expires_at
    expected = outstanding.secret_hash if usable and outstanding else _NONE_OUTSTANDING
    return hmac.compare_digest(expected, typed_hash) and usable


def issue(
    user: User,
    email: str,
    temporary_hash: str,
    sealed: SealedSecret,
    correlation_id: str,
    now: datetime,
) -> Decision[User, bool]:
    """Issue one, replacing any earlier one, if the e-mail is the user's registered address."""
    if user.registered_email != email:
        return Decision.nothing(False)
    expires_at = now + LIFETIME
    event = TemporaryPasswordIssued(
        **user.envelope(Actor.system(), correlation_id, now),
        login_id=user.login_id,
        reason=TemporaryPasswordReason.SELF_SERVICE,
        recipient_role=RecipientRole.USER,
        recipient_email=email,
        sealed_password=sealed,
        expires_at=expires_at,
    )
    new = user.but(temporary_password=TemporaryPassword(temporary_hash, expires_at))
    return Decision.commit(True, new, event)
