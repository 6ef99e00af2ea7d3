"""The member's change screen (WEB-01; ID-USER-08, ID-EMAIL-01, seed 002): the login ID
(confirmed with the password), the phone number, and the e-mail address, which changes only
when the link mailed to the new address is followed. Each change is noticed by mail; each form
carries the CSRF token (X-12) and a refusal is announced on the screen in section 7's words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from servicekit.credentials import browser_session_token, login_cookies
from servicekit.problems import Problem
from services.identity.domain import refusals
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import ClientDep, IdentityDep, Realm
from services.identity.pages.kit import (
    PAGES,
    go,
    locked_out,
    page_session,
    refusal_error,
    status_of,
    to_login,
)
from services.identity.usecases import Identity
from services.identity.usecases.inputs import EmailChangeRequest, LoginIdChange, PhoneChange
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}/account", tags=["pages"], include_in_schema=False)
CsrfChecked = Depends(csrf.checked)
Text = Annotated[str, Form(max_length=254)]
INVALID = {
    "login_id": "新しいログインIDと現在のパスワードを入力してください",
    "phone": "電話番号は半角数字とハイフンで入力してください（例：03-1234-5678）",
    "new_email": "新しいメールアドレス（半角50文字以内）と現在のパスワードを入力してください",
}
DONE = {
    "login-id": "ログインIDを変更しました。次回から新しいログインIDでログインしてください。",
    "phone": "電話番号を変更しました。",
    "email": "新しいメールアドレスに確認用のリンクを送信しました（24時間有効）。"
    "リンクを開くと変更が完了します。",
}


async def screen(
    request: Request,
    policy: RealmPolicy,
    session: Session,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
) -> Response:
    return PAGES.render(
        request,
        "account",
        status_code,
        realm=policy.name,
        errors=errors,
        title="登録情報の変更",
        session=session,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("")
async def account(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    session = await page_session(request, identity)
    if session is None or session.pending_steps:
        return to_login(policy.name)
    return await screen(request, policy, session)


async def _change(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    field: str,
    done: str,
    change: Callable[[Session, str], Awaitable[str | None]],
    checked: Callable[[], object],
) -> Response:
    """One of the screen's changes for the page's member: the input ``checked`` by the API's
    own schema first, then the use case with the session and its token; a refusal is shown at
    ``field``. A change that rotates the session (ID-SESS-03) answers its new token, which
    becomes the browser's cookie."""
    session = await page_session(request, identity)
    token = browser_session_token(request)
    if session is None or token is None or session.pending_steps:
        return to_login(policy.name)
    try:
        checked()
    except ValidationError:
        error = FieldError(INVALID[field], field)
        return await screen(request, policy, session, [error], 422)
    try:
        rotated = await change(session, token)
    except (Problem, refusals.Refusal) as refused:
        if isinstance(refused, refusals.AccountLocked):  # its sessions ended with the lock
            return locked_out(request, policy)
        errors = [refusal_error(refused, field)]
        return await screen(request, policy, session, errors, status_of(refused))
    answer = go(f"/realms/{policy.name}/account?done={done}")
    if rotated is not None and rotated != token:
        login_cookies(answer, rotated)
    return answer


@router.post("/login-id", dependencies=[CsrfChecked])
async def change_login_id(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    client: ClientDep,
    login_id: Text = "",
    current_password: Text = "",
) -> Response:
    return await _change(
        request,
        policy,
        identity,
        "login_id",
        "login-id",
        lambda s, token: identity.self_service.change_login_id(
            policy, s, token, current_password, login_id, client
        ),
        lambda: LoginIdChange(current_password=current_password, login_id=login_id),
    )


@router.post("/phone", dependencies=[CsrfChecked])
async def change_phone(
    request: Request, policy: Realm, identity: IdentityDep, phone: Text = ""
) -> Response:
    return await _change(
        request,
        policy,
        identity,
        "phone",
        "phone",
        lambda s, _: identity.self_service.change_phone(policy, s, phone.strip()),
        lambda: PhoneChange(phone=phone.strip()),
    )


@router.post("/email", dependencies=[CsrfChecked])
async def change_email(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    client: ClientDep,
    new_email: Text = "",
    email_password: Text = "",
) -> Response:
    """Confirmed with the current password (ID-LOCK-05): the address receives temporary
    passwords and codes. Its field has its own name, beside the login-ID form's."""
    return await _change(
        request,
        policy,
        identity,
        "new_email",
        "email",
        lambda s, token: identity.self_service.request_email_change(
            policy, s, token, email_password, new_email.strip(), client
        ),
        lambda: EmailChangeRequest(current_password=email_password, new_email=new_email.strip()),
    )
