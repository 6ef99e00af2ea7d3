"""The pages the activation mail opens (EN-02, EN-03), without JavaScript.

``GET /realms/kencom/activate?token=…`` shows a confirmation page and consumes nothing, so a
mail scanner that prefetches the link uses nothing up; its form's POST activates and shows the
insurance-card form, whose POST shows the eligibility answer with its guidance. The tokens are
not logged, the pages are not cached and tell referrers nothing.
"""

from datetime import date
from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse

from servicekit.problems import Problem
from services.enroll.api.deps import EnrollDep, Realm
from services.enroll.api.refusals import PROBLEMS
from services.enroll.api.signups import refusal
from services.enroll.domain.guidance import guidance
from services.enroll.domain.refusals import Refusal

router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)

LinkToken = Annotated[str, Query(min_length=20, max_length=100)]
FormText = Annotated[str, Form(min_length=1, max_length=100)]

_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{title}</title></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""

_CARD_FORM = """<p>{message}</p>
<form method="post" action="/realms/kencom/eligibility">
<input type="hidden" name="signup_token" value="{token}">
<p><label>氏名（フルネーム・全角カナ）<input name="name_kana" required></label></p>
<p><label>生年月日<input name="birth_date" type="date" required></label></p>
<p><label>保険者番号<input name="insurer_number" inputmode="numeric" required></label></p>
<p><label>記号<input name="symbol" required></label></p>
<p>記号にハイフンが含まれる場合、ハイフン以降の数字をご入力ください。</p>
<p><label>番号<input name="number" inputmode="numeric" required></label></p>
<p>番号が8桁以上の場合は、末尾より7桁の数字をご入力ください。</p>
<button type="submit">利用資格を照会する</button></form>"""


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = _PAGE.format(title=escape(title), body=body)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def _lines(lines: list[str]) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in lines)


def _refused(refused: Refusal | Problem) -> HTMLResponse:
    code = refused.code if isinstance(refused, Problem) else PROBLEMS[type(refused)]
    detail = refused.detail or ""
    lines = refused.extensions.get("guidance") if isinstance(refused, Problem) else None
    body = _lines([detail, *(lines if isinstance(lines, list) else [])])
    return page(code.title, body, code.status)


@router.get("/activate")
async def activation_page(_: Realm, token: LinkToken) -> HTMLResponse:
    body = (
        "<p>下のボタンを押して、本登録の手続きに進んでください。</p>"
        '<form method="post" action="/realms/kencom/activate">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        '<button type="submit">本登録に進む</button></form>'
    )
    return page("本登録の手続き", body)


@router.post("/activate")
async def activate(_: Realm, token: FormText, enroll: EnrollDep) -> HTMLResponse:
    try:
        opened = await enroll.signups.activate(token)
    except Refusal as refused:
        return _refused(refused)
    message = "メールアドレスの確認が完了しました。保険証情報を入力してください。"
    body = _CARD_FORM.format(message=escape(message), token=escape(opened.step_token))
    return page("保険証情報の入力", body)


@router.post("/eligibility")
async def eligibility(
    _: Realm,
    enroll: EnrollDep,
    signup_token: FormText,
    name_kana: FormText,
    birth_date: Annotated[date, Form()],
    insurer_number: FormText,
    symbol: FormText,
    number: FormText,
) -> HTMLResponse:
    try:
        answer = await enroll.eligibility.check(
            signup_token, name_kana, birth_date, insurer_number, symbol, number
        )
    except Refusal as refused:
        return _refused(refused)
    if not answer.eligible:
        return _refused(refusal(answer))
    return page("利用資格が確認できました", _lines(guidance(answer.outcome)))
