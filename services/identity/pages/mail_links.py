"""The pages a mailed link opens (ID-MAIL-01, -02, ID-EMAIL-01): a confirmation page whose GET
consumes nothing, so a mail scanner that prefetches the link uses nothing up (Ory Kratos #1142),
and whose form's POST does what the link is for (X-02).

They answer at the path the mail links to, below the realm's portal URL (``/realms/…``), and
work without JavaScript. The links' tokens are not logged (the gateway logs paths without
their query string), and the pages tell referrers nothing.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse

from servicekit.credentials import login_cookies, presented_session_token
from servicekit.problems import Problem
from services.identity.domain import auth_email, email_change
from services.identity.domain.auth_email import AUTH_EMAIL_AGAIN
from services.identity.pages.deps import ClientAddress, IdentityDep, Realm
from services.identity.pages.kit import PAGES
from services.identity.usecases.refusals import link_problem
from webkit import csrf

router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)

LinkToken = Annotated[str, Query(min_length=20, max_length=100)]
FormToken = Annotated[str, Form(min_length=20, max_length=100)]


CsrfChecked = Depends(csrf.checked)
"""A link's POST comes from its own page, like every form of the portal's (X-02, X-12): the
link's secret alone would let a cross-site page that knows one of its own (a sign-up it made,
an address change it asked for) make a victim's browser follow it."""


def page(request: Request, name: str, status_code: int = 200, **values: str | None) -> HTMLResponse:
    """One of the links' pages in the portal's look."""
    realm = request.path_params.get("realm")
    return PAGES.render(request, name, status_code, realm=realm, errors=(), **values)


def refused(request: Request, problem: Problem) -> HTMLResponse:
    return page(
        request, "result", problem.code.status, title=problem.code.title, detail=problem.detail
    )


def confirmation(
    request: Request, token: str, title: str, explanation: str, button: str
) -> HTMLResponse:
    """A link's page: its form POSTs the token (and the page's CSRF token) to the same path.
    Opening it changes nothing."""
    return page(
        request,
        "confirm",
        title=title,
        explanation=explanation,
        action=request.url.path,
        token=token,
        button=button,
    )


@router.get("/login-link")
async def login_link_page(request: Request, token: LinkToken) -> HTMLResponse:
    return confirmation(
        request,
        token,
        "ログインの確認",
        "ログインボタンを押したブラウザで開いています。下のボタンでログインを完了します。",
        "ログインを完了する",
    )


@router.post("/login-link", dependencies=[CsrfChecked])
async def follow_login_link(
    request: Request,
    policy: Realm,
    token: FormToken,
    address: ClientAddress,
    identity: IdentityDep,
) -> HTMLResponse:
    answer = await identity.login_steps.confirm_login_link(
        policy,
        token,
        presented_session_token(request),
        ip=address,
        user_agent=request.headers.get("user-agent"),
    )
    problem = link_problem(policy.name, answer)
    if problem is not None:
        return refused(request, problem)
    return page(
        request,
        "result",
        title="ログインを確認しました",
        detail="ログイン操作をした画面（待機画面）に戻ってください。",
    )


@router.get("/auth-email/confirm")
async def auth_email_page(request: Request, token: LinkToken) -> HTMLResponse:
    return confirmation(
        request,
        token,
        "メール認証用アドレスの本登録",
        "下のボタンでメール認証用アドレスの本登録を完了します。",
        "本登録する",
    )


@router.post("/auth-email/confirm", dependencies=[CsrfChecked])
async def confirm_auth_email(
    request: Request, policy: Realm, token: FormToken, identity: IdentityDep
) -> HTMLResponse:
    answer = await identity.login_steps.confirm_auth_email(policy, token)
    if answer is auth_email.Confirmation.EXPIRED:
        return page(
            request,
            "result",
            410,
            title="メール認証用アドレスの仮登録がタイムアウトしました",
            detail=AUTH_EMAIL_AGAIN,
        )
    if answer is auth_email.Confirmation.INVALID:
        return page(request, "result", 404, title="このリンクは無効です")
    return page(
        request,
        "result",
        title="メール認証用アドレスの本登録が完了しました",
        detail="ログイン操作をした画面（待機画面）に戻ってください。",
    )


@router.get("/email-change/confirm")
async def email_change_page(request: Request, token: LinkToken) -> HTMLResponse:
    return confirmation(
        request,
        token,
        "メールアドレス変更の確認",
        "下のボタンで新しいメールアドレスへの変更を完了します。",
        "変更を完了する",
    )


@router.post("/email-change/confirm", dependencies=[CsrfChecked])
async def confirm_email_change(
    request: Request, policy: Realm, token: FormToken, identity: IdentityDep
) -> HTMLResponse:
    answer, rotated = await identity.self_service.confirm_email_change(
        policy, token, presented_session_token(request)
    )
    if answer is email_change.Confirmation.EXPIRED:
        return page(
            request, "result", 410, title="リンクの有効期限が切れています。もう一度お手続きください"
        )
    if answer is email_change.Confirmation.INVALID:
        return page(request, "result", 404, title="このリンクは無効です")
    if rotated is None:  # every session of the user ended (ID-SESS-03)
        return page(
            request,
            "result",
            title="メールアドレスの変更が完了しました",
            detail="安全のため、ログイン中の画面はすべてログアウトしました。再度ログインしてください。",
        )
    done = page(request, "result", title="メールアドレスの変更が完了しました")
    login_cookies(done, rotated)
    return done
