"""The waiting screen of dantai-net's last login steps (WEB-01, ID-MAIL-01..03, ID-BIND-01):
the e-mail-authentication address's registration, the screen that must stay open while the
login link is followed, its 「再発行」, and the completion that registers the browser.

Without JavaScript the screen reloads itself and the person presses 「ログインを完了する」; with
it, ``waiting.js`` listens to the screen's server-sent events and completes the login as soon
as the link has been followed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError

from servicekit.credentials import browser_session_token, login_cookies
from servicekit.problems import Problem
from services.identity.domain import refusals
from services.identity.domain.attempts import PendingStep
from services.identity.domain.login_link import WAITING_SCREEN, Progress, StepState, ready
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import IdentityDep, Realm
from services.identity.pages.kit import (
    PAGES,
    go,
    next_page,
    page_session,
    refusal_error,
    status_of,
    to_login,
)
from services.identity.usecases import Identity
from services.identity.usecases.inputs import AuthEmailIn
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}/login", tags=["pages"], include_in_schema=False)

CsrfChecked = Depends(csrf.checked)
EVENT_POLL_SECONDS = 1.0
EVENT_STREAM_SECONDS = 60.0
"""A stream ends after a minute; the browser's EventSource opens the next one by itself."""


def _state(progress: tuple[Progress, ...], step: PendingStep) -> StepState | None:
    return next((p.state for p in progress if p.step is step), None)


async def _waiting_screen(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
) -> Response:
    token = browser_session_token(request) or ""
    progress = await identity.login_steps.progress(policy, session, token)
    if not progress:
        return go(next_page(policy.name, ()))
    address = _state(progress, PendingStep.AUTH_EMAIL_ADDRESS)
    link = _state(progress, PendingStep.LOGIN_LINK)
    return PAGES.render(
        request,
        "waiting",
        status_code,
        realm=policy.name,
        errors=errors,
        title="メール認証",
        register=address in (StepState.TO_DO, StepState.EXPIRED),
        address_expired=address is StepState.EXPIRED,
        address_mailed=address is StepState.MAILED,
        link_mailed=link is StepState.MAILED,
        link_expired=link is StepState.EXPIRED,
        superseded=link is StepState.SUPERSEDED,
        ready=ready(progress),
        waiting_message=WAITING_SCREEN,
    )


async def _pending(request: Request, identity: Identity) -> tuple[Session, str] | None:
    session = await page_session(request, identity)
    token = browser_session_token(request)
    if session is None or token is None:
        return None
    return session, token


@router.get("/waiting")
async def waiting(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    found = await _pending(request, identity)
    if found is None:
        return to_login(policy.name)
    return await _waiting_screen(request, policy, identity, found[0])


@router.post("/auth-email", dependencies=[CsrfChecked])
async def register_auth_email(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    """ID-MAIL-01: the address gets a 60-minute link; the screen then waits for it."""
    found = await _pending(request, identity)
    if found is None:
        return to_login(policy.name)
    session, token = found
    address = email.strip()
    try:
        AuthEmailIn(email=address)  # the API's own rule for the address
    except ValidationError:
        error = FieldError("メールアドレスを正しく入力してください（半角50文字以内）", "email")
        return await _waiting_screen(request, policy, identity, session, [error], 422)
    try:
        await identity.login_steps.register_auth_email(policy, session, token, address)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused, "email")]
        return await _waiting_screen(request, policy, identity, session, errors, status_of(refused))
    return go(f"/realms/{policy.name}/login/waiting")


@router.post("/reissue", dependencies=[CsrfChecked])
async def reissue(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    """「再発行」: a new login link, at most one per 10 minutes (ID-MAIL-03)."""
    found = await _pending(request, identity)
    if found is None:
        return to_login(policy.name)
    session, token = found
    try:
        await identity.login_steps.reissue_login_link(policy, session, token)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused)]
        return await _waiting_screen(request, policy, identity, session, errors, status_of(refused))
    return go(f"/realms/{policy.name}/login/waiting")


@router.post("/complete", dependencies=[CsrfChecked])
async def complete(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    """Step 10: the waiting browser gets its full session and, the first time, is registered
    as the user's browser (its binding cookie, ID-BIND-01)."""
    found = await _pending(request, identity)
    if found is None:
        return to_login(policy.name)
    session, token = found
    try:
        done = await identity.login_steps.complete(policy, session, token)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused)]
        return await _waiting_screen(request, policy, identity, session, errors, status_of(refused))
    answer = go(f"/realms/{policy.name}/home")
    login_cookies(answer, done.session_token, realm=policy.name, browser=done.browser_cookie)
    return answer


@router.get("/waiting/events")
async def waiting_events(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    """Server-sent events for the waiting screen: ``ready`` once every step is done."""
    found = await _pending(request, identity)
    if found is None:
        return to_login(policy.name)
    session, token = found

    async def stream() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        loop = asyncio.get_running_loop()
        end = loop.time() + EVENT_STREAM_SECONDS
        while loop.time() < end and not await request.is_disconnected():
            progress = await identity.login_steps.progress(policy, session, token)
            states = {p.step.value: p.state.value for p in progress}
            if progress and ready(progress):
                yield f"event: ready\ndata: {json.dumps(states)}\n\n"
                return
            yield f"event: progress\ndata: {json.dumps(states)}\n\n"
            await asyncio.sleep(EVENT_POLL_SECONDS)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
