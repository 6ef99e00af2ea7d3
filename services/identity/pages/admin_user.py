"""One business user on the admin's pages (WEB-01; ID-USER-06, ID-PW-06): the profile as the
admin keeps it (氏名, 所属名, 役職名, e-mail, phone), 「パスワード強制変更」 (the admin sets a
password, which unlocks), and nexi's 「リセット」 (a new password mailed to the admin).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from servicekit.problems import Problem, ProblemCode
from services.identity.domain import refusals
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import IdentityDep, Realm, UserId
from services.identity.pages.desk import CHANGE_EXPLANATION, admin_home, confirm
from services.identity.pages.kit import (
    PAGES,
    admin_session,
    business_user,
    go,
    refusal_error,
    status_of,
)
from services.identity.usecases import Identity
from services.identity.usecases.inputs import ForcedPassword, ProfileIn
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(
    prefix="/realms/{realm}/admin/users/{user_id}", tags=["pages"], include_in_schema=False
)
CsrfChecked = Depends(csrf.checked)
Text = Annotated[str, Form(max_length=400)]
DONE = {
    "profile": "登録情報を変更しました",
    "password": "パスワードを変更しました（アカウントロックも解除されました）",
    "reset": "パスワードをリセットしました。"
    "新しいパスワードは管理者のメールアドレスにお送りしました",
}
PROFILE_FIELDS = ("name", "department", "title", "email", "phone")
PROFILE_LABELS = {
    "name": "氏名",
    "department": "所属名",
    "title": "役職名",
    "email": "メールアドレス",
    "phone": "電話番号",
}


async def user_page(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    user_id: str,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
) -> Response:
    user = await business_user(identity, policy, session, user_id)
    if user is None:
        return go(f"/realms/{policy.name}/admin/users")
    return PAGES.render(
        request,
        "admin_user",
        status_code,
        realm=policy.name,
        errors=errors,
        title="業務用IDの変更",
        user=user,
        policy=policy,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("")
async def user(request: Request, policy: Realm, user_id: UserId, identity: IdentityDep) -> Response:
    found = await admin_session(request, identity, policy.name)
    if isinstance(found, Response):
        return found
    return await user_page(request, policy, identity, found[0], user_id)


async def _act(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    user_id: str,
    done: str,
    field: str | None,
    act: Callable[[Session, str], Awaitable[None]],
) -> Response:
    found = await admin_session(request, identity, policy.name)
    if isinstance(found, Response):
        return found
    session, org_id = found
    try:
        await act(session, org_id)
    except ValidationError as invalid:
        errors = [
            FieldError(str(e["msg"]).removeprefix("Value error, "), str(e["loc"][0]))
            for e in invalid.errors()
        ]
        return await user_page(request, policy, identity, session, user_id, errors, 422)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused, field)]
        return await user_page(
            request, policy, identity, session, user_id, errors, status_of(refused)
        )
    return go(f"/realms/{policy.name}/admin/users/{user_id}?done={done}")


@router.post("/profile", dependencies=[CsrfChecked])
async def change_profile(
    request: Request,
    policy: Realm,
    user_id: UserId,
    identity: IdentityDep,
    name: Text = "",
    department: Text = "",
    title: Text = "",
    email: Text = "",
    phone: Text = "",
    step: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """ID-USER-06: the whole profile, each field checked as the API checks it (X-07). First
    「確認する」 shows the new profile (seed 004 4-6: Webユーザー（申込者）情報変更確認), then
    「確定する」 changes it (WEB-05); nothing changes before."""
    typed = dict(zip(PROFILE_FIELDS, (name, department, title, email, phone), strict=True))
    if step != "commit":
        return await _confirm_profile(request, policy, identity, user_id, typed)

    async def act(session: Session, org_id: str) -> None:
        profile = ProfileIn(**{k: v.strip() or None for k, v in typed.items()})
        await identity.accounts.change_profile(
            policy, session, org_id, user_id, profile.to_profile()
        )

    return await _act(request, policy, identity, user_id, "profile", None, act)


async def _confirm_profile(
    request: Request, policy: RealmPolicy, identity: Identity, user_id: str, typed: dict[str, str]
) -> Response:
    """The confirmation of a profile change: the profile as it will be, checked first."""
    found = await admin_session(request, identity, policy.name)
    if isinstance(found, Response):
        return found
    session = found[0]
    try:
        ProfileIn(**{k: v.strip() or None for k, v in typed.items()})
    except ValidationError as invalid:
        errors = [
            FieldError(str(e["msg"]).removeprefix("Value error, "), str(e["loc"][0]))
            for e in invalid.errors()
        ]
        return await user_page(request, policy, identity, session, user_id, errors, 422)
    user = await business_user(identity, policy, session, user_id)
    if user is None:
        return go(f"/realms/{policy.name}/admin/users")
    rows = [("ログインID", user.login_id)] + [
        (PROFILE_LABELS[k], typed[k].strip() or "（未入力）") for k in PROFILE_FIELDS
    ]
    return confirm(
        request,
        policy,
        "業務用IDの変更（確認）",
        rows,
        f"/realms/{policy.name}/admin/users/{user_id}/profile",
        {k: v.strip() for k, v in typed.items()},
        f"/realms/{policy.name}/admin/users/{user_id}",
        CHANGE_EXPLANATION,
        home=admin_home(policy),
    )


@router.post("/password", dependencies=[CsrfChecked])
async def force_password(
    request: Request,
    policy: Realm,
    user_id: UserId,
    identity: IdentityDep,
    new_password: Text = "",
    new_password_again: Text = "",
) -> Response:
    """「パスワード強制変更」 (ID-PW-06): a password the realm's policy accepts; unlocks."""

    async def act(session: Session, org_id: str) -> None:
        if new_password != new_password_again:
            raise Problem(ProblemCode.VALIDATION_ERROR, detail="確認用のパスワードと一致しません")
        ForcedPassword(new_password=new_password)
        await identity.accounts.force_password(policy, session, org_id, user_id, new_password)

    return await _act(request, policy, identity, user_id, "password", "new_password", act)


@router.post("/reset", dependencies=[CsrfChecked])
async def reset(
    request: Request,
    policy: Realm,
    user_id: UserId,
    identity: IdentityDep,
    confirmed: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """nexi's 「リセット」 (ID-PW-06): a new random password mailed to the admin; unlocks.
    First the seed's question (004 4-7: パスワードをリセットします。よろしいですか？), then
    「確定する」 resets (WEB-05)."""
    if confirmed != "yes":
        found = await admin_session(request, identity, policy.name)
        if isinstance(found, Response):
            return found
        user = await business_user(identity, policy, found[0], user_id)
        if user is None or not policy.password_reset_to_admin:
            return go(f"/realms/{policy.name}/admin/users")
        return PAGES.render(
            request, "reset_confirm", realm=policy.name, title="パスワードリセット", user=user
        )

    async def act(session: Session, org_id: str) -> None:
        await identity.accounts.reset_password(policy, session, org_id, user_id)

    return await _act(request, policy, identity, user_id, "reset", None, act)
