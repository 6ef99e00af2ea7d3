"""Where a person who forgot something turns (WEB-01; ID-PW-04, ID-PW-05, ID-LOGIN-05): the
password hint (dantai-net), a temporary password by mail where the realm issues one, and the
forgotten login ID's guidance. Answers never tell whether an ID or address is known; each form
carries the CSRF token (X-12) and the gateway limits their POSTs per address (GW-04).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from servicekit.problems import Problem
from services.identity.domain import refusals
from services.identity.domain.realms import FORGOTTEN_ID_GUIDANCE, RealmPolicy
from services.identity.domain.temporary import MAIL_SENT_ANSWER
from services.identity.pages.deps import IdentityDep, Realm
from services.identity.pages.kit import PAGES, go, refusal_error, status_of
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)
Text = Annotated[str, Form(max_length=254)]
NO_ROUTE = "パスワードをお忘れの方は、サポートデスクへお問い合わせください。"


def forgotten_form(
    request: Request,
    policy: RealmPolicy,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
    answer: str | None = None,
) -> HTMLResponse:
    return PAGES.render(
        request,
        "forgotten_password",
        status_code,
        realm=policy.name,
        errors=errors,
        title="パスワードをお忘れの方",
        hint_route=policy.password_hint,
        mail_route=bool(policy.temporary_password_roles),
        no_route=NO_ROUTE,
        answer=answer,
    )


@router.get("/forgotten-password")
async def forgotten_password(request: Request, policy: Realm) -> Response:
    """kencom's route is the reset link by mail (ID-PW-08): an old bookmark leads there."""
    if policy.password_reset_roles:
        return go(f"/realms/{policy.name}/password-reset-request")
    return forgotten_form(request, policy)


@router.post("/forgotten-password", dependencies=[Depends(csrf.checked)])
async def forgotten_password_sent(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    login_id: Text = "",
    email: Text = "",
) -> HTMLResponse:
    """The hint for the ID (ID-PW-04), or a temporary password mailed when the ID and address
    belong together (ID-PW-05); the page says the same either way."""
    if not login_id.strip():
        errors = [FieldError("ログインIDを入力してください", "login_id")]
        return forgotten_form(request, policy, errors, 422)
    try:
        if policy.password_hint:
            hint = await identity.self_service.password_hint(policy, login_id)
            shown = f"パスワードのヒント：{hint}" if hint else "ヒントは登録されていません。"
            return forgotten_form(request, policy, answer=shown)
        if not email.strip():
            errors = [FieldError("メールアドレスを入力してください", "email")]
            return forgotten_form(request, policy, errors, 422)
        await identity.self_service.request_temporary_password(policy, login_id, email.strip())
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused, "login_id")]
        return forgotten_form(request, policy, errors, status_of(refused))
    return forgotten_form(request, policy, answer=MAIL_SENT_ANSWER)


@router.get("/forgotten-login-id")
async def forgotten_login_id(request: Request, policy: Realm) -> HTMLResponse:
    """ID-LOGIN-05: where to turn, the realm's words; nothing about any address."""
    return PAGES.render(
        request,
        "webkit/message",
        realm=policy.name,
        title="ログインIDをお忘れの方",
        detail=FORGOTTEN_ID_GUIDANCE[policy.forgotten_id_route],
        next_href=f"/realms/{policy.name}/login",
        next_label="ログイン画面へ",
    )
