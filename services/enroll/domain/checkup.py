"""The gate to checkup results (特定健診結果の閲覧, EN-06): one aggregate per member.

1. Support issues a 健診閲覧コード for the postcard; a new code voids the old one and starts a
   new identity check.
2. The member proves identity with the code (本人確認): wrong codes are counted, and after
   ``max_code_tries`` the code is locked until support reissues one.
3. The member chooses a secret question from the list and an answer (case-sensitive), sees it
   to confirm (設定確認), and only then is it saved (設定完了), hashed (X-02). One proof of
   identity sets one question: to replace it, the member types the postcard's code again, so
   a session alone cannot swap the question for one whose answer it knows.
4. From then on the answer opens the results; wrong answers are counted and, after
   ``max_answer_tries``, lock. The count is the member's, not the question's: a new question
   keeps it, and a locked answer refuses a new question and its confirmation. Neither the code
   typed again nor a reissued code unlocks it; only the realm's support desk does
   (``unlock_answer``), and its event names who (EN-06).

The code and the answer are kept only as hashes; the answer's is a slow one (a low-entropy
secret), made before the decision. The checkup data itself is out of scope (SPEC section 10).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from contracts import Actor, ActorKind
from contracts.enroll import CheckupCodeVerified, SecretAnswerUnlocked, SecretQuestionSet
from domainkit.decision import Decision
from services.enroll.domain.realm import envelope
from services.enroll.domain.refusals import (
    AnswerLocked,
    CodeInvalid,
    CodeLocked,
    IdentityCheckRequired,
    QuestionRequired,
    Refusal,
)

QUESTIONS: dict[str, str] = {
    "birthplace": "出身地は？",
    "mother_maiden_name": "母親の旧姓は？",
    "first_pet": "初めて飼ったペットの名前は？",
    "elementary_school": "卒業した小学校の名前は？",
    "childhood_friend": "子供の頃の親友の名前は？",
    "favourite_food": "好きな食べ物は？",
}
"""The list the member chooses from (seed 003 STEP2 秘密の質問設定)."""

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Letters and digits without the ones people misread from a postcard (0/O, 1/I)."""
CODE_LENGTH = 12


@dataclass(frozen=True)
class GatePolicy:
    max_code_tries: int = 5
    max_answer_tries: int = 5
    draft_lifetime: timedelta = timedelta(minutes=30)


@dataclass(frozen=True)
class Secret:
    """A hash and the count of wrong tries against it."""

    hash: str
    failures: int = 0


@dataclass(frozen=True)
class Draft:
    """A question and answer waiting for the member's confirmation (設定確認)."""

    question_id: str
    answer_hash: str
    expires_at: datetime


@dataclass(frozen=True)
class Gate:
    user_id: str
    code: Secret | None = None
    """The code in force, as ``salt$sha256``; ``None`` until support issues one."""
    code_issued_at: datetime | None = None
    verified_at: datetime | None = None
    """When the code in force was last proven; ``None`` until then (and after a reissue)."""
    question_allowed: bool = False
    """A proof of identity not yet spent on a 設定完了: the member may set (or replace) the
    question once."""
    draft: Draft | None = None
    question_id: str | None = None
    answer: Secret | None = None
    """The answer's hash and the member's count of wrong answers, whatever the question."""

    def but(self, **changes: Any) -> Gate:
        return replace(self, **changes)

    def answer_locked(self, policy: GatePolicy) -> bool:
        return self.answer is not None and self.answer.failures >= policy.max_answer_tries

    def envelope(self, correlation_id: str, now: datetime) -> dict[str, Any]:
        return envelope(
            self.user_id, Actor(kind=ActorKind.USER, id=self.user_id), correlation_id, now
        )


def code_hash(salt: str, code: str) -> str:
    """A 60-bit random code limited by tries needs no slow hash; salted, so equal codes differ."""
    return salt + "$" + hashlib.sha256(f"{salt}:{normalised_code(code)}".encode()).hexdigest()


def normalised_code(typed: str) -> str:
    """As printed, whatever the case and the spaces or hyphens people add."""
    return "".join(c for c in typed.upper() if c.isalnum())


def _code_matches(stored: str, typed: str) -> bool:
    salt = stored.split("$", 1)[0]
    return hmac.compare_digest(stored, code_hash(salt, typed))


def issue_code(
    current: Gate | None, user_id: str, hashed: str, now: datetime
) -> Decision[Gate, None]:
    """A new code voids the old one and starts a new identity check (EN-06, seed 003 A4).

    The question, its answer and the count of wrong answers stay: a reissue is asked for by a
    form and a mail (seed 003 A4), and printed on a postcard; it is no decision about a locked
    answer, which only support's unlock takes, named in its event.
    """
    if current is None:
        return Decision.commit(None, Gate(user_id=user_id, code=Secret(hashed), code_issued_at=now))
    gate = current.but(
        code=Secret(hashed),
        code_issued_at=now,
        verified_at=None,
        question_allowed=False,
        draft=None,
    )
    return Decision.commit(None, gate)


