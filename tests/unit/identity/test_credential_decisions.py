"""ID-SESS-03 and ID-LOCK-05 as pure decisions: which events end sessions, the password step a
session owes itself, and a wrong current password counted toward the lock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from identity_people import DEMO, HASH, NOW, OTHER_HASH, user

from contracts import (
    AccountLocked,
    Actor,
    AuthEmailConfirmed,
    AuthEmailReset,
    BrowserBindingReset,
    CurrentPasswordRejected,
    PasswordChanged,
    UserProfileChanged,
    UserStatusChanged,
)
from contracts.common import UserProfile
from contracts.envelope import Event
from contracts.identity import PasswordChangeMethod, PasswordCheckPurpose, ProfileField, UserStatus
from services.identity.domain import credentials, lockout, login_link, self_service
from services.identity.domain.attempts import NewSession, PendingStep
from services.identity.domain.lockout import CurrentPasswordCheck, SessionCheck
from services.identity.domain.refusals import StepsPending
from services.identity.domain.self_service import Rotation
from services.identity.domain.sessions import ABSOLUTE_LIFETIME
from services.identity.domain.users import LoginLink, PendingLogin

CHECK = SessionCheck(PasswordCheckPurpose.PASSWORD_CHANGE, "sref-1", "192.0.2.1", "pytest")


def envelope() -> dict[str, Any]:
    return user().envelope(Actor.system(), "c", NOW)


def profile_changed(*fields: ProfileField) -> UserProfileChanged:
    return UserProfileChanged(
        **envelope(), login_id="XA5000001", profile=UserProfile(), changed_fields=frozenset(fields)
    )


@pytest.mark.parametrize(
    ("event", "ends", "kept"),
    [
        (
            PasswordChanged(**envelope(), method=PasswordChangeMethod.SELF, must_change=False),
            True,
            None,
        ),
        (
            PasswordChanged(**envelope(), method=PasswordChangeMethod.RESET, must_change=True),
            True,
            None,
        ),
        (profile_changed(ProfileField.EMAIL), True, None),
        (profile_changed(ProfileField.LOGIN_ID, ProfileField.PHONE), True, None),
        (profile_changed(ProfileField.DEPARTMENT, ProfileField.PHONE), False, None),
        (
            AuthEmailConfirmed(**envelope(), auth_email="a@example.jp", kept_session="s1"),
            True,
            "s1",
        ),
        (AuthEmailReset(**envelope()), True, None),
        (BrowserBindingReset(**envelope()), True, None),
        (
            UserStatusChanged(
                **envelope(), status=UserStatus.INACTIVE, previous_status=UserStatus.ACTIVE
            ),
            True,
            None,
        ),
        (
            UserStatusChanged(
                **envelope(), status=UserStatus.ACTIVE, previous_status=UserStatus.INACTIVE
            ),
            False,
            None,
        ),
    ],
)
def test_id_sess_03_a_credential_change_ends_the_users_sessions_and_nothing_else_does(
    event: Event, ends: bool, kept: str | None
) -> None:
    assert event.type in credentials.SESSION_ENDING_TYPES
    found = credentials.sessions_ended_by(event)
    assert (found is not None) is bool(ends)
    assert found is None or found.kept_ref == kept


def test_id_sess_03_the_password_step_stays_owed_after_another_session_changed_it() -> None:
    """The user's flag is cleared by someone else's change: this session still owes its own."""
    changed_elsewhere = user(must_change_password=False)
    [step] = login_link.progress(changed_elsewhere, (PendingStep.PASSWORD_CHANGE,), "s1", NOW)
    assert step.state is login_link.StepState.TO_DO
    session = NewSession("s2", 1800, NOW + ABSOLUTE_LIFETIME, "s2" * 32)
    with pytest.raises(StepsPending):
        login_link.complete(
            changed_elsewhere, (PendingStep.PASSWORD_CHANGE,), "s1", session, None, "c", NOW
        )


def test_id_sess_03_a_rotated_pending_login_keeps_its_followed_link() -> None:
    """Found by the dantai-net state machine: a pending login that followed its link, then
    changed the password (its session rotated), could no longer complete."""
    followed = LoginLink("hash", "old", NOW, NOW + timedelta(minutes=10), confirmed=True)
    waiting = user(pending_login=PendingLogin("old", NOW), login_link=followed)
    decided = self_service.change_own_password(
        waiting, HASH, OTHER_HASH, None, "c", NOW, rotation=Rotation("old", "new")
    )
    assert decided.state is not None and decided.state.login_link is not None
    assert decided.state.login_link == replace(followed, session_ref="new")


def test_id_sess_03_a_rotated_pending_login_keeps_its_place() -> None:
    waiting = user(must_change_password=True, pending_login=PendingLogin("old", NOW))
    decided = self_service.change_own_password(
        waiting, HASH, OTHER_HASH, None, "c", NOW, rotation=Rotation("old", "new")
    )
    assert decided.state is not None and decided.state.pending_login is not None
    assert decided.state.pending_login.session_ref == "new"
    elsewhere = self_service.change_own_password(
        waiting, HASH, OTHER_HASH, None, "c", NOW, rotation=Rotation("other", "new")
    )
    assert elsewhere.state is not None and elsewhere.state.pending_login is not None
    assert elsewhere.state.pending_login.session_ref == "old", "not its pending login"


def test_id_lock_05_a_wrong_current_password_counts_and_the_third_locks() -> None:
    first = lockout.wrong_current_password(user(), HASH, CHECK, DEMO, "c", NOW)
    assert first.outcome is CurrentPasswordCheck.COUNTED
    assert first.state is not None and (first.state.failures, first.state.locked) == (1, False)
    [rejected] = first.events
    assert isinstance(rejected, CurrentPasswordRejected) and not rejected.locked
    third = lockout.wrong_current_password(user(failures=2), HASH, CHECK, DEMO, "c", NOW)
    assert third.outcome is CurrentPasswordCheck.LOCKED
    assert third.state is not None and third.state.locked
    rejected, locked = third.events
    assert isinstance(rejected, CurrentPasswordRejected) and rejected.locked
    assert isinstance(locked, AccountLocked) and locked.actor == Actor.system()
    assert credentials.sessions_ended_by(rejected) is not None


def test_id_lock_05_a_password_changed_since_the_check_is_checked_again() -> None:
    decided = lockout.wrong_current_password(user(), OTHER_HASH, CHECK, DEMO, "c", NOW)
    assert decided.outcome is CurrentPasswordCheck.CHANGED_MEANWHILE
    assert decided.state is None and not decided.events


def test_id_lock_02_a_correct_current_password_restarts_the_count() -> None:
    decided = self_service.change_own_password(user(failures=2), HASH, OTHER_HASH, None, "c", NOW)
    assert decided.state is not None and decided.state.failures == 0


def test_id_lock_05_id_lock_03_a_check_that_finds_the_account_locked_counts_nothing() -> None:
    decided = lockout.wrong_current_password(
        user(locked=True, failures=3), HASH, CHECK, DEMO, "c", NOW
    )
    assert decided.outcome is CurrentPasswordCheck.ALREADY_LOCKED
    assert decided.state is None and not decided.events
