"""`nexi`'s one-time password on the pages (WEB-01; ID-OTP-01..03, -05, seed 004 chapter 5):
the user page's 「ワンタイムパスワードの発行」, the 「ワンタイムパスワード入力」 screen and
its 「認証」, the admin's 「ワンタイムパスワード利用」 switch, and the page a protected page
leads to while the OTP is owed.

A right code replaces the session with a verified one (a new cookie) until logout or timeout.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from servicekit.credentials import browser_session_token, login_cookies
from servicekit.problems import Problem, ProblemCode
from services.identity.domain import refusals
from services.identity.domain.otp import Entry
from services.identity.domain.realms import RealmPolicy
from services.identity.pages.deps import IdentityDep, Realm
from services.identity.pages.kit import (
    PAGES,
    admin_session,
    go,
    otp_required,
    page_session,
    refusal_error,
    status_of,
    to_login,
)
from services.identity.usecases.inputs import OtpEntry
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)

CsrfChecked = Depends(csrf.checked)
ISSUED = (
    "WebサービスのユーザーIDに登録されているメールアドレスにワンタイムパスワードを送信しました。"
    "ワンタイムパスワードは発行後10分間に限り有効です。入力を2回間違えると失効します。"
)


def entry_form(
    request: Request, policy: RealmPolicy, errors: list[FieldError], status_code: int = 200
) -> Response:
    return PAGES.render(
        request,
        "otp_entry",
        status_code,
        realm=policy.name,
        errors=errors,
        title="ワンタイムパスワード入力",
        issued=ISSUED,
    )


@router.get("/otp")
async def owed(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    """ワンタイムパスワードにより保護されています: where a protected page sends a session that
    owes its organisation's OTP (ID-OTP-05; the gateway's redirect, the services' refusal pages),
    with 「ワンタイムパスワードの発行」. A session that owes none goes to the user page."""
    session = await page_session(request, identity)
    if session is None or session.pending_steps:
        return to_login(policy.name)
    if not session.needs_otp:
        return go(f"/realms/{policy.name}/home")
    return otp_required(request, policy.name, 200)


@router.post("/otp/issue", dependencies=[CsrfChecked])
async def issue(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    """「ワンタイムパスワードの発行」: a code to the user's address, then the entry screen."""
    session = await page_session(request, identity)
    token = browser_session_token(request)
    if session is None or token is None or session.pending_steps:
        return to_login(policy.name)
    try:
        await identity.otp.issue(policy, session, token)
    except (Problem, refusals.Refusal) as refused:
        return entry_form(request, policy, [refusal_error(refused)], status_of(refused))
    return entry_form(request, policy, [])


@router.post("/otp/verify", dependencies=[CsrfChecked])
async def verify(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """「認証」: a right code verifies the session (a new cookie); a wrong one says how many
    entries are left, the second voids the code (ID-OTP-03)."""
    session = await page_session(request, identity)
    token = browser_session_token(request)
    if session is None or token is None or session.pending_steps:
        return to_login(policy.name)
    try:
        OtpEntry(code=code.strip())  # the API's own rule: six half-width digits
    except ValidationError:
        error = FieldError("ワンタイムパスワードを半角数字6桁で入力してください", "code")
        return entry_form(request, policy, [error], 422)
    try:
        entered = await identity.otp.enter(policy, session, token, code.strip())
    except (Problem, refusals.Refusal) as refused:
        return entry_form(request, policy, [refusal_error(refused, "code")], status_of(refused))
    judged = entered.judged
    if judged.entry is Entry.WRONG:
        message = f"{ProblemCode.OTP_INVALID.title}（あと{judged.remaining}回誤ると失効します）"
        return entry_form(request, policy, [FieldError(message, "code")], 422)
    if judged.entry is not Entry.VERIFIED or entered.session_token is None:
        message = (
            "入力を2回間違えたため失効しました。再度発行してください"
            if judged.entry is Entry.VOIDED
            else ProblemCode.OTP_EXPIRED.title
        )
        return entry_form(request, policy, [FieldError(message, "code")], 410)
    answer = go(f"/realms/{policy.name}/home?otp=verified")
    login_cookies(answer, entered.session_token)
    return answer


@router.post("/admin/otp-policy", dependencies=[CsrfChecked])
async def switch(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    enabled: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """「ワンタイムパスワード利用」: the admin switches it for every user (ID-OTP-01)."""
    found = await admin_session(request, identity, policy.name)
    if isinstance(found, Response):
        return found
    session, org_id = found
    try:
        await identity.otp.switch(policy, session, org_id, enabled == "on")
    except (Problem, refusals.Refusal) as refused:
        return PAGES.render(
            request,
            "webkit/message",
            status_of(refused),
            realm=policy.name,
            title=refusal_error(refused).message,
            next_href=f"/realms/{policy.name}/home",
            next_label="トップへ戻る",
        )
    return go(f"/realms/{policy.name}/home?otp=switched")
