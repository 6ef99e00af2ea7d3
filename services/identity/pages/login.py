"""The login screens (WEB-01, ID-LOGIN-01..03, ID-PW-03): the login form with
「次回ログインからIDの入力を省略」, the forced password change and logout (the portal's top
page is ``home``'s).

Server-rendered and working without JavaScript; each form carries the CSRF token (X-12) and a
refusal re-renders the form with section 7's words announced at its top.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from servicekit.credentials import (
    REMEMBER_ID_COOKIE,
    browser_cookie_name,
    browser_session_token,
    forget_cookie,
    login_cookies,
)
from servicekit.problems import Problem, ProblemCode
from services.identity.domain import refusals
from services.identity.domain.attempts import LoginAnswer, PendingStep
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import (
    ClientAddress,
    ClientDep,
    IdentityDep,
    Realm,
    client_address,
)
from services.identity.pages.guides import login_guides
from services.identity.pages.kit import (
    PAGES,
    go,
    locked_out,
    next_page,
    page_session,
    refusal_error,
    status_of,
    to_login,
)
from services.identity.usecases import Identity
from services.identity.usecases.inputs import PasswordChange
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)

CsrfChecked = Depends(csrf.checked)
Text = Annotated[str, Form(max_length=4096)]

_REFUSED = {
    LoginAnswer.LOCKED: ProblemCode.ACCOUNT_LOCKED,
    LoginAnswer.DISABLED: ProblemCode.ACCOUNT_DISABLED,
    LoginAnswer.BROWSER_MISMATCH: ProblemCode.BROWSER_MISMATCH,
}
REMEMBER_LABEL = "次回ログインからIDの入力を省略"
#: The login page's link for a forgotten password, in each seed's words: 000 (Q6) and 002 (Q&A)
#: write 「パスワードを忘れた方はこちら」, 004 (4-3) a sentence for the admin.
FORGOTTEN_PASSWORD = "パスワードを忘れた方はこちら"  # noqa: S105 - a link's words
FORGOTTEN_PASSWORD_LINKS = {
    "nexi": "Webユーザー（管理者）がご自身のパスワードを忘れた場合は、"
    "こちらからパスワードを再発行してください。",
}
#: What a browser whose session ended is told on the login page it is sent to (WEB-05, seed
#: 000 Q13): section 7's title of ``SESSION_EXPIRED``.
SESSION_ENDED = ProblemCode.SESSION_EXPIRED.title


async def login_form(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    login_id: str,
    remembered: bool,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    """The form; where the realm has the bot defence (ID-BOT-01), with a fresh challenge that
    ``bot-challenge.js`` solves before the form is sent. ``notice``: why the browser is here
    (a session that ended, WEB-05)."""
    challenge = None
    if policy.bot_challenge:
        made = await identity.bot_defence.challenge(policy, await client_address(request))
        challenge = json.dumps(made, separators=(",", ":"))
    return PAGES.render(
        request,
        "login",
        status_code,
        realm=policy.name,
        errors=errors,
        title="ログイン",
        login_id=login_id,
        remembered=remembered,
        remember_label=REMEMBER_LABEL,
        challenge=challenge,
        notice=notice,
        guides=login_guides(policy.name),
        signup_href=f"/realms/{policy.name}/signup" if policy.self_signup else None,
        reset_link=bool(policy.password_reset_roles),  # kencom's wording (seed 003 Q3)
        forgotten_password_label=FORGOTTEN_PASSWORD_LINKS.get(policy.name, FORGOTTEN_PASSWORD),
    )


@router.get("/login")
async def login_page(request: Request, policy: Realm, identity: IdentityDep) -> HTMLResponse:
    """The login form; a remembered ID is filled in and the box stays ticked (ID-LOGIN-03)."""
    remembered = request.cookies.get(REMEMBER_ID_COOKIE, "")[:254]
    ended = bool(browser_session_token(request)) and await page_session(request, identity) is None
    notice = SESSION_ENDED if ended else None
    answer = await login_form(
        request, policy, identity, remembered, bool(remembered), notice=notice
    )
    if ended:
        forget_cookie(answer)  # said once: the next visit is a plain login
    return answer


@router.post("/login", dependencies=[CsrfChecked])
async def log_in(
    request: Request,
    policy: Realm,
    address: ClientAddress,
    identity: IdentityDep,
    login_id: Text = "",
    password: Text = "",
    remember_id: Annotated[str, Form(max_length=10)] = "",
    altcha: Text = "",
) -> Response:
    """ID-LOGIN-01 through the same use case as the API; success moves to the next step."""
    remember = remember_id == "on"
    missing = [
        FieldError(message, name)
        for name, value, message in (
            ("login_id", login_id, "ログインIDを入力してください"),
            ("password", password, "パスワードを入力してください"),
        )
        if not value.strip()
    ]
    if not missing and (len(login_id) > 254 or len(password) > 128):
        missing = [FieldError("ログインIDまたはパスワードが長すぎます", "login_id")]
    if missing:
        return await login_form(request, policy, identity, login_id, remember, missing, 422)
    browser = request.cookies.get(browser_cookie_name(policy.name))
    try:
        outcome = await identity.login.log_in(
            policy,
            login_id,
            password,
            ip=address,
            user_agent=request.headers.get("user-agent"),
            browser_cookie=browser,
            challenge=altcha or None,
            held=browser_session_token(request),
        )
    except (Problem, refusals.Refusal) as refused:
        return await login_form(
            request,
            policy,
            identity,
            login_id,
            remember,
            [refusal_error(refused, "login_id")],
            status_of(refused),
        )
    result = outcome.result
    if outcome.session_token is None or result.user is None:
        code = _REFUSED.get(result.answer, ProblemCode.INVALID_CREDENTIALS)
        return await login_form(
            request,
            policy,
            identity,
            login_id,
            remember,
            [FieldError(code.title, "login_id")],
            code.status,
        )
    answer = go(next_page(policy.name, tuple(step.value for step in result.pending)))
    bound = result.user.browser_binding is not None  # the binding is kept another 400 days
    login_cookies(
        answer,
        outcome.session_token,
        realm=policy.name,
        browser=browser if bound else None,
        remember=remember,
        login_id=login_id,
    )
    return answer


def password_form(
    request: Request,
    policy: RealmPolicy,
    session: Session,
    errors: list[FieldError],
    status_code: int = 200,
) -> HTMLResponse:
    return PAGES.render(
        request,
        "password_change",
        status_code,
        realm=policy.name,
        errors=errors,
        title="パスワード変更",
        hint=policy.password_hint,
        forced=PendingStep.PASSWORD_CHANGE.value in session.pending_steps,
    )


@router.get("/password-change")
async def password_change_page(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    """The forced change of an initial or temporary password (ID-PW-03), or one's own."""
    session = await page_session(request, identity)
    if session is None:
        return to_login(policy.name)
    return password_form(request, policy, session, [])


