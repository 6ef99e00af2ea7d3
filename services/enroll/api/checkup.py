"""特定健診結果の閲覧 (EN-06): the member's gate, and what support does for it.

The member's own session (a kencom member with a complete login) opens their own gate only;
support reissues a member's 健診閲覧コード, answered once for the postcard (seed 003 A4), and
alone unlocks a locked secret answer.
"""

from fastapi import APIRouter, status

from services.enroll.api.deps import EnrollDep, Member, Realm, Support, UserId
from services.enroll.api.links import (
    CHECKUP_CODE_ISSUED,
    CHECKUP_CODE_VERIFIED,
    QUESTIONS_LISTED,
    SECRET_QUESTION_DRAFTED,
    SECRET_QUESTION_SET,
)
from services.enroll.api.schemas import (
    AnswerIn,
    CodeIn,
    Done,
    DraftOut,
    GateOut,
    IssuedCodeOut,
    QuestionOut,
    SecretQuestionIn,
    UnlockedOut,
)
from services.enroll.domain.checkup import QUESTIONS

router = APIRouter(prefix="/v1/realms/{realm}", tags=["checkup results"])


@router.get(
    "/checkup-access/questions",
    summary="The secret questions to choose from",
    responses={200: {"links": QUESTIONS_LISTED}},
)
async def questions(_: Realm) -> list[QuestionOut]:
    return [QuestionOut(question_id=k, question=v) for k, v in QUESTIONS.items()]


@router.get("/checkup-access", summary="Where the member's checkup-results gate stands")
async def gate(caller: Member, enroll: EnrollDep) -> GateOut:
    found = await enroll.checkup.view(caller.user_id)
    return GateOut(**vars(found))


@router.post(
    "/checkup-access/code",
    summary="本人確認 with the 健診閲覧コード; wrong codes are counted and lock (EN-06)",
    responses={200: {"links": CHECKUP_CODE_VERIFIED}},
)
async def verify_code(caller: Member, body: CodeIn, enroll: EnrollDep) -> Done:
    await enroll.checkup.verify_code(caller.user_id, body.code)
    return Done(
        message="健診閲覧コードによる本人確認が完了しました。続いて、秘密の質問の設定へお進みください。"
    )


@router.post(
    "/checkup-access/secret-question",
    status_code=status.HTTP_202_ACCEPTED,
    summary="秘密の質問設定: shown for confirmation, saved only when confirmed (EN-06)",
    responses={202: {"links": SECRET_QUESTION_DRAFTED}},
)
async def draft_question(caller: Member, body: SecretQuestionIn, enroll: EnrollDep) -> DraftOut:
    draft = await enroll.checkup.draft_question(caller.user_id, body.question_id, body.answer)
    return DraftOut(
        question_id=draft.question_id,
        question=QUESTIONS[draft.question_id],
        answer="*" * 8,
        expires_at=draft.expires_at,
        message="以下の内容で秘密の質問を設定します。間違いなければ「設定完了」を押してください。"
        "（セキュリティ上の観点から回答を非表示にしております）",
    )


@router.post(
    "/checkup-access/secret-question/confirm",
    summary="設定完了: the confirmed question and its hashed answer are saved (EN-06)",
    responses={200: {"links": SECRET_QUESTION_SET}},
)
async def confirm_question(caller: Member, enroll: EnrollDep) -> QuestionOut:
    question_id = await enroll.checkup.confirm_question(caller.user_id)
    return QuestionOut(question_id=question_id, question=QUESTIONS[question_id])


@router.post(
    "/checkup-access/answer",
    summary="The secret answer opens the checkup results; case-sensitive, counted (EN-06)",
)
async def answer(caller: Member, body: AnswerIn, enroll: EnrollDep) -> Done:
    await enroll.checkup.answer(caller.user_id, body.answer)
    return Done(message="健診結果に関する注意事項をご確認の上、健診結果ページへお進みください。")


@router.post(
    "/members/{user_id}/checkup-code",
    status_code=status.HTTP_201_CREATED,
    summary="Support issues a member's 健診閲覧コード; a new one voids the old (EN-06)",
    responses={201: {"links": CHECKUP_CODE_ISSUED}},
)
async def issue_code(_: Support, user_id: UserId, enroll: EnrollDep) -> IssuedCodeOut:
    code = await enroll.checkup.issue_code(user_id)
    return IssuedCodeOut(user_id=user_id, code=code)


@router.post(
    "/members/{user_id}/secret-answer/unlock",
    summary="Support unlocks a member's locked secret answer; the event names who (EN-06)",
)
async def unlock_answer(caller: Support, user_id: UserId, enroll: EnrollDep) -> UnlockedOut:
    unlocked = await enroll.checkup.unlock_answer(user_id, caller.user_id)
    message = (
        "秘密の質問の答えのロックを解除しました。"
        if unlocked
        else "秘密の質問の答えはロックされていません。"
    )
    return UnlockedOut(user_id=user_id, unlocked=unlocked, message=message)
