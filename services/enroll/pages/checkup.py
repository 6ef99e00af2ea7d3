"""kencom's checkup-results gate on the pages (WEB-01, EN-06, seed 003): the 健診閲覧コード
from the postcard, the secret question shown for confirmation before 「設定完了」 saves it, then
its answer. One page, showing the step the member's gate stands at; each form carries the CSRF
token (X-12). Only the member with a complete login (identity's introspection) reaches it.
"""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from servicekit.credentials import Caller, Refusal
from services.enroll.domain import refusals
from services.enroll.domain.checkup import QUESTIONS
from services.enroll.pages.deps import EnrollDep, Realm, member
from services.enroll.usecases import Enroll
from services.enroll.usecases.problems import PROBLEMS
from webkit import csrf
from webkit.pages import FieldError, Pages

PAGES = Pages(Path(__file__).resolve().parent / "templates")
router = APIRouter(prefix="/realms/{realm}/checkup", tags=["pages"], include_in_schema=False)
CsrfChecked = Depends(csrf.checked)
Typed = Annotated[str, Form(max_length=200)]
GATE = "/realms/kencom/checkup"
DONE = {
    "code": "健診閲覧コードによる本人確認が完了しました。"
    "続いて、秘密の質問の設定へお進みください。",
    "question": "秘密の質問を設定しました。",
    "answer": "健診結果に関する注意事項をご確認の上、健診結果ページへお進みください。",
}


async def gate_page(
    request: Request,
    enroll: Enroll,
    caller: Caller,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
) -> Response:
    view = await enroll.checkup.view(caller.user_id)
    return PAGES.render(
        request,
        "checkup",
        status_code,
        realm="kencom",
        errors=errors,
        title="健診結果の閲覧",
        view=view,
        questions=list(QUESTIONS.items()),
        pending_question=QUESTIONS.get(view.pending_question_id or ""),
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("")
async def gate(request: Request, _: Realm, enroll: EnrollDep) -> Response:
    caller = await member(request)
    if isinstance(caller, Refusal):
        return PAGES.refused(request, "kencom", caller)
    return await gate_page(request, enroll, caller)


async def _step(
    request: Request, enroll: Enroll, field: str, done: str, step: str, *args: str
) -> Response:
    """Run one step of the gate for the page's member; a refusal is announced on the page."""
    caller = await member(request)
    if isinstance(caller, Refusal):
        return PAGES.refused(request, "kencom", caller)
    checkup = enroll.checkup
    steps: dict[str, Callable[..., Awaitable[object]]] = {
        "code": checkup.verify_code,
        "question": checkup.draft_question,
        "confirm": checkup.confirm_question,
        "answer": checkup.answer,
    }
    try:
        await steps[step](caller.user_id, *args)
    except refusals.Refusal as refusal:
        code = PROBLEMS[type(refusal)]
        message = f"{code.title}（{refusal.detail}）" if refusal.detail else code.title
        at = None if isinstance(refusal, refusals.AnswerLocked) else field  # no field to fix
        return await gate_page(request, enroll, caller, [FieldError(message, at)], code.status)
    return RedirectResponse(f"{GATE}?done={done}" if done else GATE, status_code=303)


@router.post("/code", dependencies=[CsrfChecked])
async def code(request: Request, _: Realm, enroll: EnrollDep, code: Typed = "") -> Response:
    return await _step(request, enroll, "code", "code", "code", code.strip())


@router.post("/question", dependencies=[CsrfChecked])
async def question(
    request: Request,
    _: Realm,
    enroll: EnrollDep,
    question_id: Typed = "",
    answer: Typed = "",
) -> Response:
    return await _step(request, enroll, "answer", "", "question", question_id, answer)


@router.post("/question/confirm", dependencies=[CsrfChecked])
async def confirm(request: Request, _: Realm, enroll: EnrollDep) -> Response:
    return await _step(request, enroll, "answer", "question", "confirm")


@router.post("/answer", dependencies=[CsrfChecked])
async def answer(request: Request, _: Realm, enroll: EnrollDep, answer: Typed = "") -> Response:
    return await _step(request, enroll, "answer", "answer", "answer", answer)
