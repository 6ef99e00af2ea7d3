"""Logging in (ID-LOGIN-01..05): the login itself, and where to turn when the ID is forgotten."""

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from domainkit.tokyo import TOKYO
from servicekit.credentials import browser_cookie_name, browser_session_token, login_cookies
from servicekit.problems import Problem, ProblemCode
from services.identity.api.deps import ClientAddress, IdentityDep, Realm
from services.identity.api.links import LOGGED_IN
from services.identity.api.schemas import Credentials, ForgottenIdOut, ForgottenIdRequest, LoginOut
from services.identity.domain.attempts import LoginAnswer
from services.identity.domain.realms import FORGOTTEN_ID_GUIDANCE

router = APIRouter(prefix="/v1/realms/{realm}", tags=["login"])

_REFUSED = {
    LoginAnswer.LOCKED: ProblemCode.ACCOUNT_LOCKED,
    LoginAnswer.DISABLED: ProblemCode.ACCOUNT_DISABLED,
    LoginAnswer.BROWSER_MISMATCH: ProblemCode.BROWSER_MISMATCH,
}


@router.post(
    "/login",
    summary="Log in with a login ID and password (ID-LOGIN-01)",
    responses={
        200: {"links": LOGGED_IN},
        401: {"description": "INVALID_CREDENTIALS"},
        403: {
            "description": "ACCOUNT_DISABLED, BROWSER_MISMATCH, CHALLENGE_REQUIRED, "
            "CHALLENGE_FAILED"
        },
        422: {"description": "HALF_WIDTH_REQUIRED"},
        423: {"description": "ACCOUNT_LOCKED"},
        503: {"description": "MAINTENANCE"},
    },
)
async def log_in(
    request: Request,
    response: Response,
    policy: Realm,
    body: Credentials,
    address: ClientAddress,
    identity: IdentityDep,
    app_credential: Annotated[
        str | None,
        Header(
            alias="X-App-Client-Credential",
            max_length=200,
            description="The kencom app's client credential (EN-09): the app skips the "
            "challenge; a wrong or missing one changes nothing.",
        ),
    ] = None,
) -> LoginOut:
    """Checks in the order of ID-LOGIN-01. An unknown login ID is answered, timed and locked
    exactly like a wrong password. Success sets the opaque session cookie. Where the realm has
    the bot defence, a solved challenge comes first (ID-BOT-01)."""
    browser = request.cookies.get(browser_cookie_name(policy.name))
    outcome = await identity.login.log_in(
        policy,
        body.login_id,
        body.password,
        ip=address,
        user_agent=request.headers.get("user-agent"),
        browser_cookie=browser,
        challenge=body.challenge,
        held=browser_session_token(request),
        app_credential=app_credential,
    )
    result = outcome.result
    if result.answer in _REFUSED:
        raise Problem(_REFUSED[result.answer])
    if outcome.session_token is None or result.user is None:
        raise Problem(ProblemCode.INVALID_CREDENTIALS)
    bound = result.user.browser_binding is not None  # the binding is kept another 400 days
    login_cookies(
        response,
        outcome.session_token,
        realm=policy.name,
        browser=browser if bound else None,
        remember=body.remember_id,
        login_id=body.login_id,
    )
    previous = result.previous_login_at
    return LoginOut(
        user_id=result.user.user_id,
        role=result.user.role.value,
        previous_login_at=previous.astimezone(TOKYO) if previous else None,
        password_change_required=result.must_change_password,
        pending_steps=[step.value for step in result.pending],
    )


@router.post(
    "/forgotten-login-id",
    summary="Forgot the login ID: where to turn, never whether an address is known",
)
async def forgotten_login_id(policy: Realm, body: ForgottenIdRequest) -> ForgottenIdOut:
    """ID-LOGIN-05: the answer depends on the realm only, never on the address given."""
    route = policy.forgotten_id_route
    return ForgottenIdOut(route=route.value, message=FORGOTTEN_ID_GUIDANCE[route])
