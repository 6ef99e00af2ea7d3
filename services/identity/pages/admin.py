"""The admin's pages for the organisation's business users (WEB-01; ID-USER-01, -05, -07,
ID-PW-06, ID-LOCK-04, ID-BIND-03, ID-MAIL-04): the list with each user's state, creation
(the initial password shown once), パスワード初期化 that also unlocks, 有効/無効, and the
browser and e-mail-authentication address resets where the realm has them.

Who may do what is the use cases' rule (``domain.authz``), as for the API; a page only asks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from servicekit.problems import Problem
from services.identity.domain import refusals
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import IdentityDep, Realm, UserId
from services.identity.pages.kit import (
    PAGES,
    admin_session,
    go,
    refusal_error,
    refused_page,
    status_of,
)
from services.identity.pages.permissions import PERMISSION_LABELS
from services.identity.usecases import Identity
from services.identity.usecases.accounts import LoginFactor
from services.identity.usecases.inputs import ProfileIn
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}/admin", tags=["pages"], include_in_schema=False)

CsrfChecked = Depends(csrf.checked)
Text = Annotated[str, Form(max_length=400)]

#: What each action button does, and what the list then says it did.
DONE = {
    "initialise": "パスワードを初期化しました（アカウントロックも解除されました）",
    "activate": "利用者IDを有効にしました",
    "deactivate": "利用者IDを無効にしました",
    "browser": "ブラウザ情報を初期化しました",
    "auth-email": "メール認証用アドレスを初期化しました",
    "permissions": "権限を設定しました",
}


async def _list(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
    **shown: str | None,
) -> Response:
    assert session.org_id is not None
    try:
        users = await identity.users.business_users(policy, session, session.org_id)
    except (Problem, refusals.Refusal) as refused:
        return refused_page(request, policy, refused)
    return PAGES.render(
        request,
        "admin_users",
        status_code,
        realm=policy.name,
        errors=errors,
        title="業務用IDの管理",
        users=users,
        policy=policy,
        done=DONE.get(request.query_params.get("done", "")),
        labels=PERMISSION_LABELS,
        **shown,
    )


@router.get("/users")
async def users(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    found = await admin_session(request, identity, policy.name)
    if isinstance(found, Response):
        return found
    return await _list(request, policy, identity, found[0])


@router.post("/users", dependencies=[CsrfChecked])
async def create(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    login_id: Text = "",
    name: Text = "",
    department: Text = "",
    email: Text = "",
) -> Response:
    """ID-USER-01: the new user's initial password is shown on this answer only."""
    found = await admin_session(request, identity, policy.name)
    if isinstance(found, Response):
        return found
    session, org_id = found
    if not login_id.strip():
        error = FieldError("ログインIDを入力してください", "new_login_id")
        return await _list(request, policy, identity, session, [error], 422)
    try:
        profile = ProfileIn(name=name or None, department=department or None, email=email or None)
    except ValidationError as invalid:
        errors = [
            FieldError(str(e["msg"]).removeprefix("Value error, "), f"new_{e['loc'][0]}")
            for e in invalid.errors()
        ]
        return await _list(request, policy, identity, session, errors, 422)
    try:
        created = await identity.users.create_business_user(
            policy, session, org_id, login_id.strip(), profile.to_profile()
        )
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused, "new_login_id")]
        return await _list(request, policy, identity, session, errors, status_of(refused))
    return await _list(
        request,
        policy,
        identity,
        session,
        created_login_id=created.login_id,
        created_password=created.initial_password,
        created_pending="pending" if created.pending else None,
    )


def _action(
    name: str,
) -> Callable[[Identity, RealmPolicy, Session, str, str], Awaitable[None]]:
    """The use case behind one of the list's buttons."""
    if name == "initialise":
        return lambda i, p, s, o, u: i.accounts.initialise_password(p, s, o, u)
    if name in ("activate", "deactivate"):
        active = name == "activate"
        return lambda i, p, s, o, u: i.accounts.change_status(p, s, o, u, active)
    factor = LoginFactor(name)
    return lambda i, p, s, o, u: i.accounts.reset_login_factor(p, s, o, u, factor)


@router.post("/users/{user_id}/{action}", dependencies=[CsrfChecked])
async def act(
    request: Request,
    policy: Realm,
    user_id: UserId,
    action: str,
    identity: IdentityDep,
) -> Response:
    found = await admin_session(request, identity, policy.name)
    if isinstance(found, Response):
        return found
    session, org_id = found
    if action not in DONE or action == "permissions":  # that one is permission_pages' form
        return go(f"/realms/{policy.name}/admin/users")
    try:
        await _action(action)(identity, policy, session, org_id, user_id)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused)]
        return await _list(request, policy, identity, session, errors, status_of(refused))
    return go(f"/realms/{policy.name}/admin/users?done={action}")
