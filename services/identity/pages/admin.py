"""The admin's pages for the organisation's business users (WEB-01; ID-USER-01, -05, -07,
ID-PW-06, ID-LOCK-04, ID-BIND-03, ID-MAIL-04): the list with each user's state, creation
(the initial password shown once), パスワード初期化 that also unlocks, 有効/無効, and the
browser and e-mail-authentication address resets where the realm has them.

Who may do what is the use cases' rule (``domain.authz``), as for the API; a page only asks.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from contracts.common import Role
from servicekit.problems import Problem
from services.identity.domain import inputs, refusals
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import IdentityDep, Realm, UserId
from services.identity.pages.desk import admin_home, confirm, invalid_fields
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
Step = Annotated[str, Form(max_length=20)]
IDS = {"name": "new_name", "department": "new_department", "email": "new_email"}
"""The create form's ids of the profile's fields (the user pages' own forms hold the others)."""

_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
"""The idempotency key the confirmation page carries, so a second 確定する creates nothing."""

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
    typed: dict[str, str] | None = None,
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
        typed=typed or {},
        **shown,
    )


@router.get("/users")
async def users(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    found = await admin_session(request, identity, policy.name)
    if isinstance(found, Response):
        return found
    return await _list(request, policy, identity, found[0])


def _after(policy: RealmPolicy) -> str:
    """What 確定する does with the new ID's initial password, in the realm's way."""
    if policy.business_id_requests:
        return "業務用IDの発行を申請します。サポートデスクの承認後、パスワード通知をお送りします。"
    if policy.business_password_to_admin:
        return "業務用IDを作成し、初期パスワードを管理者のメールアドレスへお送りします。"
    return "業務用IDを作成します。初期パスワードは、確定後の画面に一度だけ表示されます。"


@router.post("/users", dependencies=[CsrfChecked])
async def create(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    step: Step = "",
    login_id: Text = "",
    name: Text = "",
    department: Text = "",
    email: Text = "",
    key: Text = "",
) -> Response:
    """ID-USER-01: 確認する shows the new business ID, nothing stored yet; 確定する creates
    it through the API's use case, once however often it is pressed (the confirmation's
    idempotency key), the initial password shown on that answer only."""
    found = await admin_session(request, identity, policy.name)
    if isinstance(found, Response):
        return found
    session, org_id = found
    assigned = policy.assigned_business_ids  # nexi: no ID typed, the next number given
    login_id = "" if assigned else login_id
    typed = {"login_id": login_id, "name": name, "department": department, "email": email}
    errors: list[FieldError] = [] if assigned else _login_id_errors(policy, login_id)
    profile = None
    try:
        profile = ProfileIn(name=name or None, department=department or None, email=email or None)
    except ValidationError as invalid:
        errors.extend(invalid_fields(invalid, IDS))
    if step == "commit" and not _KEY.match(key):
        errors.append(FieldError("確認画面からやり直してください"))
    if errors or profile is None:
        return await _list(request, policy, identity, session, errors, 422, typed)
    if step != "commit":
        return confirm(
            request,
            policy,
            "業務用IDの作成（確認）",
            [
                ("ログインID", login_id.strip() or "確定時にシステムが付与します"),
                ("氏名", profile.name or "（未入力）"),
                ("所属名", profile.department or "（未入力）"),
                ("メールアドレス", profile.email or "（未入力）"),
            ],
            f"/realms/{policy.name}/admin/users",
            {**typed, "key": secrets.token_urlsafe(16)},
            f"/realms/{policy.name}/admin/users",
            f"以下の内容で{_after(policy)}よろしければ「確定する」を押してください。",
            home=admin_home(policy),
        )
    try:
        created = await identity.users.create_business_user(
            policy,
            session,
            org_id,
            login_id.strip() or None,
            profile.to_profile(),
            idempotency_key=key,
        )
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused, None if assigned else "new_login_id")]
        return await _list(request, policy, identity, session, errors, status_of(refused), typed)
    mailed = policy.business_password_to_admin and not policy.business_id_requests
    again = created.initial_password is None and not created.pending and not mailed
    return await _list(
        request,
        policy,
        identity,
        session,
        created_login_id=created.login_id,
        created_password=created.initial_password,
        created_pending="pending" if created.pending else None,
        created_again="again" if again else None,
    )


def _login_id_errors(policy: RealmPolicy, login_id: str) -> list[FieldError]:
    """A typed ID in the realm's format, asked before the confirmation, not after it."""
    if not login_id.strip():
        return [FieldError("ログインIDを入力してください", "new_login_id")]
    try:
        inputs.login_id(policy, Role.BUSINESS, login_id)
    except refusals.Refusal as refused:
        return [refusal_error(refused, "new_login_id")]
    return []


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
