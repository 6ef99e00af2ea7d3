"""The support console's operators (WEB-04, ID-USER-04): the realm's support operators listed
(login ID, created, last login, lock; ``staff.support_operators``, the newest first, bounded),
and a support operator creates another of its realm, the initial password shown once on the
result page only.

The first support operator of a realm is made on the command line
(``python -m services.identity create-support-operator REALM LOGIN_ID``); every other one here
or through the API (``POST /v1/realms/{realm}/support-operators``), both through
``users.create_support_operator``, which names the operator who created it in ``UserCreated``.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from servicekit.problems import Problem
from services.identity.domain import inputs, refusals
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import IdentityDep, Realm
from services.identity.pages.desk import when
from services.identity.pages.kit import PAGES, refusal_error, refused_page, status_of
from services.identity.pages.support_home import support_session
from services.identity.usecases import Identity
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(
    prefix="/realms/{realm}/support/operators", tags=["pages"], include_in_schema=False
)
CsrfChecked = Depends(csrf.checked)
Text = Annotated[str, Form(max_length=400)]

_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _checked(login_id: str) -> list[FieldError]:
    typed = login_id.strip()
    if not typed:
        return [FieldError("ログインIDを入力してください", "login_id")]
    if not inputs.is_half_width(typed):
        return [FieldError("ログインIDは半角英数字で入力してください", "login_id")]
    if len(typed) > 64:
        return [FieldError("ログインIDは64文字以内で入力してください", "login_id")]
    return []


async def _page(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    login_id: str = "",
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
) -> Response:
    """The realm's operators and the form to create another (with its errors, if any)."""
    try:
        listed = await identity.staff.support_operators(policy, session)
    except (Problem, refusals.Refusal) as refused:
        return refused_page(request, policy, refused)
    return PAGES.render(
        request,
        "support_operators",
        status_code,
        realm=policy.name,
        errors=errors,
        title="サポート担当者",
        login_id=login_id,
        operators=listed,
        when=when,
    )


@router.get("")
async def operators(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    session = await support_session(request, identity, policy.name)
    if isinstance(session, Response):
        return session
    return await _page(request, policy, identity, session)


@router.post("/new", dependencies=[CsrfChecked])
async def confirm(
    request: Request, policy: Realm, identity: IdentityDep, login_id: Text = ""
) -> Response:
    """確認する: the new operator's login ID shown back, nothing stored yet."""
    session = await support_session(request, identity, policy.name)
    if isinstance(session, Response):
        return session
    errors = _checked(login_id)
    if errors:
        return await _page(request, policy, identity, session, login_id, errors, 422)
    return PAGES.render(
        request,
        "support_operator_confirm",
        realm=policy.name,
        title="サポート担当者の作成（確認）",
        login_id=login_id.strip(),
        key=secrets.token_urlsafe(16),
    )


@router.post("", dependencies=[CsrfChecked])
async def create(
    request: Request, policy: Realm, identity: IdentityDep, login_id: Text = "", key: Text = ""
) -> Response:
    """確定する: the operator, its initial password on this answer only."""
    session = await support_session(request, identity, policy.name)
    if isinstance(session, Response):
        return session
    errors = _checked(login_id)
    if not _KEY.match(key):
        errors.append(FieldError("確認画面からやり直してください"))
    if errors:
        return await _page(request, policy, identity, session, login_id, errors, 422)
    try:
        created = await identity.users.create_support_operator(
            policy, login_id, by=session, idempotency_key=key
        )
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused, "login_id")]
        return await _page(request, policy, identity, session, login_id, errors, status_of(refused))
    return PAGES.render(
        request,
        "support_operator_created",
        realm=policy.name,
        title="サポート担当者を作成しました",
        login_id=created.login_id,
        password=created.initial_password,
    )
