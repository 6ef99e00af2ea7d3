"""nexi's permission matrix on the admin's pages (WEB-01, ID-PERM-01, seed 004 chapter 1): for
an applicant user, 入力・申込権限, 情報データ参照範囲 (with the riders, 対象特約のみ) and
申込データ参照範囲, always set whole. Open sessions act with it from their next request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from contracts.permissions import ApplicationScope, ContractScope, InputRight, Permissions
from servicekit.problems import Problem
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
    to_login,
)
from services.identity.usecases import Identity
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(
    prefix="/realms/{realm}/admin/users/{user_id}/permissions",
    tags=["pages"],
    include_in_schema=False,
)
Choice = Annotated[str, Form(max_length=20)]

INPUT_RIGHTS = [
    (InputRight.NONE.value, "なし"),
    (InputRight.INPUT.value, "入力のみ"),
    (InputRight.INPUT_APPLY.value, "入力・申込"),
]
CONTRACT_SCOPES = [
    (ContractScope.NONE.value, "参照不可"),
    (ContractScope.ALL.value, "すべて参照可能"),
    (ContractScope.RIDERS.value, "対象特約のみ参照可能"),
]
APPLICATION_SCOPES = [
    (ApplicationScope.NONE.value, "参照不可"),
    (ApplicationScope.OWN.value, "自分の申込のみ"),
    (ApplicationScope.ALL.value, "すべて参照可能"),
]

PERMISSION_LABELS = {
    "input": dict(INPUT_RIGHTS),
    "contract": dict(CONTRACT_SCOPES),
    "application": dict(APPLICATION_SCOPES),
}
"""The matrix in the seed's words, for the admin's list."""


async def matrix_page(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    user_id: str,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
    typed: dict[str, str] | None = None,
) -> Response:
    """The matrix as granted, or as just ``typed`` when the form is shown again."""
    user = await business_user(identity, policy, session, user_id)
    if user is None:
        return go(f"/realms/{policy.name}/admin/users")
    granted = user.permissions
    shown = typed or {
        "input_right": granted.input_right.value if granted else InputRight.NONE.value,
        "contract_scope": granted.contract_scope.value if granted else ContractScope.NONE.value,
        "application_scope": (
            granted.application_scope.value if granted else ApplicationScope.NONE.value
        ),
        "rider_codes": ", ".join(granted.rider_codes) if granted else "",
    }
    return PAGES.render(
        request,
        "permissions",
        status_code,
        realm=policy.name,
        errors=errors,
        title="権限設定",
        user=user,
        input_rights=INPUT_RIGHTS,
        contract_scopes=CONTRACT_SCOPES,
        application_scopes=APPLICATION_SCOPES,
        shown=shown,
    )


async def _admin(
    request: Request, identity: Identity, policy: RealmPolicy
) -> tuple[Session, str] | Response:
    """The admin's session, in a realm that has the matrix (the login page elsewhere)."""
    if not policy.permission_matrix:
        return to_login(policy.name)
    return await admin_session(request, identity, policy.name)


@router.get("")
async def matrix(
    request: Request, policy: Realm, user_id: UserId, identity: IdentityDep
) -> Response:
    found = await _admin(request, identity, policy)
    if isinstance(found, Response):
        return found
    return await matrix_page(request, policy, identity, found[0], user_id)


@router.post("", dependencies=[Depends(csrf.checked)])
async def set_matrix(
    request: Request,
    policy: Realm,
    user_id: UserId,
    identity: IdentityDep,
    input_right: Choice = "",
    contract_scope: Choice = "",
    application_scope: Choice = "",
    rider_codes: Annotated[str, Form(max_length=1000)] = "",
    step: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The applicant's whole matrix: 「確認する」 shows it as it will be (seed 004 4-6), then
    「確定する」 sets it (WEB-05); nothing changes before."""
    found = await _admin(request, identity, policy)
    if isinstance(found, Response):
        return found
    session, org_id = found
    riders = tuple(
        code.strip() for code in rider_codes.replace("、", ",").split(",") if code.strip()
    )
    try:
        granted = Permissions(
            input_right=input_right,
            contract_scope=contract_scope,
            rider_codes=riders,
            application_scope=application_scope,
        )
    except ValidationError:
        typed = {
            "input_right": input_right,
            "contract_scope": contract_scope,
            "application_scope": application_scope,
            "rider_codes": rider_codes,
        }
        message = (
            "対象特約のみ参照可能の場合は、特約コードを入力してください"
            if contract_scope == ContractScope.RIDERS.value
            else "特約コードは、対象特約のみ参照可能の場合に入力してください"
        )
        error = FieldError(message, "rider_codes")
        return await matrix_page(request, policy, identity, session, user_id, [error], 422, typed)
    if step != "commit":
        return _confirm(request, policy, user_id, granted, rider_codes)
    try:
        await identity.accounts.change_permissions(policy, session, org_id, user_id, granted)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused)]
        return await matrix_page(
            request, policy, identity, session, user_id, errors, status_of(refused)
        )
    return go(f"/realms/{policy.name}/admin/users?done=permissions")


def _confirm(
    request: Request, policy: RealmPolicy, user_id: str, granted: Permissions, rider_codes: str
) -> Response:
    """The matrix as it will be, in the form's words, with the values to post again."""
    riders = "、".join(granted.rider_codes) or "（なし）"
    rows = [
        ("入力・申込権限", PERMISSION_LABELS["input"][granted.input_right.value]),
        ("情報データ参照範囲", PERMISSION_LABELS["contract"][granted.contract_scope.value]),
        ("対象特約コード", riders),
        ("申込データ参照範囲", PERMISSION_LABELS["application"][granted.application_scope.value]),
    ]
    fields = {
        "input_right": granted.input_right.value,
        "contract_scope": granted.contract_scope.value,
        "application_scope": granted.application_scope.value,
        "rider_codes": rider_codes.strip(),
    }
    page = f"/realms/{policy.name}/admin/users/{user_id}/permissions"
    return confirm(
        request,
        policy,
        "権限の設定（確認）",
        rows,
        page,
        fields,
        page,
        CHANGE_EXPLANATION,
        home=admin_home(policy),
    )
