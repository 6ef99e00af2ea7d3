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

A request answers alike and costs alike whoever it names: each is one decision committed as
one version with one event, on the user (the password issued, or declined and why) or, for an
unknown ID, on the ID's shadow slot (declined). A user is mailed at most three an hour; the
count is part of the user's versions, so parallel requests cannot pass it (X-13).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts import Actor, SealedSecret, TemporaryPasswordDeclined, TemporaryPasswordIssued
from contracts.common import Role
from contracts.identity import (
    RecipientRole,
    TemporaryPasswordDeclineReason,
    TemporaryPasswordReason,
)
from domainkit.decision import Decision, envelope
from services.identity.domain.lockout import ShadowId, ShadowSlot
from services.identity.domain.users import TemporaryPassword, User

#: What a request for a temporary password is answered, whether or not one was mailed (ID-PW-05).
MAIL_SENT_ANSWER = (
    "ご登録のメールアドレスに仮パスワードを送信しました。"
    "IDとメールアドレスの組み合わせが登録と異なる場合は送信されません。"
)


LIFETIME = timedelta(hours=24)
LENGTH = 16
ISSUE_WINDOW = timedelta(hours=1)
ISSUES_PER_WINDOW = 3
"""One user receives at most three an hour (ID-PW-05), in a sliding window: each is a mail,
and nobody should be able to fill a mailbox with them."""

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


@dataclass(frozen=True)
class Request:
    """One request for a temporary password, with what every request prepares whoever it
    names: a new password sealed for notify, and its hash salted with the named user's id
    (an empty id for an unknown ID)."""

    login_id: str
    email: str
    temporary_hash: str
    sealed: SealedSecret
    correlation_id: str
    now: datetime


def request(user: User, asked: Request, offered_to: frozenset[Role]) -> Decision[User, bool]:
    """Issue one to the registered address, or decline and record why; either way the user
    takes one version with one event, so the request writes the same whoever it names.

    Only an issued password counts toward the three an hour: a request with another address
    mails nothing, and counting it would let anyone who knows an ID use up its owner's mails.
    """
    recent = tuple(t for t in user.temporary_issued if asked.now - t < ISSUE_WINDOW)
    fields = user.envelope(Actor.system(), asked.correlation_id, asked.now)
    reason = _declined(user, asked, offered_to, recent)
    if reason is not None:
        declined = TemporaryPasswordDeclined(**fields, login_id=asked.login_id, reason=reason)
        return Decision.commit(False, user.but(temporary_issued=recent), declined)
    expires_at = asked.now + LIFETIME
    issued = TemporaryPasswordIssued(
        **fields,
        login_id=user.login_id,
        reason=TemporaryPasswordReason.SELF_SERVICE,
        recipient_role=RecipientRole.USER,
        recipient_email=asked.email,
        sealed_password=asked.sealed,
        expires_at=expires_at,
    )
    new = user.but(
        temporary_password=TemporaryPassword(asked.temporary_hash, expires_at),
        temporary_issued=(*recent, asked.now),
    )
    return Decision.commit(True, new, issued)


def _declined(
    user: User, asked: Request, offered_to: frozenset[Role], recent: tuple[datetime, ...]
) -> TemporaryPasswordDeclineReason | None:
    if user.login_id != asked.login_id:  # a former login ID of the user's (ID-USER-08)
        return TemporaryPasswordDeclineReason.UNKNOWN_LOGIN_ID
    if user.role not in offered_to:
        return TemporaryPasswordDeclineReason.NOT_OFFERED
    if user.registered_email != asked.email:
        return TemporaryPasswordDeclineReason.ADDRESS_MISMATCH
    if len(recent) >= ISSUES_PER_WINDOW:
        return TemporaryPasswordDeclineReason.LIMIT_REACHED
    return None


def decline_unknown(
    slot: ShadowSlot | None, shadow: ShadowId, asked: Request
) -> Decision[ShadowSlot, bool]:
    """An unknown ID: its shadow slot (where its failed logins count, ID-LOGIN-01) takes the
    version instead of a user, unchanged, so the request writes what a known ID's does."""
    fields = envelope(
        shadow.realm, None, shadow.subject_id, Actor.system(), asked.correlation_id, asked.now
    )
    declined = TemporaryPasswordDeclined(
        **fields,
        login_id=asked.login_id,
        reason=TemporaryPasswordDeclineReason.UNKNOWN_LOGIN_ID,
    )
    return Decision.commit(False, slot or ShadowSlot(shadow.realm, shadow.slot), declined)
