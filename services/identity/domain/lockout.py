"""Lockout (ID-LOCK-01..03), for known users and for login IDs nobody has.

An unknown login ID must fail and lock exactly like a known one (ID-LOGIN-01 step 3), so its
failures are counted too, on *shadow counts*. Storage must not grow with what strangers send
(X-14), so the counts live in a fixed number of slots, each a small aggregate:

- a login ID is known to the slots only by a keyed digest (HMAC with a server key), which picks
  its slot; without the key nobody can aim many IDs at one slot;
- a slot holds at most ``capacity`` counts. A new ID in a full slot takes the place of the
  unlocked count idle the longest, or of a lock older than the lock period;
- a count is kept for at least ``lock_period`` after the last attempt on it, so within that
  period a locked unknown ID answers ``ACCOUNT_LOCKED`` as a real lock does (and keeps doing so
  while anyone keeps trying it);
- when a slot holds nothing but fresh locks, a new ID in it is answered ``ACCOUNT_LOCKED``:
  filling every slot with locks is what a stranger must pay to tell unknown IDs apart (the
  README's security notes give the cost).

Slots are aggregates of the versioned store, so parallel attempts on one slot count exactly
(ID-LOCK-03, X-13). Expired counts are dropped whenever their slot is written: no purge job is
needed, and none could drop a lock early.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from contracts import AccountLocked, Actor, CurrentPasswordRejected, LoginFailed
from contracts.envelope import Event
from contracts.identity import LockReason, LoginFailureReason, PasswordCheckPurpose
from domainkit.decision import Decision, envelope
from services.identity.domain.attempts import LoginAnswer, LoginAttempt, LoginResult
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.users import User


def failed(
    fields: dict[str, Any], attempt: LoginAttempt, reason: LoginFailureReason, count: int
) -> LoginFailed:
    """The record of a failed attempt: every attempt is on the audit trail (ID-LOGIN-02)."""
    return LoginFailed(
        **fields,
        login_id=attempt.login_id,
        reason=reason,
        consecutive_failures=count,
        ip=attempt.ip,
        user_agent=attempt.user_agent,
        channel=attempt.channel,
    )


def _failure_events(
    fields: dict[str, Any],
    attempt: LoginAttempt,
    reason: LoginFailureReason,
    failures: int,
    locks: bool,
) -> tuple[Event, ...]:
    if not locks:
        return (failed(fields, attempt, reason, failures),)
    locked = AccountLocked(  # the realm's policy locks, not the person typing (ID-LOCK-04)
        **{**fields, "actor": Actor.system()},
        reason=LockReason.CONSECUTIVE_FAILURES,
        consecutive_failures=failures,
        ip=attempt.ip,
        user_agent=attempt.user_agent,
    )
    return failed(fields, attempt, reason, failures), locked


def count_failure(
    user: User, fields: dict[str, Any], attempt: LoginAttempt, policy: RealmPolicy
) -> Decision[User, LoginResult]:
    """One more consecutive failure; the one that reaches the threshold locks (ID-LOCK-01)."""
    failures = user.failures + 1
    locks = failures >= policy.lock_threshold
    events = _failure_events(
        fields, attempt, LoginFailureReason.INVALID_CREDENTIALS, failures, locks
    )
    answer = LoginAnswer.LOCKED if locks else LoginAnswer.INVALID_CREDENTIALS
    return Decision(LoginResult(answer), user.but(failures=failures, locked=locks), events)


class CurrentPasswordCheck(Enum):
    """How a wrong current password given inside a session was counted (ID-LOCK-05)."""

    COUNTED = "counted"
    LOCKED = "locked"
    """This failure reached the threshold."""
    CHANGED_MEANWHILE = "changed_meanwhile"
    """The password changed after it was checked: check again against the one in force."""
    ALREADY_LOCKED = "already_locked"
    """Locked after it was checked (a parallel check locked it): refused, not counted."""


@dataclass(frozen=True)
class SessionCheck:
    """Who checked the current password, and what for: a session, from a client."""

    purpose: PasswordCheckPurpose
    session_ref: str
    ip: str | None = None
    user_agent: str | None = None


def wrong_current_password(
    user: User,
    verified_hash: str,
    check: SessionCheck,
    policy: RealmPolicy,
    correlation_id: str,
    now: datetime,
) -> Decision[User, CurrentPasswordCheck]:
    """A wrong current password given to confirm a change counts like a failed login
    (ID-LOCK-05), exactly under concurrency since it is a commit of the user (ID-LOCK-03); the
    one that reaches the threshold locks, and its event ends the user's sessions."""
    if user.locked:
        return Decision.nothing(CurrentPasswordCheck.ALREADY_LOCKED)
    if user.password_hash != verified_hash:
        return Decision.nothing(CurrentPasswordCheck.CHANGED_MEANWHILE)
    failures = user.failures + 1
    locks = failures >= policy.lock_threshold
    fields = user.envelope(user.as_actor, correlation_id, now)
    events: list[Event] = [
        CurrentPasswordRejected(
            **fields,
            purpose=check.purpose,
            consecutive_failures=failures,
            session_ref=check.session_ref,
            locked=locks,
            ip=check.ip,
            user_agent=check.user_agent,
        )
    ]
    if locks:
        events.append(
            AccountLocked(
                **{**fields, "actor": Actor.system()},
                reason=LockReason.CONSECUTIVE_FAILURES,
                consecutive_failures=failures,
                ip=check.ip,
                user_agent=check.user_agent,
            )
        )
    answer = CurrentPasswordCheck.LOCKED if locks else CurrentPasswordCheck.COUNTED
    return Decision(answer, user.but(failures=failures, locked=locks), tuple(events))


