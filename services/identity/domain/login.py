"""The login decision (ID-LOGIN-01 steps 4-9): pure, no I/O.

Steps 1-3 (half-width, maintenance, lookup) run before, in the login use case. After a correct
password on an active user, steps 7-9 do not refuse: each is a ``PendingStep`` the session must
complete before it may do anything else, decided in the contract's order by ``pending_steps``.

The password is verified *before* the decision (argon2 is slow and must not run inside a retry
loop); the decision then runs against the latest version of the user and is committed with the
versioned store, so parallel attempts are counted exactly (ID-LOCK-03, X-13). Everything a rule
needs is checked here, on the version being committed: that the login ID is still the user's
(ID-USER-08), that the password was checked against the hash in force, the lock, the status.
"""

from __future__ import annotations

from typing import Any

from contracts import LoginSucceeded, SessionStarted
from contracts.envelope import Event
from contracts.identity import LoginFailureReason
from domainkit.decision import Decision
from services.identity.domain import lockout, login_link, temporary
from services.identity.domain.attempts import (
    LoginAnswer,
    LoginAttempt,
    LoginResult,
    PendingStep,
)
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.session_lists import Listed, listed_with
from services.identity.domain.sessions import expiry_hour
from services.identity.domain.users import PendingLogin, User


def pending_steps(user: User, policy: RealmPolicy) -> tuple[PendingStep, ...]:
    """Steps 7-9 for a user who gave the right password, in the contract's order."""
    steps: list[PendingStep] = []
    if user.must_change_password:
        steps.append(PendingStep.PASSWORD_CHANGE)
    if policy.browser_binding and user.browser_binding is None:
        steps.append(PendingStep.BROWSER_REGISTRATION)
    if policy.email_authentication:
        if not (user.auth_email and user.auth_email.confirmed):
            steps.append(PendingStep.AUTH_EMAIL_ADDRESS)
        steps.append(PendingStep.LOGIN_LINK)
    return tuple(steps)


def attempt(user: User, attempt: LoginAttempt, policy: RealmPolicy) -> Decision[User, LoginResult]:
    """Decide one attempt on a known user: locked, wrong, disabled, or succeeded."""
    if user.login_id != attempt.login_id:
        return Decision.nothing(LoginResult(LoginAnswer.NOT_THIS_USER))
    fields = user.envelope(user.as_actor, attempt.correlation_id, attempt.now)
    if user.locked:  # step 4: a locked account is refused before its password counts
        refused = lockout.failed(fields, attempt, LoginFailureReason.ACCOUNT_LOCKED, user.failures)
        count = user.refused_while_locked + 1
        return Decision.commit(
            LoginResult(LoginAnswer.LOCKED), user.but(refused_while_locked=count), refused
        )
    if user.password_hash != attempt.verified_hash:
        return Decision.nothing(LoginResult(LoginAnswer.CREDENTIALS_CHANGED_MEANWHILE))
    via_temporary = not attempt.password_ok and temporary.matches(
        user, attempt.secret_hash, attempt.now
    )
    if via_temporary and attempt.new_hash is None:  # issued after the caller looked
        return Decision.nothing(LoginResult(LoginAnswer.CREDENTIALS_CHANGED_MEANWHILE))
    used_up = user.password_is_temporary and not via_temporary  # a temporary one works once
    if used_up or not (attempt.password_ok or via_temporary):  # step 5
        return lockout.count_failure(user, fields, attempt, policy)
    if not user.active:  # step 6: told only after a correct password
        disabled = lockout.failed(fields, attempt, LoginFailureReason.ACCOUNT_DISABLED, 0)
        return Decision.commit(LoginResult(LoginAnswer.DISABLED), user.but(failures=0), disabled)
    if policy.browser_binding and user.browser_binding not in (None, attempt.browser):
        # step 8: another browser; not a wrong password, so not counted (ID-BIND-02)
        mismatch = lockout.failed(
            fields, attempt, LoginFailureReason.BROWSER_MISMATCH, user.failures
        )
        return Decision.commit(LoginResult(LoginAnswer.BROWSER_MISMATCH), user, mismatch)
    return _succeeded(user, fields, attempt, via_temporary, policy)


def _succeeded(
    user: User,
    fields: dict[str, Any],
    attempt: LoginAttempt,
    via_temporary: bool,
    policy: RealmPolicy,
) -> Decision[User, LoginResult]:
    new = user.but(failures=0, last_login_at=attempt.now)
    if via_temporary:  # consumed: from now on it only serves the forced change
        assert attempt.new_hash is not None
        new = new.but(
            password_hash=attempt.new_hash,
            password_is_temporary=True,
            must_change_password=True,
            temporary_password=None,
        )
    elif attempt.new_hash is not None:  # ID-PW-01: upgrade the hash while the password is at hand
        new = new.but(password_hash=attempt.new_hash)
        if user.initial_password_hash == user.password_hash:
            new = new.but(initial_password_hash=attempt.new_hash)
    events: list[Event] = [
        LoginSucceeded(
            **fields,
            login_id=attempt.login_id,
            ip=attempt.ip,
            user_agent=attempt.user_agent,
            previous_login_at=user.last_login_at,
            channel=attempt.channel,
        )
    ]
    pending = pending_steps(new, policy)
    crowded: tuple[Listed, ...] = ()
    if attempt.session is not None:  # listed before it exists (decision 0020)
        begins = Listed(attempt.session.key, expiry_hour(attempt.session.expires_at), attempt.now)
        listed, crowded = listed_with(new.sessions, begins, attempt.now)
        new = new.but(sessions=listed)
    if PendingStep.LOGIN_LINK in pending and attempt.session is not None:
        # a pending login (the waiting screen); step 9 is reached now if nothing comes first
        new = new.but(pending_login=PendingLogin(attempt.session.ref, attempt.now))
        reached = login_link.reach(new, attempt.login_link, fields, attempt.now)
        new = reached.state or new
        events.extend(reached.events)
    if attempt.session is not None:
        events.append(
            SessionStarted(
                **fields,
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
        user=new,
        previous_login_at=user.last_login_at,
        pending=pending,
        crowded_out=crowded,
    )
    return Decision(result, new, tuple(events))