@router.post("/password-change", dependencies=[CsrfChecked])
async def change_password(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    client: ClientDep,
    current_password: Text = "",
    new_password: Text = "",
    new_password_again: Text = "",
    hint: Text = "",
) -> Response:
    session = await page_session(request, identity)
    token = browser_session_token(request)
    if session is None or token is None:
        return to_login(policy.name)
    if not new_password or new_password != new_password_again:
        error = FieldError("新しいパスワードが確認用と一致しません", "new_password_again")
        return password_form(request, policy, session, [error], 422)
    try:  # the API's own limits
        PasswordChange(
            current_password=current_password, new_password=new_password, hint=hint or None
        )
    except ValidationError:
        error = FieldError("入力内容が長すぎるか、空欄があります", "current_password")
        return password_form(request, policy, session, [error], 422)
    try:
        rotated = await identity.self_service.change_password(
            policy, session, token, current_password, new_password, hint or None, client
        )
    except (Problem, refusals.Refusal) as refused:
        if isinstance(refused, refusals.AccountLocked):  # its sessions ended with the lock
            return locked_out(request, policy)
        field = "current_password" if status_of(refused) == 401 else "new_password"
        errors = [refusal_error(refused, field)]
        return password_form(request, policy, session, errors, status_of(refused))
    after = await identity.login.introspect(rotated)  # the session goes on under a new id
    answer = go(next_page(policy.name, after.pending_steps if after else ()))
    login_cookies(answer, rotated)
    return answer


@router.post("/logout", dependencies=[CsrfChecked])
async def log_out(request: Request, policy: Realm, identity: IdentityDep) -> RedirectResponse:
    token = browser_session_token(request)
    if token:
        await identity.login.log_out(token)
    answer = to_login(policy.name)
    forget_cookie(answer)
    return answer