# --- shadow counts of unknown login IDs ------------------------------------------------------


@dataclass(frozen=True)
class ShadowPolicy:
    """How shadow counts are bounded (X-14); settings, with the defaults docs/identity gives."""

    slots: int
    capacity: int
    """Counts one slot keeps."""
    lock_period: timedelta
    """How long a shadow lock is kept after the last attempt on it, at least."""


@dataclass(frozen=True)
class ShadowId:
    """Where an unknown login ID is counted: a slot, and the ID's digest within it."""

    realm: str
    slot: int
    digest: str

    @property
    def subject_id(self) -> str:
        """The subject of its events: stable per login ID, bounded in length, not the ID."""
        return f"unknown:{self.realm}:{self.digest}"


def shadow_id(key: bytes, realm: str, login_id: str, slots: int) -> ShadowId:
    """The keyed digest of a login ID, and its slot."""
    mac = hmac.new(key, f"{realm}\0{login_id}".encode(), hashlib.sha256).digest()
    return ShadowId(realm, int.from_bytes(mac[:8], "big") % slots, mac[8:24].hex())


def shadow_aggregate_id(shadow: ShadowId) -> str:
    return f"shadow:{shadow.realm}:{shadow.slot}"


@dataclass(frozen=True)
class ShadowCount:
    digest: str
    failures: int
    locked: bool
    last_attempt_at: datetime


@dataclass(frozen=True)
class ShadowSlot:
    realm: str
    slot: int
    counts: tuple[ShadowCount, ...] = ()


def attempt_unknown(
    slot: ShadowSlot | None,
    shadow: ShadowId,
    attempt: LoginAttempt,
    policy: RealmPolicy,
    shadows: ShadowPolicy,
) -> Decision[ShadowSlot, LoginResult]:
    """An unknown login ID fails and locks exactly like a wrong password (no enumeration)."""
    now = attempt.now
    live = tuple(
        c for c in (slot.counts if slot else ()) if now - c.last_attempt_at < shadows.lock_period
    )
    current = next((c for c in live if c.digest == shadow.digest), None)
    others = tuple(c for c in live if c.digest != shadow.digest)
    fields = envelope(
        attempt.realm, None, shadow.subject_id, Actor.system(), attempt.correlation_id, now
    )
    new_slot = ShadowSlot(shadow.realm, shadow.slot)
    if current is None and len(others) >= shadows.capacity:
        unlocked = sorted((c for c in others if not c.locked), key=lambda c: c.last_attempt_at)
        if not unlocked:  # a slot of fresh locks: every newcomer is answered as locked
            refused = failed(
                fields, attempt, LoginFailureReason.ACCOUNT_LOCKED, policy.lock_threshold
            )
            return Decision.commit(
                LoginResult(LoginAnswer.LOCKED), replace(new_slot, counts=others), refused
            )
        others = tuple(c for c in others if c is not unlocked[0])
    if current is not None and current.locked:
        kept = replace(current, last_attempt_at=now)
        refused = failed(fields, attempt, LoginFailureReason.ACCOUNT_LOCKED, current.failures)
        return Decision.commit(
            LoginResult(LoginAnswer.LOCKED), replace(new_slot, counts=(*others, kept)), refused
        )
    failures = (current.failures if current else 0) + 1
    locks = failures >= policy.lock_threshold
    count = ShadowCount(shadow.digest, failures, locks, now)
    events = _failure_events(fields, attempt, LoginFailureReason.UNKNOWN_LOGIN_ID, failures, locks)
    answer = LoginAnswer.LOCKED if locks else LoginAnswer.INVALID_CREDENTIALS
    return Decision(LoginResult(answer), replace(new_slot, counts=(*others, count)), events)