def verify_code(
    current: Gate | None, typed: str, policy: GatePolicy, now: datetime, correlation_id: str
) -> Decision[Gate, int]:
    """本人確認 with the postcard's code; a wrong one counts, the last one locks."""
    if current is None or current.code is None:
        raise CodeInvalid(tries_left=0)
    if current.code.failures >= policy.max_code_tries:
        raise CodeLocked()
    if not _code_matches(current.code.hash, typed):
        failures = current.code.failures + 1
        gate = current.but(code=replace(current.code, failures=failures))
        return Decision.commit(max(policy.max_code_tries - failures, 0), gate)
    if current.question_allowed:
        return Decision.nothing(policy.max_code_tries)
    gate = current.but(
        verified_at=now, question_allowed=True, code=replace(current.code, failures=0)
    )
    verified = CheckupCodeVerified(**gate.envelope(correlation_id, now))
    return Decision.commit(policy.max_code_tries, gate, verified)


def may_set_question(current: Gate | None, policy: GatePolicy) -> Gate:
    """The gate, if its member may set a question now: identity proven and not spent on an
    earlier question, the answer not locked (EN-06)."""
    if current is None or current.verified_at is None:
        raise IdentityCheckRequired()
    if current.answer_locked(policy):
        raise AnswerLocked()
    if not current.question_allowed:
        raise IdentityCheckRequired(
            "秘密の質問を変更するには、健診閲覧コードでもう一度本人確認を行ってください"
        )
    return current


def draft_question(
    current: Gate | None, question_id: str, answer_hash: str, policy: GatePolicy, now: datetime
) -> Decision[Gate, Draft]:
    """秘密の質問設定: kept as a draft until the member confirms it."""
    gate = may_set_question(current, policy)
    draft = Draft(question_id, answer_hash, now + policy.draft_lifetime)
    return Decision.commit(draft, gate.but(draft=draft))


def confirm_question(
    current: Gate | None, policy: GatePolicy, now: datetime, correlation_id: str
) -> Decision[Gate, str]:
    """設定完了: the draft becomes the question in force, its answer kept hashed; the proof of
    identity is spent, and the count of wrong answers goes on (a new question resets nothing)."""
    gate = may_set_question(current, policy)
    if gate.draft is None or now > gate.draft.expires_at:
        raise QuestionRequired("秘密の質問の設定からやり直してください")
    draft = gate.draft
    failures = gate.answer.failures if gate.answer else 0
    gate = gate.but(
        draft=None,
        question_allowed=False,
        question_id=draft.question_id,
        answer=Secret(draft.answer_hash, failures),
    )
    event = SecretQuestionSet(**gate.envelope(correlation_id, now), question_id=draft.question_id)
    return Decision.commit(draft.question_id, gate, event)


def answered(
    current: Gate | None, verified_hash: str, correct: bool, policy: GatePolicy
) -> Decision[Gate, int]:
    """The answer to the secret question, checked against ``verified_hash`` before the decision
    (a slow hash); a wrong one counts, the last one locks (EN-06)."""
    if current is None or current.verified_at is None:
        raise IdentityCheckRequired()
    if current.answer is None:
        raise QuestionRequired()
    if current.answer_locked(policy):
        raise AnswerLocked()
    if current.answer.hash != verified_hash:
        raise QuestionRequired("秘密の質問が変更されました。もう一度お試しください")
    if correct:
        if current.answer.failures == 0:
            return Decision.nothing(policy.max_answer_tries)
        return Decision.commit(
            policy.max_answer_tries, current.but(answer=replace(current.answer, failures=0))
        )
    failures = current.answer.failures + 1
    gate = current.but(answer=replace(current.answer, failures=failures))
    return Decision.commit(max(policy.max_answer_tries - failures, 0), gate)


def unlock_answer(
    current: Gate | None, support_id: str, policy: GatePolicy, now: datetime, correlation_id: str
) -> Decision[Gate, bool]:
    """The realm's support desk unlocks a locked secret answer (EN-06): the count starts again,
    the question and its answer stay, and ``SecretAnswerUnlocked`` names the operator.
    Answers whether it unlocked: an answer that is not locked is left alone, without an event."""
    if current is None or current.answer is None or not current.answer_locked(policy):
        return Decision.nothing(False)
    gate = current.but(answer=replace(current.answer, failures=0))
    support = Actor(kind=ActorKind.SUPPORT, id=support_id)
    event = SecretAnswerUnlocked(**envelope(gate.user_id, support, correlation_id, now))
    return Decision.commit(True, gate, event)


def refuse_wrong(tries_left: int, locked: type[Refusal], invalid: type[Refusal]) -> None:
    """A wrong code or answer after its commit: the last try locks, the others say how many
    remain."""
    if tries_left <= 0:
        raise locked()
    raise invalid(tries_left=tries_left)
