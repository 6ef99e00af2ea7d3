"""Identity's pure part of kencom's self sign-up (EN-05, EN-08, ID-USER-02, ID-PW-02)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts import MemberEnrolmentRefused, UserCreated
from contracts.common import Role
from contracts.envelope import ActorKind
from contracts.identity import EnrolmentRefusal
from services.identity.domain import enrolment, password_policy
from services.identity.domain.realms import PRESETS
from services.identity.domain.refusals import PasswordRefused
from services.identity.domain.users import login_id_fact

NOW = datetime(2026, 4, 1, tzinfo=UTC)
KENCOM = PRESETS["kencom"]
HELD = enrolment.Held("kencom", "a" * 32, "Hanako@Example.jp", "$argon2id$hash", NOW)
CMD = enrolment.Eligible("kencom", "a" * 32, "0f" * 16, "corr-1")


def test_id_user_02_kencom_login_ids_are_unique_ignoring_case_other_realms_exactly() -> None:
    assert login_id_fact("kencom", "Hanako@Example.jp") == login_id_fact(
        "kencom", "hanako@example.jp"
    )
    assert login_id_fact("mypage", "Member01") != login_id_fact("mypage", "member01")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Ab1-x", "6 characters at least"),
        ("Abcdefg-1234567890xyz", "20 at most"),
        ("onlyletters", "two kinds of letters, digits and symbols"),
        ("Pass123x", "no 123"),
        ("xABCx-9", "no abc, in any case"),
        ("hanako@example.jp1", "not the e-mail"),
    ],
)
def test_id_pw_02_kencom_refuses_weak_passwords(password: str, why: str) -> None:
    with pytest.raises(PasswordRefused):
        password_policy.check(KENCOM, "hanako@example.jp", password, None)


@pytest.mark.parametrize("password", ["kenko9", "Kenko-Pass9", "a1b2c3", "Kencom!!"])
def test_id_pw_02_kencom_accepts_six_to_twenty_of_two_kinds(password: str) -> None:
    password_policy.check(KENCOM, "hanako@example.jp", password, None)


def test_en_05_an_eligible_sign_up_becomes_a_member_with_the_password_chosen() -> None:
    decided = enrolment.enrol(None, HELD, CMD, NOW)
    member = decided.state
    assert decided.outcome is True and member is not None
    assert member.user_id == CMD.signup_id and member.role is Role.MEMBER
    assert member.password_hash == HELD.password_hash and not member.must_change_password
    [created] = decided.events
    assert isinstance(created, UserCreated)
    assert created.actor.kind is ActorKind.SERVICE and created.causation_id == CMD.event_id
    assert "argon2" not in created.model_dump_json(), "no hash on the bus (X-02)"


def test_en_05_a_repeat_makes_no_second_member() -> None:
    member = enrolment.enrol(None, HELD, CMD, NOW).state
    assert enrolment.enrol(member, HELD, CMD, NOW + timedelta(seconds=1)).state is None
    used = enrolment.Held(HELD.realm, HELD.signup_id, HELD.login_id, None, NOW)
    assert enrolment.enrol(None, used, CMD, NOW).state is None, "a used hold makes nobody"


def test_en_05_a_refusal_is_committed_once_with_its_event() -> None:
    decided = enrolment.refuse(None, CMD, EnrolmentRefusal.LOGIN_ID_TAKEN, NOW)
    [refused] = decided.events
    assert isinstance(refused, MemberEnrolmentRefused)
    assert refused.subject_id == CMD.signup_id and refused.reason is EnrolmentRefusal.LOGIN_ID_TAKEN
    again = enrolment.refuse(decided.state, CMD, EnrolmentRefusal.CREDENTIAL_EXPIRED, NOW)
    assert again.state is None and not again.events
