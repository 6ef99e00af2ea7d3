"""A pending login's last steps (ID-LOGIN-01 steps 8-10): the waiting screen's calls, the
e-mail-authentication address (ID-MAIL-01), the login link (ID-MAIL-02, -03) and the completion
that hands the waiting browser its full session (ID-BIND-01)."""

from fastapi import APIRouter, Request, Response, status

from servicekit.credentials import login_cookies, presented_session_token
from servicekit.problems import Problem, ProblemCode
from services.identity.api.deps import Caller, ClientAddress, IdentityDep, Realm, Token
from services.identity.api.links import SESSION_ROTATED
from services.identity.api.schemas import (
    Accepted,
    AuthEmailIn,
    LinkTokenIn,
    LoginOut,
    LoginProgressOut,
    StepOut,
)
from services.identity.domain.auth_email import AUTH_EMAIL_AGAIN, Confirmation
from services.identity.domain.login_link import WAITING_SCREEN, Progress, StepState, ready
from services.identity.usecases.refusals import link_problem

router = APIRouter(prefix="/v1/realms/{realm}", tags=["login"])


def steps_out(progress: tuple[Progress, ...]) -> list[StepOut]:
    return [
        StepOut(step=p.step.value, state=p.state.value, expires_at=p.expires_at) for p in progress
    ]


@router.get("/login/progress", summary="The waiting screen: where the pending login stands")
async def login_progress(
    policy: Realm, caller: Caller, token: Token, identity: IdentityDep
) -> LoginProgressOut:
    progress = await identity.login_steps.progress(policy, caller, token)
    mailed = any(p.state is StepState.MAILED and p.step.value == "login_link" for p in progress)
    return LoginProgressOut(
        steps=steps_out(progress),
        ready=bool(progress) and ready(progress),
        message=WAITING_SCREEN if mailed else None,
    )


@router.post(
    "/login/auth-email",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Register the e-mail-authentication address: a 60-minute link goes to it (ID-MAIL-01)",
)
async def register_auth_email(
    policy: Realm, body: AuthEmailIn, caller: Caller, token: Token, identity: IdentityDep
) -> Accepted:
    await identity.login_steps.register_auth_email(policy, caller, token, body.email)
    return Accepted(message="メール認証用アドレスに本登録依頼のメールを送信しました（60分有効）")


@router.post(
    "/auth-email/confirm",
    summary="Confirm the e-mail-authentication address with its link's token (ID-MAIL-01)",
    responses={410: {"description": "AUTH_EMAIL_PROVISIONAL_TIMEOUT"}},
)
async def confirm_auth_email(policy: Realm, body: LinkTokenIn, identity: IdentityDep) -> Accepted:
    answer = await identity.login_steps.confirm_auth_email(policy, body.token)
    if answer is Confirmation.EXPIRED:
        raise Problem(ProblemCode.AUTH_EMAIL_PROVISIONAL_TIMEOUT, detail=AUTH_EMAIL_AGAIN)
    if answer is Confirmation.INVALID:
        raise Problem(ProblemCode.LINK_INVALID)
    return Accepted(message="メール認証用アドレスの本登録が完了しました")


@router.post(
    "/login/link",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Re-issue the login link (再発行), 10 minutes after the last one (ID-MAIL-03)",
    responses={429: {"description": "LINK_RESEND_TOO_SOON"}},
)
async def reissue_login_link(
    policy: Realm, caller: Caller, token: Token, identity: IdentityDep
) -> Accepted:
    await identity.login_steps.reissue_login_link(policy, caller, token)
    return Accepted(message=WAITING_SCREEN)


@router.post(
    "/login-link",
    summary="Follow the login link: the POST of its confirmation page (ID-MAIL-02)",
    responses={404: {"description": "LINK_INVALID"}, 410: {"description": "AUTH_LINK_TIMEOUT"}},
)
async def confirm_login_link(
    request: Request,
    policy: Realm,
    body: LinkTokenIn,
    address: ClientAddress,
    identity: IdentityDep,
) -> Accepted:
    """Confirms the pending login of *this* browser (its session, as cookie or bearer); the
    waiting screen then completes it. Anywhere else it logs nothing in (seed 000 Q19)."""
    answer = await identity.login_steps.confirm_login_link(
        policy,
        body.token,
        presented_session_token(request),
        ip=address,
        user_agent=request.headers.get("user-agent"),
    )
    refused = link_problem(policy.name, answer)
    if refused is not None:
        raise refused
    return Accepted(message="ログインを確認しました。ログイン操作をした画面に戻ってください")


@router.post(
    "/login/complete",
    summary="Step 10: the waiting browser receives its full session",
    responses={200: {"links": SESSION_ROTATED}},
)
async def complete_login(
    response: Response, policy: Realm, caller: Caller, token: Token, identity: IdentityDep
) -> LoginOut:
    done = await identity.login_steps.complete(policy, caller, token)
    login_cookies(response, done.session_token, realm=policy.name, browser=done.browser_cookie)
    session = done.session
    return LoginOut(
        user_id=session.user_id,
        role=session.role.value,
        previous_login_at=session.previous_login_at,
        password_change_required=False,
    )
