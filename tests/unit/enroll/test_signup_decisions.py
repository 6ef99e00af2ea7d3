"""The sign-up's and the checkup gate's pure decisions (EN-01, EN-02, EN-04, EN-05, EN-06)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts import (
    MemberRegistered,
    SignupAlreadyRegistered,
    SignupStarted,
    generate_keypair,
    seal,
)
from contracts.enroll import EligibilityOutcome, SignupChannel
from services.enroll.domain import checkup, signups
from services.enroll.domain.guidance import TRIES_EXHAUSTED
from services.enroll.domain.refusals import (
    AnswerLocked,
    CodeInvalid,
    CodeLocked,
    IdentityCheckRequired,
    LinkInvalid,
    QuestionRequired,
    SignupExpired,
)
from services.enroll.domain.signups import Checked, NewLink, NewSignup, SignupPolicy, Status

NOW = datetime(2026, 4, 1, tzinfo=UTC)
POLICY = SignupPolicy()
PUBLIC, _ = generate_keypair()
ID = "c" * 32


def link(n: int) -> NewLink:
    return NewLink(f"link-{n}", seal(f"/realms/kencom/activate?token={n}", PUBLIC))


def started(channel: SignupChannel = SignupChannel.PC, registered: bool = False) -> signups.Signup:
    cmd = NewSignup(ID, "a@example.jp", channel, registered, "ref", link(0), False, None, "c")
    decided = signups.start(None, cmd, POLICY, NOW)
    assert decided.state is not None
    return decided.state


@pytest.mark.parametrize(("channel", "hours"), [(SignupChannel.APP, 24), (SignupChannel.PC, 1)])
def test_en_02_the_link_lasts_24_hours_from_the_app_and_1_hour_from_a_pc(
    channel: SignupChannel, hours: int
) -> None:
    signup = started(channel)
    assert signup.link is not None and signup.link.expires_at == NOW + timedelta(hours=hours)
    late = NOW + timedelta(hours=hours, seconds=1)
    with pytest.raises(SignupExpired):
        signups.activate(signup, "link-0", "step", POLICY, late, "c")
    on_time = signups.activate(signup, "link-0", "step", POLICY, late - timedelta(seconds=2), "c")
    assert on_time.state is not None and on_time.state.status is Status.ACTIVATED


def test_en_02_a_resend_voids_every_earlier_link() -> None:
    signup = started()
    for n in (1, 2):
        decided = signups.resend(signup, "ref", link(n), POLICY, NOW, "c")
        assert decided.state is not None
        signup = decided.state
        [mail] = decided.events
        assert isinstance(mail, SignupStarted) and mail.resend
    for voided in ("link-0", "link-1"):
        with pytest.raises(LinkInvalid):
            signups.activate(signup, voided, "step", POLICY, NOW, "c")
    assert signups.activate(signup, "link-2", "step", POLICY, NOW, "c").state is not None


def test_en_01_a_registered_address_is_mailed_so_and_never_activates() -> None:
    signup = started(registered=True)
    assert signup.status is Status.ADDRESS_REGISTERED and signup.link is None
    again = signups.resend(signup, "ref", link(1), POLICY, NOW, "c")
    assert [type(e) for e in again.events] == [SignupAlreadyRegistered]
    with pytest.raises(LinkInvalid):
        signups.activate(signup, "link-0", "step", POLICY, NOW, "c")


def test_en_04_tries_per_sign_up_are_limited() -> None:
    signup = signups.activate(started(), "link-0", "step", POLICY, NOW, "c").state
    assert signup is not None
    no = Checked(EligibilityOutcome.NO_MATCH, "06123456")
    for tried in range(POLICY.max_tries):
        decided = signups.check(signup, "step", no, POLICY, NOW, "c")
        assert decided.outcome.tries_left == POLICY.max_tries - tried - 1
        assert decided.state is not None
        signup = decided.state
    last = signups.check(signup, "step", no, POLICY, NOW, "c")
    assert last.state is None and last.outcome.outcome == TRIES_EXHAUSTED


def test_en_05_member_registered_ends_the_sign_up_once() -> None:
    signup = signups.activate(started(), "link-0", "step", POLICY, NOW, "c").state
    eligible = Checked(EligibilityOutcome.ELIGIBLE, "06123456", person_key="p")
    registering = signups.check(signup, "step", eligible, POLICY, NOW, "c").state
    assert registering is not None and registering.status is Status.REGISTERING
    done = signups.registered(registering, NOW, "c", "identity-event")
    [event] = done.events
    assert isinstance(event, MemberRegistered) and event.user_id == ID
    assert signups.registered(done.state, NOW, "c", "again").state is None
    assert signups.failed(done.state, "login_id_taken").state is None


def test_en_06_a_wrong_code_counts_and_the_last_locks_and_a_new_code_voids_the_old() -> None:
    policy = checkup.GatePolicy(max_code_tries=2)
    gate = checkup.issue_code(None, ID, checkup.code_hash("s", "ABCD-EFGH-JKLM"), NOW).state
    assert gate is not None
    wrong = checkup.verify_code(gate, "ZZZZ", policy, NOW, "c")
    assert wrong.outcome == 1 and wrong.state is not None
    locked = checkup.verify_code(wrong.state, "ZZZZ", policy, NOW, "c")
    assert locked.outcome == 0
    with pytest.raises(CodeLocked):
        checkup.verify_code(locked.state, "abcdefghjklm", policy, NOW, "c")
    reissued = checkup.issue_code(locked.state, ID, checkup.code_hash("t", "NEWCODE23456"), NOW)
    with pytest.raises(CodeInvalid):
        checkup.refuse_wrong(
            checkup.verify_code(reissued.state, "ABCDEFGHJKLM", policy, NOW, "c").outcome,
            CodeLocked,
            CodeInvalid,
        )
    ok = checkup.verify_code(reissued.state, "newcode 23456", policy, NOW, "c")
    assert ok.state is not None and ok.state.verified_at == NOW and ok.events


def test_en_06_the_question_is_saved_only_once_confirmed_and_wrong_answers_lock() -> None:
    policy = checkup.GatePolicy(max_answer_tries=1)
    gate = checkup.issue_code(None, ID, checkup.code_hash("s", "CODE"), NOW).state
    with pytest.raises(IdentityCheckRequired):
        checkup.draft_question(gate, "birthplace", "hash", policy, NOW)
    gate = checkup.verify_code(gate, "CODE", policy, NOW, "c").state
    drafted = checkup.draft_question(gate, "birthplace", "hash", policy, NOW).state
    assert drafted is not None and drafted.answer is None, "not saved before confirmation"
    with pytest.raises(QuestionRequired):
        checkup.confirm_question(drafted, policy, NOW + timedelta(hours=1), "c")
    saved = checkup.confirm_question(drafted, policy, NOW, "c").state
    assert saved is not None and saved.answer is not None and saved.draft is None
    wrong = checkup.answered(saved, "hash", False, policy)
    assert wrong.outcome == 0
    with pytest.raises(AnswerLocked):
        checkup.answered(wrong.state, "hash", True, policy)
