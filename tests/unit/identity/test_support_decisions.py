"""ID-LOCK-04 as pure decisions: the support desk locks an admin on purpose (its sessions end,
from the event too) and unlocks it with the password as it was; neither repeats itself."""

from __future__ import annotations

from identity_people import NOW, user

from contracts import AccountLocked, AccountUnlocked, Actor, ActorKind
from contracts.identity import LockReason, UnlockReason
from services.identity.domain import accounts, credentials

SUPPORT = Actor(kind=ActorKind.SUPPORT, id="sup-1")


def test_id_lock_04_a_lock_on_purpose_is_announced_with_its_reason_and_ends_sessions() -> None:
    decided = accounts.lock(user(), SUPPORT, "c", NOW, note="電話で依頼")
    assert decided.state is not None and decided.state.locked
    [event] = decided.events
    assert isinstance(event, AccountLocked)
    assert (event.reason, event.note, event.actor) == (
        LockReason.ADMINISTRATIVE,
        "電話で依頼",
        SUPPORT,
    )
    assert credentials.sessions_ended_by(event) == credentials.SessionsEnd()
    assert accounts.lock(decided.state, SUPPORT, "c", NOW).events == (), "locked already"


def test_id_lock_04_a_lock_of_failures_keeps_the_sessions_it_did_not_open() -> None:
    failures = AccountLocked(
        **user().envelope(Actor.system(), "c", NOW),
        reason=LockReason.CONSECUTIVE_FAILURES,
        consecutive_failures=3,
    )
    assert credentials.sessions_ended_by(failures) is None


def test_id_lock_04_an_unlock_keeps_the_password_and_resets_the_count() -> None:
    locked = user().but(locked=True, failures=3)
    decided = accounts.unlock(locked, SUPPORT, "c", NOW)
    assert decided.state is not None
    assert (decided.state.locked, decided.state.failures) == (False, 0)
    assert decided.state.password_hash == locked.password_hash
    assert not decided.state.must_change_password
    [event] = decided.events
    assert isinstance(event, AccountUnlocked) and event.reason is UnlockReason.UNLOCK
    assert credentials.sessions_ended_by(event) is None
    assert accounts.unlock(user(), SUPPORT, "c", NOW).events == (), "not locked"
