"""The login decision (ID-LOGIN-01 steps 4-9) and lockout (ID-LOCK-01..03): pure, no I/O.

Steps 1-3 (half-width, maintenance, lookup) run before: the route checks the first two and the
use case resolves the login ID. After a correct password on an active user, steps 7-9 do not
refuse: each is a ``PendingStep`` the session must complete before it may do anything else,
decided in the contract's order by ``pending_steps``.

The password is verified *before* the decision (argon2 is slow and must not run inside a retry
loop); the decision then runs against the latest version of the user and is committed with the
versioned store, so parallel attempts are counted exactly (ID-LOCK-03, X-13): two failures
decided from the same version race for the same next version, and the loser decides again from
the winner's count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any

from contracts import AccountLocked, Actor, ActorKind, LoginFailed, LoginSucceeded, SessionStarted
from contracts.envelope import Event
from contracts.identity import LockReason, LoginFailureReason
from servicekit.store import Change, Loaded
from services.identity.realms import RealmPolicy
from services.identity.temporary import usable_hash


class LoginAnswer(Enum):
    SUCCEEDED = "succeeded"
    INVALID_CREDENTIALS = "invalid_credentials"
    LOCKED = "locked"
    DISABLED = "disabled"
    PASSWORD_CHANGED_MEANWHILE = "password_changed_meanwhile"  # noqa: S105 - an answer, not a secret


class PendingStep(StrEnum):
    """What a session must still do before it is a full one (ID-LOGIN-01 steps 7-9, in order).

    Step 8, browser binding (ID-BIND), and step 9, e-mail authentication (ID-MAIL), join as
    members after ``PASSWORD_CHANGE``, each decided in ``pending_steps`` by its realm's policy.
    """

    PASSWORD_CHANGE = "password_change"  # noqa: S105 - a step's name, not a secret
    """Step 7: an initial or temporary password must be replaced first (ID-PW-03)."""


def pending_steps(user: dict[str, Any]) -> tuple[PendingStep, ...]:
    """Steps 7-9 for a user who gave the right password, in the contract's order."""
    steps: list[PendingStep] = []
    if user.get("must_change_password"):
        steps.append(PendingStep.PASSWORD_CHANGE)
    return tuple(steps)


@dataclass(frozen=True)
class LoginAttempt:
    realm: str
    login_id: str
    password_ok: bool
    verified_hash: str | None
    """The hash the password was checked against; ``None`` for an unknown login ID."""
    ip: str | None
    user_agent: str | None
    correlation_id: str
    now: datetime
    session: NewSession | None = None
    """The session to announce if the attempt succeeds (its id is chosen before deciding)."""
    rehashed: str | None = None
    """The same password hashed with the current parameters, when the stored hash is older."""
    via_temporary: bool = False
    """The password matched the user's temporary password (ID-PW-05), not the real one."""


@dataclass(frozen=True)
class NewSession:
    ref: str
    idle_timeout_seconds: int
    expires_at: datetime


@dataclass(frozen=True)
class LoginResult:
    answer: LoginAnswer
    user_id: str | None = None
    org_id: str | None = None
    role: str | None = None
    previous_login_at: datetime | None = None
    pending: tuple[PendingStep, ...] = ()
    """Steps 7-9 the new session must complete first; none: a full session (step 10)."""
    readable_org_ids: tuple[str, ...] = ()

    @property
    def must_change_password(self) -> bool:
        return PendingStep.PASSWORD_CHANGE in self.pending


def shadow_aggregate_id(realm: str, login_id: str) -> str:
    """Where failures of an unknown login ID are counted, so it locks like a real one."""
    return f"shadow:{realm}:{login_id}"


