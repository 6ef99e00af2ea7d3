"""The e-mailed one-time password of `nexi`'s step-up (ID-OTP-01..03, seed 004 chapter 5): pure.

The organisation's admin switches it on (:func:`switch`, on the organisation); then a user's
session must verify a code before protected operations. A code is a decision on the user
aggregate: issuing one voids the previous code, and each entry of a code is the next version
of the user (X-13). So twenty parallel wrong entries are judged one after another: the first
two count, the second voids the code, and the other eighteen find no code to judge. Guessing
in parallel buys no third try (the flaw class of Zitadel CVE-2024-32868 and Keycloak
CVE-2024-4629, whose counters were read and written apart).

A code is bound to the session that asked for it, so it verifies that session only; the
verified session then replaces it with a new id (see :mod:`.sessions`).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from contracts import Actor, OtpIssued, OtpPolicyChanged, OtpVerified, OtpVoided, SealedSecret
from contracts.identity import OtpVoidReason
from domainkit.decision import Decision, envelope
from services.identity.domain.organisations import Organisation
from services.identity.domain.refusals import MissingContact, Refusal
from services.identity.domain.users import OtpCode, User

LIFETIME = timedelta(minutes=10)
"""発行後10分間のみ有効 (seed 004 5-1)."""
MAX_WRONG_ENTRIES = 2
"""入力を2回間違えると失効します (seed 004 5-3)."""
ISSUE_WINDOW = timedelta(hours=1)
ISSUES_PER_WINDOW = 5
"""Where the seed is silent: five codes an hour for one user. Each code allows two guesses of
a million, and each is a mail; without a limit a stolen password could ask for codes until a
guess hit, and fill the user's mailbox on the way."""
DIGITS = 6


class TooManyCodes(Refusal):
    """Five codes were mailed within the hour; ``detail`` says from when another can be."""


def code_hash(key: bytes, user_id: str, nonce: str, code: str) -> str:
    """How a code is kept (X-02): keyed, so that a copy of the database alone cannot try the
    million codes against it."""
    message = f"{user_id}\0{nonce}\0{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def switch(
    org: Organisation, enabled: bool, admin: Actor, correlation_id: str, now: datetime
) -> Decision[Organisation, bool]:
    """ワンタイムパスワード利用 (ID-OTP-01): for every user of the organisation, the admin too."""
    if org.otp_enabled == enabled:
        return Decision.nothing(False)
    changed = OtpPolicyChanged(
        **envelope(org.realm, org.org_id, org.org_id, admin, correlation_id, now),
        enabled=enabled,
    )
    return Decision.commit(True, replace(org, otp_enabled=enabled), changed)


@dataclass(frozen=True)
class NewCode:
    """A code made before deciding: its keyed hash and nonce, and the code sealed for notify."""

    code_hash: str
    nonce: str
    sealed_code: SealedSecret


def issue(
    user: User, code: NewCode, session_ref: str, correlation_id: str, now: datetime
) -> Decision[User, datetime]:
    """ワンタイムパスワードの発行 (ID-OTP-02): a code valid 10 minutes mailed to the registered
    address, voiding any earlier one. Answers when it expires."""
    recipient = user.registered_email
    if recipient is None:
        raise MissingContact("メールアドレスが登録されていないため、送信できません")
    recent = tuple(t for t in user.otp_issued if now - t < ISSUE_WINDOW)
    if len(recent) >= ISSUES_PER_WINDOW:
        raise TooManyCodes(f"{(recent[0] + ISSUE_WINDOW).isoformat()} 以降に発行してください")
    fields = user.envelope(user.as_actor, correlation_id, now)
    expires_at = now + LIFETIME
    issued = OtpIssued(
        **fields,
        session_ref=session_ref,
        recipient_email=recipient,
        sealed_code=code.sealed_code,
        expires_at=expires_at,
        max_attempts=MAX_WRONG_ENTRIES,
    )
    events: list[OtpIssued | OtpVoided] = []
    previous = user.otp_code
    if previous is not None and now < previous.expires_at:
        events.append(
            OtpVoided(**fields, session_ref=previous.session_ref, reason=OtpVoidReason.SUPERSEDED)
        )
    events.append(issued)
    new = user.but(
        otp_code=OtpCode(code.code_hash, code.nonce, session_ref, now, expires_at),
        otp_issued=(*recent, now),
    )
    return Decision(expires_at, new, tuple(events))


class Entry(Enum):
    VERIFIED = "verified"
    WRONG = "wrong"
    """Judged wrong; ``remaining`` entries are left."""
    VOIDED = "voided"
    """Judged wrong for the second time: the code is void now."""
    NO_CODE = "no_code"
    """Nothing to judge: never issued to this session, used, voided, superseded or expired."""


@dataclass(frozen=True)
class Judged:
    entry: Entry
    remaining: int = 0


def verify(
    user: User,
    key: bytes,
    typed: str,
    session_ref: str,
    verified_ref: str,
    correlation_id: str,
    now: datetime,
) -> Decision[User, Judged]:
    """One entry of a code, from the session it was issued to. A right code is spent and the
    session replaced by ``verified_ref``, which is OTP-verified (ID-OTP-03)."""
    code = user.otp_code
    if code is None or code.session_ref != session_ref:
        return Decision.nothing(Judged(Entry.NO_CODE))
    fields = user.envelope(user.as_actor, correlation_id, now)
    if now >= code.expires_at:
        expired = OtpVoided(**fields, session_ref=session_ref, reason=OtpVoidReason.EXPIRED)
        return Decision.commit(Judged(Entry.NO_CODE), user.but(otp_code=None), expired)
    if hmac.compare_digest(code_hash(key, user.user_id, code.nonce, typed), code.code_hash):
        verified = OtpVerified(**fields, session_ref=verified_ref)
        return Decision.commit(Judged(Entry.VERIFIED), user.but(otp_code=None), verified)
    wrong = code.wrong_entries + 1
    if wrong >= MAX_WRONG_ENTRIES:
        voided = OtpVoided(
            **fields, session_ref=session_ref, reason=OtpVoidReason.TOO_MANY_FAILURES
        )
        return Decision.commit(Judged(Entry.VOIDED), user.but(otp_code=None), voided)
    counted = user.but(otp_code=replace(code, wrong_entries=wrong))
    return Decision.commit(Judged(Entry.WRONG, MAX_WRONG_ENTRIES - wrong), counted)
