"""kencom's support console: 健診閲覧コード (WEB-04, EN-06, seed 003 A4), for kencom's support
desk only, through the API's use cases (``Checkup.issue_code``, ``Checkup.unlock_answer``).

The operator finds a member by login ID (the e-mail address) or user ID, sees where the
member's gate stands, and issues or reissues the code: 確認する, then 確定する (WEB-05); the code
is shown once, for the postcard, and a new one voids the old. A locked secret answer is
unlocked the same way; its event names the operator (EN-06). The address is posted, never put
in a URL; the member's page is named by the user ID.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response

from servicekit.credentials import Caller, Refusal
from services.enroll.domain import refusals
from services.enroll.pages.deps import EnrollDep, Realm, support
from services.enroll.usecases import Enroll
from services.enroll.usecases.checkup import MemberGate
from services.enroll.usecases.problems import PROBLEMS
from webkit import csrf
from webkit.pages import FieldError, Pages

PAGES = Pages(Path(__file__).resolve().parent / "templates")
router = APIRouter(
    prefix="/realms/{realm}/support/checkup-codes", tags=["pages"], include_in_schema=False
)
HOME = "/realms/kencom/support/checkup-codes"
CsrfChecked = Depends(csrf.checked)
Typed = Annotated[str, Form(max_length=300)]
UserId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]
DONE = {
    "unlocked": "秘密の質問の答えのロックを解除しました。",
    "not-locked": "秘密の質問の答えはロックされていません。",
}
NOT_FOUND = (
    "該当する会員が見つかりません。ログインID（メールアドレス）または会員IDをご確認ください。"
)


async def _operator(request: Request) -> Caller | Response:
    found = await support(request)
    if isinstance(found, Refusal):
        return PAGES.refused(request, "kencom", found)
    return found


def search_page(
    request: Request,
    query: str = "",
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
) -> Response:
    return PAGES.render(
        request,
        "support_checkup_codes",
        status_code,
        realm="kencom",
        errors=errors,
        title="健診閲覧コードの発行",
        query=query,
    )


@router.get("")
async def search_form(request: Request, _: Realm) -> Response:
    caller = await _operator(request)
    if isinstance(caller, Response):
        return caller
    return search_page(request)


@router.post("", dependencies=[CsrfChecked])
async def search(request: Request, _: Realm, enroll: EnrollDep, query: Typed = "") -> Response:
    """The member by login ID or user ID; the same answer for no member and no gate (X-15:
    only the support desk asks, and it is told nothing else)."""
    caller = await _operator(request)
    if isinstance(caller, Response):
        return caller
    if not query.strip():
        message = "ログインID（メールアドレス）または会員IDを入力してください"
        return search_page(request, query, [FieldError(message, "query")], 422)
    try:
        found = await enroll.checkup.find(query)
    except refusals.NotFound:
        return search_page(request, query, [FieldError(NOT_FOUND, "query")], 404)
    return RedirectResponse(f"{HOME}/{found.user_id}", status_code=303)


async def _member(
    request: Request, enroll: Enroll, user_id: str
) -> tuple[Caller, MemberGate] | Response:
    caller = await _operator(request)
    if isinstance(caller, Response):
        return caller
    try:
        return caller, await enroll.checkup.find(user_id)
    except refusals.NotFound:
        return search_page(request, "", [FieldError(NOT_FOUND, "query")], 404)


def member_page(
    request: Request, member: MemberGate, template: str = "support_checkup_member", **more: Any
) -> Response:
    return PAGES.render(
        request,
        template,
        200,
        realm="kencom",
        title="健診閲覧コードの発行",
        member=member,
        home=HOME,
        **more,
    )


@router.get("/{user_id}")
async def member(request: Request, _: Realm, user_id: UserId, enroll: EnrollDep) -> Response:
    found = await _member(request, enroll, user_id)
    if isinstance(found, Response):
        return found
    return member_page(request, found[1], done=DONE.get(request.query_params.get("done", "")))


@router.post("/{user_id}/issue", dependencies=[CsrfChecked])
async def issue(
    request: Request, _: Realm, user_id: UserId, enroll: EnrollDep, confirmed: Typed = ""
) -> Response:
    """確認する shows what will happen; 確定する issues the code and shows it once."""
    found = await _member(request, enroll, user_id)
    if isinstance(found, Response):
        return found
    gate = found[1]
    if confirmed != "yes":
        return member_page(request, gate, "support_checkup_confirm", action="issue")
    try:
        code = await enroll.checkup.issue_code(user_id)
    except refusals.Refusal as refusal:
        return PAGES.problem(request, "kencom", PROBLEMS[type(refusal)], refusal.detail)
    return member_page(request, gate, "support_checkup_issued", code=code)


@router.post("/{user_id}/unlock", dependencies=[CsrfChecked])
async def unlock(
    request: Request, _: Realm, user_id: UserId, enroll: EnrollDep, confirmed: Typed = ""
) -> Response:
    """The locked secret answer unlocked by this operator (named in its event, EN-06)."""
    found = await _member(request, enroll, user_id)
    if isinstance(found, Response):
        return found
    operator, gate = found
    if confirmed != "yes":
        return member_page(request, gate, "support_checkup_confirm", action="unlock")
    try:
        unlocked = await enroll.checkup.unlock_answer(user_id, operator.user_id)
    except refusals.Refusal as refusal:
        return PAGES.problem(request, "kencom", PROBLEMS[type(refusal)], refusal.detail)
    done = "unlocked" if unlocked else "not-locked"
    return RedirectResponse(f"{HOME}/{user_id}?done={done}", status_code=303)
