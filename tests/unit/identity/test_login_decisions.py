"""ID-LOGIN-01's decision and lockout, decided from state, an attempt and the time alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from identity_people import DEMO, NOW, OTHER_HASH, SHADOWS, attempt, user

from contracts.identity import LoginFailureReason, UserStatus
from services.identity.domain import lockout, login, temporary
from services.identity.domain.attempts import LoginAnswer, NewSession, PendingStep
from services.identity.domain.users import TemporaryPassword


def test_id_lock_01_the_third_consecutive_failure_locks_and_says_so() -> None:
    current = user()
    answers = []
    for _ in range(3):
        decided = login.attempt(current, attempt(False), DEMO)
        assert decided.state is not None
        current = decided.state
        answers.append(decided.outcome.answer)
    assert answers == [LoginAnswer.INVALID_CREDENTIALS] * 2 + [LoginAnswer.LOCKED]
    assert current.locked and current.failures == 3
    assert [e.type for e in decided.events] == ["LoginFailed", "AccountLocked"]


def test_id_lock_02_a_correct_password_resets_the_count_but_not_a_lock() -> None:
    two_down = user(failures=2)
    decided = login.attempt(two_down, attempt(True), DEMO)
    assert decided.outcome.answer is LoginAnswer.SUCCEEDED
    assert decided.state is not None and decided.state.failures == 0
    locked = login.attempt(user(failures=3, locked=True), attempt(True), DEMO)
    assert locked.outcome.answer is LoginAnswer.LOCKED, "step 4 comes before the password"
    assert [e.type for e in locked.events] == ["LoginFailed"], "on the audit trail all the same"


def test_id_user_05_an_inactive_user_hears_it_only_after_a_correct_password() -> None:
    inactive = user(status=UserStatus.INACTIVE)
    assert login.attempt(inactive, attempt(False), DEMO).outcome.answer is (
        LoginAnswer.INVALID_CREDENTIALS
    )
    assert login.attempt(inactive, attempt(True), DEMO).outcome.answer is LoginAnswer.DISABLED


def test_id_user_08_a_former_login_id_is_not_this_users_whatever_the_password() -> None:
    renamed = user(login_id="kyosai-taro2")
    decided = login.attempt(renamed, attempt(True, login_id="XA5000001"), DEMO)
    assert decided.outcome.answer is LoginAnswer.NOT_THIS_USER
    assert decided.state is None and not decided.events, "nothing is committed on the user"


def test_x_13_a_password_checked_against_an_older_hash_is_checked_again() -> None:
    changed = user(password_hash=OTHER_HASH)
    decided = login.attempt(changed, attempt(True), DEMO)
    assert decided.outcome.answer is LoginAnswer.CREDENTIALS_CHANGED_MEANWHILE
    assert decided.state is None


def test_id_pw_03_an_initial_password_leaves_the_password_change_pending() -> None:
    decided = login.attempt(user(must_change_password=True), attempt(True), DEMO)
    assert decided.outcome.pending == (PendingStep.PASSWORD_CHANGE,)
    started = [e for e in decided.events if e.type == "SessionStarted"]
    assert started == [], "no session was asked for"
    with_session = login.attempt(
        user(must_change_password=True),
        attempt(True, session=NewSession("ref", 1800, NOW + timedelta(hours=12), "ref0" * 16)),
        DEMO,
    )
    assert [e.type for e in with_session.events] == ["LoginSucceeded", "SessionStarted"]


def test_id_pw_05_a_temporary_password_works_once_and_forces_a_change() -> None:
    outstanding = TemporaryPassword(
        temporary.secret_hash("u1", "tmp-secret"), NOW + temporary.LIFETIME
    )
    holder = user(temporary_password=outstanding)
    via = attempt(False, typed="tmp-secret", new_hash="$argon2id$tmp")
    decided = login.attempt(holder, via, DEMO)
    assert decided.outcome.answer is LoginAnswer.SUCCEEDED
    assert decided.state is not None
    assert decided.state.temporary_password is None and decided.state.must_change_password
    assert decided.state.password_hash == "$argon2id$tmp"
    again = login.attempt(
        decided.state, attempt(True, typed="tmp-secret", verified_hash="$argon2id$tmp"), DEMO
    )
    assert again.outcome.answer is LoginAnswer.INVALID_CREDENTIALS, "used up"


def test_id_pw_05_an_expired_temporary_password_is_a_wrong_password() -> None:
    expired = TemporaryPassword(temporary.secret_hash("u1", "tmp-secret"), NOW)
    decided = login.attempt(
        user(temporary_password=expired), attempt(False, typed="tmp-secret"), DEMO
    )
    assert decided.outcome.answer is LoginAnswer.INVALID_CREDENTIALS


def test_id_login_01_an_unknown_id_fails_and_locks_like_a_known_one() -> None:
    shadow = lockout.shadow_id(b"key", "demo", "XA3nobody", SHADOWS.slots)
    slot = None
    answers = []
    for _ in range(4):
        decided = lockout.attempt_unknown(slot, shadow, attempt(False), DEMO, SHADOWS)
        slot = decided.state
        answers.append(decided.outcome.answer)
    assert answers == [LoginAnswer.INVALID_CREDENTIALS] * 2 + [LoginAnswer.LOCKED] * 2
    first = lockout.attempt_unknown(None, shadow, attempt(False), DEMO, SHADOWS)
    failed = first.events[0]
    assert failed.type == "LoginFailed"
    assert failed.reason is LoginFailureReason.UNKNOWN_LOGIN_ID  # type: ignore[attr-defined]
    assert len(failed.subject_id) <= 128


@pytest.mark.parametrize("length", [1, 128, 129, 254])
def test_x_05_an_unknown_id_of_any_admitted_length_has_a_bounded_subject(length: int) -> None:
    shadow = lockout.shadow_id(b"key", "dantai-net", "X" * length, SHADOWS.slots)
    decided = lockout.attempt_unknown(
        None, shadow, attempt(False, login_id="X" * length), DEMO, SHADOWS
    )
    assert decided.events[0].subject_id == shadow.subject_id
    assert "X" * 10 not in shadow.subject_id, "the subject is a digest, not the ID"


def test_x_14_a_full_slot_of_fresh_locks_answers_newcomers_locked_and_keeps_every_lock() -> None:
    shadows = lockout.ShadowPolicy(slots=1, capacity=2, lock_period=timedelta(days=90))
    slot = None
    for name in ("a", "b"):
        shadow = lockout.shadow_id(b"key", "demo", name, 1)
        for _ in range(3):
            slot = lockout.attempt_unknown(slot, shadow, attempt(False), DEMO, shadows).state
    assert slot is not None and all(c.locked for c in slot.counts)
    newcomer = lockout.shadow_id(b"key", "demo", "c", 1)
    decided = lockout.attempt_unknown(slot, newcomer, attempt(False), DEMO, shadows)
    assert decided.outcome.answer is LoginAnswer.LOCKED
    assert decided.state is not None and len(decided.state.counts) == 2, "bounded"
    kept = lockout.shadow_id(b"key", "demo", "a", 1)
    assert (
        lockout.attempt_unknown(decided.state, kept, attempt(False), DEMO, shadows).outcome.answer
        is LoginAnswer.LOCKED
    )


def test_x_14_an_unlocked_count_makes_room_but_a_lock_lasts_its_period() -> None:
    shadows = lockout.ShadowPolicy(slots=1, capacity=1, lock_period=timedelta(days=90))
    locked_id = lockout.shadow_id(b"key", "demo", "locked", 1)
    slot = None
    for _ in range(3):
        slot = lockout.attempt_unknown(slot, locked_id, attempt(False), DEMO, shadows).state
    later = attempt(False, now=NOW + timedelta(days=89))
    newcomer = lockout.shadow_id(b"key", "demo", "new", 1)
    still = lockout.attempt_unknown(slot, newcomer, later, DEMO, shadows)
    assert still.outcome.answer is LoginAnswer.LOCKED, "the lock is 89 days old: kept"
    after = attempt(False, now=NOW + timedelta(days=90))
    freed = lockout.attempt_unknown(slot, newcomer, after, DEMO, shadows)
    assert freed.outcome.answer is LoginAnswer.INVALID_CREDENTIALS, "past its period"
    assert freed.state is not None and [c.digest for c in freed.state.counts] == [newcomer.digest]
