"""ID-PW-08's decisions from state, the request and the time alone: the link to the registered
address (never to what was typed), one version with one event whatever the request names, one
hour, used once, the lock lifted."""

from __future__ import annotations

from datetime import datetime, timedelta

from identity_people import NOW, OTHER_HASH, user

from contracts import generate_keypair, seal
from contracts.common import Role
from contracts.identity import (
    LinkPurpose,
    PasswordChangeMethod,
    PasswordResetDeclineReason,
    UnlockReason,
)
from services.identity.domain import lockout, password_reset
from services.identity.domain.password_reset import Outcome
from services.identity.domain.users import User

PUBLIC, _ = generate_keypair()
MEMBERS = frozenset({Role.MEMBER})
MEMBER = user(Role.MEMBER, realm="kencom", login_id="Taro@example.jp")


def asked(login_id: str = "Taro@example.jp", now: datetime = NOW) -> password_reset.Request:
    return password_reset.Request(
        login_id=login_id,
        token_hash="h" * 64,
        sealed_link=seal("/realms/kencom/password-reset?token=t", PUBLIC),
        correlation_id="c1",
        now=now,
    )


def mailed(named: User, request: password_reset.Request) -> User:
    decided = password_reset.request(named, request, MEMBERS, ignore_case=True)
    assert decided.outcome is True and decided.state is not None
    return decided.state


def test_id_pw_08_the_link_goes_to_the_registered_address_for_one_hour() -> None:
    decided = password_reset.request(MEMBER, asked("taro@EXAMPLE.jp"), MEMBERS, ignore_case=True)
    assert decided.outcome is True
    [issued] = decided.events
    assert getattr(issued, "purpose", None) is LinkPurpose.PASSWORD_RESET
    assert getattr(issued, "recipient_email", None) == "taro@example.jp", "the registered one"
    assert getattr(issued, "expires_at", None) == NOW + timedelta(hours=1)
    assert decided.state is not None and decided.state.password_reset is not None
    assert decided.state.password_reset.token_hash == "h" * 64, "only the token's hash is kept"


def test_id_pw_08_a_request_that_mails_nothing_still_commits_one_version_with_one_event() -> None:
    full = MEMBER.but(reset_issued=(NOW, NOW, NOW))
    cases: dict[PasswordResetDeclineReason, tuple[User, password_reset.Request]] = {
        PasswordResetDeclineReason.UNKNOWN_LOGIN_ID: (MEMBER, asked("former@example.jp")),
        PasswordResetDeclineReason.NOT_OFFERED: (
            user(Role.SUPPORT, login_id="Taro@example.jp"),
            asked(),
        ),
        PasswordResetDeclineReason.LIMIT_REACHED: (full, asked()),
    }
    for reason, (named, request) in cases.items():
        decided = password_reset.request(named, request, MEMBERS, ignore_case=True)
        assert decided.outcome is False and decided.state is not None
        assert decided.state.password_reset == named.password_reset, "nothing issued"
        [declined] = decided.events
        assert getattr(declined, "reason", None) is reason
    shadow = lockout.shadow_id(b"k", "kencom", "nobody@example.jp", 4)
    unknown = password_reset.decline_unknown(None, shadow, asked("nobody@example.jp"))
    assert unknown.state is not None and len(unknown.events) == 1


def test_id_pw_08_three_links_an_hour_and_a_newer_link_voids_the_older() -> None:
    current = MEMBER
    answers = []
    for minutes in (0, 10, 20, 30, 60):
        decided = password_reset.request(
            current, asked(now=NOW + timedelta(minutes=minutes)), MEMBERS, ignore_case=True
        )
        assert decided.state is not None
        current = decided.state
        answers.append(decided.outcome)
    assert answers == [True, True, True, False, True]
    newer = password_reset.Request(
        login_id="Taro@example.jp",
        token_hash="n" * 64,
        sealed_link=asked().sealed_link,
        correlation_id="c2",
        now=NOW + timedelta(minutes=61),
    )
    current = mailed(current.but(reset_issued=()), newer)
    assert password_reset.usable(current, "h" * 64, newer.now) is Outcome.INVALID
    assert password_reset.usable(current, "n" * 64, newer.now) is Outcome.RESET


def test_id_pw_08_x_11_the_link_sets_the_password_once_within_its_hour_and_unlocks() -> None:
    locked = mailed(MEMBER.but(locked=True, failures=3, must_change_password=True), asked())
    late = password_reset.reset(locked, "h" * 64, OTHER_HASH, "c", NOW + timedelta(hours=1))
    assert (late.outcome, late.state) == (Outcome.EXPIRED, None)
    wrong = password_reset.reset(locked, "x" * 64, OTHER_HASH, "c", NOW)
    assert (wrong.outcome, wrong.state) == (Outcome.INVALID, None)

    done = password_reset.reset(locked, "h" * 64, OTHER_HASH, "c", NOW + timedelta(minutes=59))
    assert done.outcome is Outcome.RESET and done.state is not None
    assert done.state.password_hash == OTHER_HASH and done.state.password_reset is None
    assert not done.state.locked and done.state.failures == 0
    assert not done.state.must_change_password, "the member chose it"
    consumed, changed, unlocked = done.events
    assert getattr(consumed, "purpose", None) is LinkPurpose.PASSWORD_RESET
    assert getattr(changed, "method", None) is PasswordChangeMethod.RESET_LINK
    assert getattr(unlocked, "reason", None) is UnlockReason.PASSWORD_RESET_LINK
    again = password_reset.reset(done.state, "h" * 64, HASH_AGAIN, "c", NOW)
    assert (again.outcome, again.state) == (Outcome.INVALID, None), "used once"


HASH_AGAIN = "$argon2id$v=19$m=19456,t=2,p=1$again"
