"""The gate to checkup results (特定健診結果の閲覧, EN-06): one aggregate per member.

1. Support issues a 健診閲覧コード for the postcard; a new code voids the old one and starts
   the gate again (the question too must be set anew after the new code).
2. The member proves identity with the code (本人確認): wrong codes are counted, and after
   ``max_code_tries`` the code is locked until support reissues one.
3. The member chooses a secret question from the list and an answer (case-sensitive), sees it
   to confirm (設定確認), and only then is it saved (設定完了), hashed (X-02).
4. From then on the answer opens the results; wrong answers are counted and lock likewise.

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
from contracts.enroll import CheckupCodeVerified, SecretQuestionSet
from services.enroll.domain.decision import Decision, envelope
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
    draft: Draft | None = None
    question_id: str | None = None
    answer: Secret | None = None

    def but(self, **changes: Any) -> Gate:
        return replace(self, **changes)

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
    """A new code voids the old one and starts the gate again (EN-06, seed 003 A4)."""
    gate = Gate(user_id=user_id, code=Secret(hashed), code_issued_at=now)
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
    if current.verified_at is not None:
        return Decision.nothing(policy.max_code_tries)
    gate = current.but(verified_at=now, code=replace(current.code, failures=0))
    verified = CheckupCodeVerified(**gate.envelope(correlation_id, now))
    return Decision.commit(policy.max_code_tries, gate, verified)


def draft_question(
    current: Gate | None, question_id: str, answer_hash: str, policy: GatePolicy, now: datetime
) -> Decision[Gate, Draft]:
    """秘密の質問設定: kept as a draft until the member confirms it."""
    if current is None or current.verified_at is None:
        raise IdentityCheckRequired()
    draft = Draft(question_id, answer_hash, now + policy.draft_lifetime)
    return Decision.commit(draft, current.but(draft=draft))


def confirm_question(
    current: Gate | None, now: datetime, correlation_id: str
) -> Decision[Gate, str]:
    """設定完了: the draft becomes the question in force, its answer kept hashed."""
    if current is None or current.verified_at is None:
        raise IdentityCheckRequired()
    if current.draft is None or now > current.draft.expires_at:
        raise QuestionRequired("秘密の質問の設定からやり直してください")
    draft = current.draft
    gate = current.but(draft=None, question_id=draft.question_id, answer=Secret(draft.answer_hash))
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
    if current.answer.failures >= policy.max_answer_tries:
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


def refuse_wrong(tries_left: int, locked: type[Refusal], invalid: type[Refusal]) -> None:
    """A wrong code or answer after its commit: the last try locks, the others say how many
    remain."""
    if tries_left <= 0:
        raise locked()
    raise invalid(tries_left=tries_left)
