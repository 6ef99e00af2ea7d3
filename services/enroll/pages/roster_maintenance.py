"""kencom's support console: a union under kencom maintenance (WEB-04, WEB-05, EN-10).

Seed 003 A3 原因③: while a union (健康保険組合) carries out its kencom maintenance, its members'
card checks cannot succeed, and the seed tells them to ask the support desk. The desk marks the
union's roster so from the roster page (名簿取込): 保険者番号 and the state, 確認する, then
確定する on a page that shows the union's roster and the change. The mark is the API's
(``PUT …/rosters/{保険者番号}/maintenance``, the same use case), kept on the union's roster, and
a new import keeps it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from services.enroll.domain import card
from services.enroll.domain.refusals import CardRefused, NotFound
from services.enroll.pages.deps import EnrollDep, Realm
from services.enroll.pages.rosters import HOME, PAGES, form_page, operator_of
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(
    prefix="/realms/{realm}/support/rosters/maintenance", tags=["pages"], include_in_schema=False
)
Typed = Annotated[str, Form(max_length=20)]
STATES = {"on": True, "off": False}
NO_ROSTER = "この保険者番号の名簿はありません。名簿を取り込んだ組合だけを指定できます"
DONE = {
    True: "保険者番号{}の組合をkencomメンテナンス中にしました。"
    "この組合の加入者の保険証情報の照会には、メンテナンス中のご案内が表示されます。",
    False: "保険者番号{}の組合のkencomメンテナンスを終了しました。保険証情報を照会できます。",
}


def _refused(typed: dict[str, str], message: str, status_code: int, request: Request) -> Response:
    errors = [FieldError(message, "maintenance_insurer_number")]
    return form_page(request, typed, errors, status_code)


def _asked(
    request: Request, insurer_number: str, under_maintenance: str
) -> tuple[str, bool, dict[str, str]] | Response:
    """What both steps check of the form: the union's 保険者番号 and the state asked for, with
    what was typed; or the form again with the error."""
    typed = {"maintenance_insurer_number": insurer_number, "under_maintenance": under_maintenance}
    try:
        union = card.insurer_number(insurer_number)
    except CardRefused as refused:
        return _refused(typed, refused.detail or "保険者番号を確認してください", 422, request)
    if under_maintenance not in STATES:
        errors = [FieldError("メンテナンスの状態を選んでください", "under_maintenance")]
        return form_page(request, typed, errors, 422)
    return union, STATES[under_maintenance], typed


@router.post("", dependencies=[Depends(csrf.checked)])
async def confirm(
    request: Request,
    _: Realm,
    enroll: EnrollDep,
    insurer_number: Typed = "",
    under_maintenance: Typed = "",
) -> Response:
    """確認する: the union's roster as it is, and the change asked for; nothing changes yet."""
    caller = await operator_of(request)
    if isinstance(caller, Response):
        return caller
    asked = _asked(request, insurer_number, under_maintenance)
    if isinstance(asked, Response):
        return asked
    union, on, typed = asked
    found = await enroll.rosters.current(union)
    if found is None:
        return _refused(typed, NO_ROSTER, 404, request)
    return PAGES.render(
        request,
        "support_maintenance_confirm",
        realm="kencom",
        title="組合のkencomメンテナンスの確認",
        roster=found[0],
        version=found[1],
        on=on,
        state=under_maintenance,
        home=HOME,
    )


@router.post("/confirm", dependencies=[Depends(csrf.checked)])
async def confirmed(
    request: Request,
    _: Realm,
    enroll: EnrollDep,
    insurer_number: Typed = "",
    under_maintenance: Typed = "",
) -> Response:
    """確定する: the API's use case marks the union, or ends its maintenance (EN-10)."""
    caller = await operator_of(request)
    if isinstance(caller, Response):
        return caller
    asked = _asked(request, insurer_number, under_maintenance)
    if isinstance(asked, Response):
        return asked
    union, on, typed = asked
    try:
        await enroll.rosters.maintain(union, on, caller.user_id)
    except NotFound:
        return _refused(typed, NO_ROSTER, 404, request)
    return form_page(request, notice=DONE[on].format(union))
