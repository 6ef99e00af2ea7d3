"""kencom's 「パスワードを忘れた方はこちら」 (ID-PW-08, seed 003 Q3 原因①): the address the
member logs in with, a reset link by mail, and the link's page that sets the new password.

The request's page says the same whether or not the address is registered. The link's page
opens without using anything (mail scanners open links, X-02); its form POSTs the token with
the new password twice, and the result page leads to the login. Both forms carry the CSRF token
(X-12) and the gateway limits their POSTs per address (GW-04). Realms without the route answer
the portal's 404 page; their forgotten-password page is ``forgotten``'s.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from servicekit.problems import Problem, ProblemCode
from services.identity.domain import refusals
from services.identity.domain.password_reset import MAIL_SENT_ANSWER, Outcome
from services.identity.domain.realms import RealmPolicy
from services.identity.pages.deps import IdentityDep, Realm
from services.identity.pages.kit import PAGES, refusal_error, status_of
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)

Text = Annotated[str, Form(max_length=4096)]
LinkToken = Annotated[str, Query(max_length=200)]
TITLE = "パスワードの再設定"
_LINK_REFUSED = {
    Outcome.EXPIRED: ProblemCode.LINK_EXPIRED,
    Outcome.INVALID: ProblemCode.LINK_INVALID,
}


def request_form(
    request: Request,
    policy: RealmPolicy,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
    email: str = "",
    answer: str | None = None,
) -> HTMLResponse:
    return PAGES.render(
        request,
        "password_reset_request",
        status_code,
        realm=policy.name,
        errors=errors,
        title=TITLE,
        email=email,
        answer=answer,
    )


def not_offered(request: Request, policy: RealmPolicy) -> Response | None:
    """The portal's 404 page where the realm mails no reset links (its own route stays)."""
    if policy.password_reset_roles:
        return None
    return PAGES.problem(request, policy.name, ProblemCode.NOT_FOUND)


@router.get("/password-reset-request")
async def password_reset_request_page(request: Request, policy: Realm) -> Response:
    return not_offered(request, policy) or request_form(request, policy)


@router.post("/password-reset-request", dependencies=[Depends(csrf.checked)])
async def request_password_reset(
    request: Request, policy: Realm, identity: IdentityDep, email: Text = ""
) -> Response:
    """A link to the registered address if the address is a member's login ID; the page says
    the same either way."""
    refused = not_offered(request, policy)
    if refused is not None:
        return refused
    typed = email.strip()
    if not typed or len(typed) > 254:
        message = "メールアドレスを入力してください" if not typed else "メールアドレスが長すぎます"
        return request_form(request, policy, [FieldError(message, "email")], 422)
    try:
        await identity.password_resets.request(policy, typed)
    except (Problem, refusals.Refusal) as error:
        errors = [refusal_error(error, "email")]
        return request_form(request, policy, errors, status_of(error), email=typed[:254])
    return request_form(request, policy, answer=MAIL_SENT_ANSWER)


def reset_form(
    request: Request,
    policy: RealmPolicy,
    token: str,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
) -> HTMLResponse:
    rule = (
        f"{policy.password_min_length}文字以上{policy.password_max_length}文字以内、"
        f"{policy.password_min_kinds}種類以上の文字（英文字・数字・記号）を含めてください。"
        "123、abcなど推測されやすい文字列は使用できません"
    )
    return PAGES.render(
        request,
        "password_reset",
        status_code,
        realm=policy.name,
        errors=errors,
        title="新しいパスワードの設定",
        token=token,
        rule=rule,
    )


def link_refused(request: Request, policy: RealmPolicy, outcome: Outcome) -> HTMLResponse:
    """An expired, used or unknown link: section 7's words, and the way to ask again."""
    code = _LINK_REFUSED[outcome]
    return PAGES.render(
        request,
        "result",
        code.status,
        realm=policy.name,
        title=code.title,
        detail="お手数ですが、もう一度パスワードの再設定をお手続きください。",
        next_href=f"/realms/{policy.name}/password-reset-request",
        next_label=TITLE,
    )


@router.get("/password-reset")
async def password_reset_page(
    request: Request, policy: Realm, identity: IdentityDep, token: LinkToken = ""
) -> Response:
    """The link's page: opening it uses nothing; a link that can no longer be used says so."""
    refused = not_offered(request, policy)
    if refused is not None:
        return refused
    outcome = await _checked(identity, policy, token)
    if outcome is not Outcome.RESET:
        return link_refused(request, policy, outcome)
    return reset_form(request, policy, token)


async def _checked(identity: IdentityDep, policy: RealmPolicy, token: str) -> Outcome:
    if not 20 <= len(token) <= 100:
        return Outcome.INVALID
    return await identity.password_resets.check(policy, token)


@router.post("/password-reset", dependencies=[Depends(csrf.checked)])
async def reset_password(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    token: Text = "",
    new_password: Text = "",
    new_password_again: Text = "",
) -> Response:
    """The new password (twice) under the realm's policy; the link is used once, and every
    session of the member ends (ID-SESS-03)."""
    refused = not_offered(request, policy)
    if refused is not None:
        return refused
    if not 20 <= len(token) <= 100:
        return link_refused(request, policy, Outcome.INVALID)
    error = _typed_twice(new_password, new_password_again)
    if error is not None:
        return reset_form(request, policy, token, [error], 422)
    try:
        outcome = await identity.password_resets.reset(policy, token, new_password)
    except (Problem, refusals.Refusal) as problem:
        errors = [refusal_error(problem, "new_password")]
        return reset_form(request, policy, token, errors, status_of(problem))
    if outcome is not Outcome.RESET:
        return link_refused(request, policy, outcome)
    return PAGES.render(
        request,
        "result",
        realm=policy.name,
        title="パスワードの再設定が完了しました",
        detail="新しいパスワードでログインしてください。"
        "安全のため、ログイン中の画面はすべてログアウトしました。",
        next_href=f"/realms/{policy.name}/login",
        next_label="ログイン画面へ",
    )


def _typed_twice(new_password: str, again: str) -> FieldError | None:
    if not new_password:
        return FieldError("新しいパスワードを入力してください", "new_password")
    if len(new_password) > 128:
        return FieldError("パスワードが長すぎます", "new_password")
    if new_password != again:
        return FieldError("新しいパスワードが確認用と一致しません", "new_password_again")
    return None
