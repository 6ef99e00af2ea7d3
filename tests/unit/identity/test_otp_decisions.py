"""The OTP step-up's pure decisions (ID-OTP-01..03, X-02, X-11): issue, judge, void, switch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from identity_people import NOW, user

from contracts import Actor, ActorKind, generate_keypair, seal
from contracts.common import UserProfile
from services.identity.domain import otp
from services.identity.domain.organisations import Organisation
from services.identity.domain.refusals import MissingContact
from services.identity.domain.users import User

KEY = b"test-otp-key"
SEALED = seal("123456", generate_keypair()[0])


def issued(current: User, code: str = "123456", session_ref: str = "s1", at=NOW) -> User:
    nonce = f"n-{code}-{at.isoformat()}"
    new = otp.NewCode(otp.code_hash(KEY, current.user_id, nonce, code), nonce, SEALED)
    decided = otp.issue(current, new, session_ref, "c1", at)
    assert decided.state is not None
    return decided.state


def enter(current: User, typed: str, session_ref: str = "s1", at=NOW) -> tuple[User, otp.Judged]:
    decided = otp.verify(current, KEY, typed, session_ref, "s1-verified", "c1", at)
    return decided.state or current, decided.outcome


def test_id_otp_02_a_code_is_mailed_sealed_valid_ten_minutes_and_kept_only_as_a_keyed_hash() -> (
    None
):
    new = otp.NewCode(otp.code_hash(KEY, "u1", "n1", "123456"), "n1", SEALED)
    decided = otp.issue(user(), new, "s1", "c1", NOW)
    [mail] = decided.events
    assert mail.type == "OtpIssued" and mail.sealed_code == SEALED
    assert mail.expires_at == NOW + timedelta(minutes=10) and mail.max_attempts == 2
    assert mail.recipient_email == "taro@example.jp" and mail.session_ref == "s1"
    assert decided.state is not None and decided.state.otp_code is not None
    assert "123456" not in repr(decided.state), "X-02: only the hash is kept"
    assert otp.code_hash(b"another key", "u1", "n1", "123456") != decided.state.otp_code.code_hash


def test_id_otp_02_two_wrong_entries_void_the_code() -> None:
    state = issued(user())
    state, first = enter(state, "000000")
    assert first == otp.Judged(otp.Entry.WRONG, remaining=1)
    state, second = enter(state, "000001")
    assert second.entry is otp.Entry.VOIDED and state.otp_code is None
    _, afterwards = enter(state, "123456")
    assert afterwards.entry is otp.Entry.NO_CODE, "the right code no longer counts"


def test_id_otp_02_the_right_code_verifies_once() -> None:
    state, right = enter(issued(user()), "123456")
    assert right.entry is otp.Entry.VERIFIED and state.otp_code is None
    _, again = enter(state, "123456")
    assert again.entry is otp.Entry.NO_CODE


def test_id_otp_02_after_ten_minutes_the_code_is_refused_and_voided() -> None:
    state = issued(user())
    late = otp.verify(state, KEY, "123456", "s1", "s1-v", "c1", NOW + timedelta(minutes=10))
    assert late.outcome.entry is otp.Entry.NO_CODE
    [voided] = late.events
    assert voided.type == "OtpVoided" and voided.reason == "expired"
    in_time = otp.verify(state, KEY, "123456", "s1", "s1-v", "c1", NOW + timedelta(minutes=9))
    assert in_time.outcome.entry is otp.Entry.VERIFIED


def test_id_otp_02_a_new_issue_voids_the_previous_code() -> None:
    first = issued(user(), "111111")
    decided = otp.issue(
        first,
        otp.NewCode(otp.code_hash(KEY, "u1", "n2", "222222"), "n2", SEALED),
        "s1",
        "c1",
        NOW + timedelta(minutes=1),
    )
    assert [e.type for e in decided.events] == ["OtpVoided", "OtpIssued"]
    assert decided.events[0].reason == "superseded"
    assert decided.state is not None
    _, old = enter(decided.state, "111111", at=NOW + timedelta(minutes=2))
    assert old.entry is otp.Entry.WRONG, "the older code is just a wrong one now"


def test_id_otp_03_a_code_verifies_only_the_session_it_was_issued_to() -> None:
    state, elsewhere = enter(issued(user(), session_ref="s1"), "123456", session_ref="s2")
    assert elsewhere.entry is otp.Entry.NO_CODE
    assert state.otp_code is not None and state.otp_code.wrong_entries == 0, "not even judged"


def test_x_11_five_codes_an_hour_then_the_next_waits() -> None:
    state = user()
    for minute in range(5):
        state = issued(state, at=NOW + timedelta(minutes=minute))
    new = otp.NewCode("h", "n", SEALED)
    with pytest.raises(otp.TooManyCodes):
        otp.issue(state, new, "s1", "c1", NOW + timedelta(minutes=59))
    assert otp.issue(state, new, "s1", "c1", NOW + timedelta(minutes=60)).state is not None


def test_id_otp_02_no_registered_address_no_code() -> None:
    with pytest.raises(MissingContact):
        otp.issue(user(profile=UserProfile()), otp.NewCode("h", "n", SEALED), "s1", "c1", NOW)


def test_id_otp_01_the_admin_switches_it_for_the_organisation() -> None:
    org = Organisation("nexi", "o1", "法人", NOW, "a1", "12345678901")
    admin = Actor(kind=ActorKind.ADMIN, id="a1")
    on = otp.switch(org, True, admin, "c1", NOW)
    assert on.state is not None and on.state.otp_enabled
    [event] = on.events
    assert (event.type, event.subject_id, event.enabled) == ("OtpPolicyChanged", "o1", True)
    assert otp.switch(on.state, True, admin, "c1", NOW).state is None
