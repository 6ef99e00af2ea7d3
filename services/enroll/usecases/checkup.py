"""The checkup-results gate (EN-06): support issues the postcard's code, the member proves
identity with it, sets a secret question (confirmed before it is saved) and answers it later;
a locked answer is unlocked by support alone.

Only members enrolled here (a registered sign-up) have a gate. The secret answer is hashed
with argon2id in a worker thread before the decision, as identity does with passwords: it is a
low-entropy secret, so a fast hash would give it away to whoever reads the database.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from servicekit.logs import current_correlation_id, get_logger
from services.enroll.domain import checkup
from services.enroll.domain.checkup import Gate
from services.enroll.domain.refusals import (
    AnswerInvalid,
    AnswerLocked,
    CodeInvalid,
    CodeLocked,
    InputRefused,
    NotFound,
    QuestionRequired,
)
from services.enroll.domain.signups import Status
from services.enroll.store import gate_aggregate_id, signup_aggregate_id
from services.enroll.usecases.context import Context
from services.enroll.usecases.eligibility import address_fact

_USER_ID = re.compile(r"^[0-9a-f]{32}$")

log = get_logger(__name__)

ANSWERS = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
"""OWASP's minimum argon2id, as identity's passwords (ID-PW-01)."""
DUMMY = ANSWERS.hash(secrets.token_urlsafe(16))


def _verify(stored: str, answer: str) -> bool:
    try:
        return ANSWERS.verify(stored, answer)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class GateView:
    """What the member sees of the gate; never a hash."""

    code_issued: bool
    identity_verified: bool
    question_id: str | None
    question: str | None
    pending_question_id: str | None
    code_tries_left: int
    answer_tries_left: int
    answer_locked: bool
    """Only the support desk unlocks it (EN-06)."""


@dataclass(frozen=True)
class MemberGate:
    """A member as the support desk finds them: who, since when, and where their gate stands."""

    user_id: str
    login_id: str
    registered_at: datetime | None
    gate: GateView


class Checkup:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.store = context.store
        self.policy = context.gates

    async def _enrolled(self, user_id: str) -> None:
        """Members enrolled here; anyone else has no gate (the same answer as no member)."""
        signup = await self.store.signups.get(signup_aggregate_id(user_id))
        if signup is None or signup.status is not Status.REGISTERED:
            raise NotFound()

    async def find(self, query: str) -> MemberGate:
        """The support desk finds an enrolled member by login ID (the address the member signed
        up with, any case, as its claim holds it) or by user ID; ``NotFound`` otherwise, alike."""
        typed = query.strip()
        user_id = typed if _USER_ID.fullmatch(typed) else None
        if user_id is None and 3 <= len(typed) <= 254:
            user_id = await self.store.claims.owner_of(address_fact(typed))
        if user_id is None:
            raise NotFound()
        signup = await self.store.signups.get(signup_aggregate_id(user_id))
        if signup is None or signup.status is not Status.REGISTERED:
            raise NotFound()
        return MemberGate(user_id, signup.email, signup.registered_at, await self.view(user_id))

    async def issue_code(self, user_id: str) -> str:
        """Support issues (or reissues) the 健診閲覧コード; answered once, for the postcard."""
        await self._enrolled(user_id)
        code = "".join(secrets.choice(checkup.CODE_ALPHABET) for _ in range(checkup.CODE_LENGTH))
        hashed = checkup.code_hash(secrets.token_hex(8), code)
        now = self.context.clock.now()
        await self.store.gates.update(
            gate_aggregate_id(user_id),
            partial(checkup.issue_code, user_id=user_id, hashed=hashed, now=now),
        )
        log.info("checkup code issued", user_id=user_id)
        return code

    async def unlock_answer(self, user_id: str, support_id: str) -> bool:
        """Support unlocks a locked secret answer (EN-06), named in ``SecretAnswerUnlocked``;
        answers whether there was a lock to undo."""
        await self._enrolled(user_id)
        decide = partial(
            checkup.unlock_answer,
            support_id=support_id,
            policy=self.policy,
            now=self.context.clock.now(),
            correlation_id=current_correlation_id(),
        )
        unlocked: bool = await self.store.gates.update(gate_aggregate_id(user_id), decide)
        log.info("secret answer unlock", user_id=user_id, support_id=support_id, done=unlocked)
        return unlocked

    async def view(self, user_id: str) -> GateView:
        await self._enrolled(user_id)
        gate = await self.store.gates.get(gate_aggregate_id(user_id)) or Gate(user_id)
        code_failures = gate.code.failures if gate.code else 0
        answer_failures = gate.answer.failures if gate.answer else 0
        return GateView(
            code_issued=gate.code is not None,
            identity_verified=gate.verified_at is not None,
            question_id=gate.question_id,
            question=checkup.QUESTIONS.get(gate.question_id or ""),
            pending_question_id=gate.draft.question_id if gate.draft else None,
            code_tries_left=max(self.policy.max_code_tries - code_failures, 0),
            answer_tries_left=max(self.policy.max_answer_tries - answer_failures, 0),
            answer_locked=gate.answer_locked(self.policy),
        )

    async def verify_code(self, user_id: str, code: str) -> None:
        """本人確認 (EN-06): counted; the last wrong try locks the code."""
        await self._enrolled(user_id)
        decide = partial(
            checkup.verify_code,
            typed=code,
            policy=self.policy,
            now=self.context.clock.now(),
            correlation_id=current_correlation_id(),
        )
        tries_left: int = await self.store.gates.update(gate_aggregate_id(user_id), decide)
        if tries_left < self.policy.max_code_tries:
            checkup.refuse_wrong(tries_left, CodeLocked, CodeInvalid)

    async def draft_question(self, user_id: str, question_id: str, answer: str) -> checkup.Draft:
        """秘密の質問設定: hashed now, saved only once confirmed."""
        await self._enrolled(user_id)
        if question_id not in checkup.QUESTIONS:
            raise InputRefused("question_id", "秘密の質問を一覧から選んでください")
        # refused before the slow hash too (a locked answer must not buy argon2 work); the
        # decision checks again on the version it commits
        checkup.may_set_question(
            await self.store.gates.get(gate_aggregate_id(user_id)), self.policy
        )
        answer_hash = await asyncio.to_thread(ANSWERS.hash, answer)
        decide = partial(
            checkup.draft_question,
            question_id=question_id,
            answer_hash=answer_hash,
            policy=self.policy,
            now=self.context.clock.now(),
        )
        draft: checkup.Draft = await self.store.gates.update(gate_aggregate_id(user_id), decide)
        return draft

    async def confirm_question(self, user_id: str) -> str:
        """設定完了: the confirmed draft is the question in force (``SecretQuestionSet``)."""
        await self._enrolled(user_id)
        decide = partial(
            checkup.confirm_question,
            policy=self.policy,
            now=self.context.clock.now(),
            correlation_id=current_correlation_id(),
        )
        question_id: str = await self.store.gates.update(gate_aggregate_id(user_id), decide)
        return question_id

    async def answer(self, user_id: str, answer: str) -> None:
        """The secret answer opens the results; case-sensitive; counted (EN-06)."""
        await self._enrolled(user_id)
        aggregate = gate_aggregate_id(user_id)
        gate = await self.store.gates.load(aggregate)
        stored = gate.state.answer.hash if gate.state and gate.state.answer else None
        if stored is None:
            raise QuestionRequired()
        correct = await asyncio.to_thread(_verify, stored, answer)
        decide = partial(
            checkup.answered, verified_hash=stored, correct=correct, policy=self.policy
        )
        tries_left: int = await self.store.gates.update(aggregate, decide, known=gate)
        if not correct:
            checkup.refuse_wrong(tries_left, AnswerLocked, AnswerInvalid)