def attempt_login(
    current: Loaded, attempt: LoginAttempt, policy: RealmPolicy
) -> Change[LoginResult]:
    """Decide one attempt on a real user: locked, wrong, disabled, or succeeded."""
    state = current.state
    assert state is not None, "the caller resolved the login ID to an existing user"
    actor = Actor(kind=ActorKind.USER, id=state["user_id"])
    envelope = _envelope(state["user_id"], state.get("org_id"), attempt, actor)
    if state["locked"]:  # step 4: a locked account is refused before its password counts
        return _refused(
            state, attempt, envelope, LoginFailureReason.ACCOUNT_LOCKED, LoginAnswer.LOCKED
        )
    expected = usable_hash(state, attempt.now) if attempt.via_temporary else state["password_hash"]
    if expected != attempt.verified_hash:
        return Change.nothing(LoginResult(LoginAnswer.PASSWORD_CHANGED_MEANWHILE))
    used_up = state.get("password_is_temporary") and not attempt.via_temporary
    if not attempt.password_ok or used_up:  # step 5; a temporary password works once
        return count_failure(state, attempt, envelope, policy)
    if state["status"] != "active":  # step 6: told only after a correct password
        new = {**state, "failures": 0}
        failed = LoginFailed(
            **envelope,
            login_id=attempt.login_id,
            reason=LoginFailureReason.ACCOUNT_DISABLED,
            consecutive_failures=0,
            ip=attempt.ip,
            user_agent=attempt.user_agent,
        )
        return Change(LoginResult(LoginAnswer.DISABLED), new, [failed])
    previous = state.get("last_login_at")
    new = {**state, "failures": 0, "last_login_at": attempt.now}
    if attempt.via_temporary:  # consumed: from now on it only serves the forced change
        new.update(
            password_hash=attempt.verified_hash,
            password_is_temporary=True,
            must_change_password=True,
            temporary_password=None,
        )
    elif attempt.rehashed is not None:  # ID-PW-01: upgrade the hash while the password is at hand
        new["password_hash"] = attempt.rehashed
        if state.get("initial_password_hash") == state["password_hash"]:
            new["initial_password_hash"] = attempt.rehashed
    succeeded = LoginSucceeded(
        **envelope,
        login_id=attempt.login_id,
        ip=attempt.ip,
        user_agent=attempt.user_agent,
        previous_login_at=previous,
    )
    events: list[Event] = [succeeded]
    pending = pending_steps(new)
    if attempt.session is not None:
        events.append(
            SessionStarted(
                **envelope,
                session_ref=attempt.session.ref,
                restricted=bool(pending),
                idle_timeout_seconds=attempt.session.idle_timeout_seconds,
                expires_at=attempt.session.expires_at,
                ip=attempt.ip,
                user_agent=attempt.user_agent,
            )
        )
    result = LoginResult(
        LoginAnswer.SUCCEEDED,
        user_id=state["user_id"],
        org_id=state.get("org_id"),
        role=state["role"],
        previous_login_at=previous,
        pending=pending,
        readable_org_ids=tuple(state.get("readable_org_ids", ())),
    )
    return Change(result, new, events)


def attempt_unknown_login(
    current: Loaded, attempt: LoginAttempt, policy: RealmPolicy
) -> Change[LoginResult]:
    """An unknown login ID fails and locks exactly like a wrong password (no enumeration)."""
    state = current.state or {
        "user_id": current.aggregate_id,
        "org_id": None,
        "failures": 0,
        "locked": False,
    }
    envelope = _envelope(current.aggregate_id, None, attempt, Actor.system())
    if state["locked"]:
        return _refused(
            state, attempt, envelope, LoginFailureReason.ACCOUNT_LOCKED, LoginAnswer.LOCKED
        )
    return count_failure(
        state, attempt, envelope, policy, reason=LoginFailureReason.UNKNOWN_LOGIN_ID
    )


def count_failure(
    state: dict[str, Any],
    attempt: LoginAttempt,
    envelope: dict[str, Any],
    policy: RealmPolicy,
    reason: LoginFailureReason = LoginFailureReason.INVALID_CREDENTIALS,
) -> Change[LoginResult]:
    """One more consecutive failure; the one that reaches the threshold locks (ID-LOCK-01)."""
    failures = state["failures"] + 1
    locks = failures >= policy.lock_threshold
    events: list[Event] = [
        LoginFailed(
            **envelope,
            login_id=attempt.login_id,
            reason=reason,
            consecutive_failures=failures,
            ip=attempt.ip,
            user_agent=attempt.user_agent,
        )
    ]
    if locks:
        events.append(
            AccountLocked(  # the realm's policy locks, not the person typing (ID-LOCK-04)
                **{**envelope, "actor": Actor.system()},
                reason=LockReason.CONSECUTIVE_FAILURES,
                consecutive_failures=failures,
                ip=attempt.ip,
                user_agent=attempt.user_agent,
            )
        )
    answer = LoginAnswer.LOCKED if locks else LoginAnswer.INVALID_CREDENTIALS
    return Change(LoginResult(answer), {**state, "failures": failures, "locked": locks}, events)


def _refused(
    state: dict[str, Any],
    attempt: LoginAttempt,
    envelope: dict[str, Any],
    reason: LoginFailureReason,
    answer: LoginAnswer,
) -> Change[LoginResult]:
    """Recorded as an event too: every attempt on a locked account is on the audit trail."""
    refused = LoginFailed(
        **envelope,
        login_id=attempt.login_id,
        reason=reason,
        consecutive_failures=state["failures"],
        ip=attempt.ip,
        user_agent=attempt.user_agent,
    )
    return Change(
        LoginResult(answer),
        {**state, "refused_while_locked": state.get("refused_while_locked", 0) + 1},
        [refused],
    )


def _envelope(
    subject_id: str, org_id: str | None, attempt: LoginAttempt, actor: Actor
) -> dict[str, Any]:
    return {
        "occurred_at": attempt.now,
        "realm": attempt.realm,
        "org_id": org_id,
        "subject_id": subject_id,
        "actor": actor,
        "correlation_id": attempt.correlation_id,
    }
