"""The checkup gate's pure decisions about the secret answer's lock (EN-06, issue 20): once the
answer locks after its tries, neither a new question, nor its confirmation, nor the code typed
again, nor a reissued code unlocks it; only the realm's support desk does, named in its event."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import ActorKind, SecretAnswerUnlocked
from services.audit.domain.catalogue import operation_of
from services.enroll.domain import checkup
from services.enroll.domain.checkup import Gate, GatePolicy
from services.enroll.domain.refusals import (
    AnswerLocked,
    IdentityCheckRequired,
    Refusal,
)

NOW = datetime(2026, 4, 1, tzinfo=UTC)
POLICY = GatePolicy(max_answer_tries=3)
MEMBER = "c" * 32
SUPPORT = "d" * 32
CODE, NEW_CODE = "ABCDEFGHJKLM", "NPQRSTUVWXYZ"
ANSWER, OWN_ANSWER = "hash-of-Sapporo", "hash-of-Pochi"
"""The answers' hashes: the slow hash is made before the decision."""


def state(decided: checkup.Decision[Gate, object]) -> Gate:
    assert decided.state is not None, "a commit"
    return decided.state


def issued(code: str = CODE, gate: Gate | None = None) -> Gate:
    return state(checkup.issue_code(gate, MEMBER, checkup.code_hash("salt", code), NOW))


def verified(gate: Gate, code: str = CODE) -> Gate:
    decided = checkup.verify_code(gate, code, POLICY, NOW, "c")
    return decided.state or gate


def with_question(gate: Gate, answer_hash: str, question_id: str = "birthplace") -> Gate:
    drafted = state(checkup.draft_question(gate, question_id, answer_hash, POLICY, NOW))
    return state(checkup.confirm_question(drafted, POLICY, NOW, "c"))


def wrong(gate: Gate, times: int = 1) -> Gate:
    for _ in range(times):
        gate = state(checkup.answered(gate, gate.answer.hash if gate.answer else "", False, POLICY))
    return gate


def locked() -> Gate:
    """A member's gate whose answer locked after three wrong answers."""
    gate = wrong(with_question(verified(issued()), ANSWER), POLICY.max_answer_tries)
    assert gate.answer_locked(POLICY)
    return gate


def opens(gate: Gate, answer_hash: str) -> bool:
    """Whether the right answer (``answer_hash`` being the one in force) opens the results."""
    try:
        checkup.answered(gate, answer_hash, True, POLICY)
    except Refusal:
        return False
    return True


def test_en_06_a_locked_answer_refuses_a_new_question_and_its_confirmation() -> None:
    gate = locked()
    with pytest.raises(AnswerLocked):
        checkup.draft_question(gate, "first_pet", OWN_ANSWER, POLICY, NOW)
    assert not opens(gate, ANSWER), "not even the right answer"


def test_en_06_a_draft_made_before_the_lock_is_not_confirmed_after_it() -> None:
    gate = with_question(verified(issued()), ANSWER)
    again = verified(gate)  # the postcard's code again: may replace the question
    drafted = state(checkup.draft_question(again, "first_pet", OWN_ANSWER, POLICY, NOW))
    gate = wrong(drafted, POLICY.max_answer_tries)
    with pytest.raises(AnswerLocked):
        checkup.confirm_question(gate, POLICY, NOW, "c")


def test_en_06_a_new_question_keeps_the_count_of_wrong_answers() -> None:
    gate = wrong(with_question(verified(issued()), ANSWER), 2)
    replaced = with_question(verified(gate), OWN_ANSWER, "first_pet")
    assert replaced.answer is not None and replaced.answer.failures == 2, "the member's count"
    assert wrong(replaced).answer_locked(POLICY), "the third wrong answer in all locks"


