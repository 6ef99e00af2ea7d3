"""What identity's pages share: the renderer over the portal's look (``libs/webkit``), the
session a page's browser holds, where a login goes next, and the refusals as page errors.

Pages call the same use cases as the API; a refusal is re-rendered in the form that caused it,
announced with the title of its problem (SPEC section 7), never answered as a 500 (X-05).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from servicekit.credentials import browser_session_token, forget_cookie
from servicekit.problems import Problem, ProblemCode
from services.identity.domain import refusals
from services.identity.domain.attempts import PendingStep
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.domain.users import User
from services.identity.usecases import Identity
from services.identity.usecases.refusals import PROBLEMS
from webkit.pages import OTP_DETAIL, FieldError, Pages

PAGES = Pages(Path(__file__).resolve().parent / "templates")


async def page_session(request: Request, identity: Identity) -> Session | None:
    """The live session of the page's browser, if it has one (its cookie: pages never take a
    bearer)."""
    token = browser_session_token(request)
    if not token or len(token) > 512:
        return None
    return await identity.login.introspect(token)


async def admin_session(
    request: Request, identity: Identity, realm: str
) -> tuple[Session, str] | Response:
    """The page's browser's full session and its organisation (the admin's pages ask; the use
    cases decide what it may do), or where the browser goes instead: the login without such a
    session, the way to the OTP while its organisation's OTP is owed. Every admin page is a
    protected operation (ID-OTP-05), refused before anything is read or changed."""
    session = await page_session(request, identity)
    if session is None or session.pending_steps or session.org_id is None:
        return to_login(realm)
    if session.needs_otp:
        return otp_required(request, realm)
    return session, session.org_id


async def feature_admin_session(
    request: Request, identity: Identity, realm: str, available: bool
) -> Session | Response:
    """The admin's full session on a page of something only some realms have (``available``:
    this realm has it): the portal's 404 page where it has not, asked first since the address
    does not exist there; otherwise :func:`admin_session`'s answer."""
    if not available:
        return PAGES.problem(request, realm, ProblemCode.NOT_FOUND)
    found = await admin_session(request, identity, realm)
    return found if isinstance(found, Response) else found[0]


def otp_required(request: Request, realm: str, status_code: int = 403) -> HTMLResponse:
    """ワンタイムパスワードにより保護されています (seed 004 5-3), with the button
    「ワンタイムパスワードの発行」, which mails the code and shows the entry screen."""
    return PAGES.render(
        request,
        "otp_required",
        status_code,
        realm=realm,
        title=ProblemCode.OTP_REQUIRED.title,
        detail=OTP_DETAIL,
    )


async def business_user(
    identity: Identity, policy: RealmPolicy, session: Session, user_id: str
) -> User | None:
    """One of the organisation's business users, as the caller may read them (ID-USER-07)."""
    assert session.org_id is not None
    users = await identity.users.business_users(policy, session, session.org_id)
    return next((u for u in users if u.user_id == user_id), None)


def next_page(realm: str, pending: tuple[str, ...]) -> str:
    """Where a login goes after a step: the forced change first, then the waiting screen of
    the e-mail steps (and the browser's registration), then the portal's top page."""
    if PendingStep.PASSWORD_CHANGE.value in pending:
        return f"/realms/{realm}/password-change"
    if pending:
        return f"/realms/{realm}/login/waiting"
    return f"/realms/{realm}/home"


def go(path: str) -> RedirectResponse:
    """Post/redirect/get: a form's success moves the browser on with a 303."""
    return RedirectResponse(path, status_code=303)


def to_login(realm: str) -> RedirectResponse:
    return go(f"/realms/{realm}/login")


def locked_out(request: Request, policy: RealmPolicy) -> Response:
    """A session's wrong current password locked its account (ID-LOCK-05): every session of
    the user ended with the lock, so the page says why in section 7's words and leads to the
    login, and the browser forgets its cookie."""
    answer = PAGES.render(
        request,
        "result",
        ProblemCode.ACCOUNT_LOCKED.status,
        title=ProblemCode.ACCOUNT_LOCKED.title,
        next_href=f"/realms/{policy.name}/login",
        next_label="ログイン画面へ",
    )
    forget_cookie(answer)
    return answer


def refusal_error(error: Problem | refusals.Refusal, field: str | None = None) -> FieldError:
    """A problem or a domain refusal as the error a form announces, in section 7's words."""
    if isinstance(error, Problem):
        message = error.code.title
        detail = error.detail
    else:
        message = PROBLEMS[type(error)].title
        detail = error.detail
    if detail and detail != message:
        message = f"{message}（{detail}）"
    return FieldError(message, field)


def status_of(error: Problem | refusals.Refusal) -> int:
    if isinstance(error, Problem):
        return error.code.status
    return PROBLEMS[type(error)].status


def refused_page(
    request: Request, policy: RealmPolicy, refused: Problem | refusals.Refusal
) -> Response:
    """A page refused whole (a list the caller may not read, a realm without it): the
    refusal's words as its title and its status, in the portal's look, never a form."""
    return PAGES.render(
        request,
        "webkit/message",
        status_of(refused),
        realm=policy.name,
        title=refusal_error(refused).message,
    )