def test_en_06_replacing_the_question_needs_the_postcards_code_again() -> None:
    """A session alone cannot swap the question for one whose answer it knows: each proof of
    identity sets one question."""
    gate = with_question(verified(issued()), ANSWER)
    with pytest.raises(IdentityCheckRequired) as refused:
        checkup.draft_question(gate, "first_pet", OWN_ANSWER, POLICY, NOW)
    assert "もう一度" in (refused.value.detail or "")
    proven = checkup.verify_code(gate, CODE, POLICY, NOW, "c")
    assert proven.events, "a proof of identity again is an event again"
    replaced = with_question(state(proven), OWN_ANSWER, "first_pet")
    assert (replaced.question_id, opens(replaced, OWN_ANSWER)) == ("first_pet", True)


def test_en_06_a_reissued_code_starts_a_new_identity_check_but_keeps_the_lock() -> None:
    gate = issued(NEW_CODE, gate=locked())
    assert (gate.verified_at, gate.question_allowed, gate.question_id) == (
        None,
        False,
        "birthplace",
    )
    gate = verified(gate, NEW_CODE)
    assert gate.verified_at == NOW and gate.answer_locked(POLICY)
    assert not opens(gate, ANSWER)
    with pytest.raises(AnswerLocked):
        checkup.draft_question(gate, "first_pet", OWN_ANSWER, POLICY, NOW)


def test_en_06_only_support_unlocks_and_its_event_names_who() -> None:
    decided = checkup.unlock_answer(locked(), SUPPORT, POLICY, NOW, "corr")
    [event] = decided.events
    assert isinstance(event, SecretAnswerUnlocked)
    assert (event.actor.kind, event.actor.id, event.subject_id) == (
        ActorKind.SUPPORT,
        SUPPORT,
        MEMBER,
    )
    gate = state(decided)
    assert decided.outcome is True and not gate.answer_locked(POLICY)
    assert (gate.question_id, opens(gate, ANSWER)) == ("birthplace", True), "the same question"
    assert operation_of(event).shown == "[12-7]秘密の質問ロック解除", "audit's catalogue (AU-02)"


@pytest.mark.parametrize(
    "gate",
    [None, Gate(MEMBER), wrong(with_question(verified(issued()), ANSWER), 2)],
    ids=["no gate", "no question", "not locked"],
)
def test_en_06_an_unlock_of_what_is_not_locked_does_nothing(gate: Gate | None) -> None:
    decided = checkup.unlock_answer(gate, SUPPORT, POLICY, NOW, "c")
    assert (decided.outcome, decided.state, decided.events) == (False, None, ())


MEMBER_STEPS: dict[str, Callable[[Gate], checkup.Decision[Gate, object]]] = {
    "code": lambda g: checkup.verify_code(g, CODE, POLICY, NOW, "c"),
    "wrong code": lambda g: checkup.verify_code(g, "WRONG", POLICY, NOW, "c"),
    "new code typed": lambda g: checkup.verify_code(g, NEW_CODE, POLICY, NOW, "c"),
    "draft": lambda g: checkup.draft_question(g, "first_pet", OWN_ANSWER, POLICY, NOW),
    "confirm": lambda g: checkup.confirm_question(g, POLICY, NOW, "c"),
    "late confirm": lambda g: checkup.confirm_question(g, POLICY, NOW + timedelta(days=1), "c"),
    "right answer": lambda g: checkup.answered(g, g.answer.hash if g.answer else "", True, POLICY),
    "wrong answer": lambda g: checkup.answered(g, g.answer.hash if g.answer else "", False, POLICY),
    "reissue": lambda g: checkup.issue_code(g, MEMBER, checkup.code_hash("t", NEW_CODE), NOW),
}
"""Everything a session holder can do to the gate, and support's reissue of the code."""


@given(steps=st.lists(st.sampled_from(sorted(MEMBER_STEPS)), max_size=25))
def test_en_06_no_sequence_of_member_steps_or_reissues_unlocks_the_answer(
    steps: list[str],
) -> None:
    gate = locked()
    for step in steps:
        with contextlib.suppress(Refusal):  # a refusal changes nothing
            gate = MEMBER_STEPS[step](gate).state or gate
        assert gate.answer_locked(POLICY), f"unlocked by {step!r}"
        assert not opens(gate, gate.answer.hash if gate.answer else ""), f"opened after {step!r}"
