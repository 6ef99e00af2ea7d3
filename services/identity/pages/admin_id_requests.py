"""The admin's requests for business IDs (WEB-01; ID-USER-10, seed 000 Q4, `dantai-net`): 業務用ID
の追加申込 with a confirmation step, the organisation's requests waiting for the support desk,
and how many more IDs it may hold (3 in `dantai-net`). The request is the same use case as the
API's ``POST /orgs/{org_id}/users`` (``Users.create_business_user``), which in such a realm
holds the ID and a slot until the support desk approves it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from domainkit.tokyo import TOKYO
from servicekit.problems import Problem
from services.identity.domain import refusals
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import IdentityDep, Realm
from services.identity.pages.desk import admin_home, confirm, invalid_fields
from services.identity.pages.kit import (
    PAGES,
    feature_admin_session,
    refusal_error,
    refused_page,
    status_of,
)
from services.identity.usecases import Identity
from services.identity.usecases.inputs import ProfileIn
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(
    prefix="/realms/{realm}/admin/id-requests", tags=["pages"], include_in_schema=False
)
Text = Annotated[str, Form(max_length=400)]
Step = Annotated[str, Form(max_length=20)]
IDS = {"login_id": "login_id", "name": "name", "department": "department", "email": "email"}


async def _page(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
    typed: dict[str, str] | None = None,
    requested: str | None = None,
) -> Response:
    assert session.org_id is not None
    try:
        found = await identity.id_requests.of_organisation(policy, session, session.org_id)
    except (Problem, refusals.Refusal) as refused:
        return refused_page(request, policy, refused)
    requests = [
        (r, r.requested_at.astimezone(TOKYO).strftime("%Y年%m月%d日 %H:%M"))
        for r in found.organisation.id_requests
    ]
    return PAGES.render(
        request,
        "admin_id_requests",
        status_code,
        realm=policy.name,
        errors=errors,
        title="業務用IDの追加申込",
        requests=requests,
        left=found.left,
        limit=policy.business_user_limit,
        typed=typed or {},
        requested=requested,
    )


@router.get("")
async def requests(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    found = await feature_admin_session(request, identity, policy.name, policy.business_id_requests)
    if isinstance(found, Response):
        return found
    return await _page(request, policy, identity, found)


@router.post("", dependencies=[Depends(csrf.checked)])
async def ask(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    step: Step = "",
    login_id: Text = "",
    name: Text = "",
    department: Text = "",
    email: Text = "",
) -> Response:
    """確認する shows what will be asked; 確定する asks (the support desk approves later)."""
    found = await feature_admin_session(request, identity, policy.name, policy.business_id_requests)
    if isinstance(found, Response):
        return found
    session = found
    assert session.org_id is not None
    typed = {"login_id": login_id, "name": name, "department": department, "email": email}
    errors: list[FieldError] = []
    if not login_id.strip():
        errors.append(FieldError("業務用IDを入力してください", "login_id"))
    elif not policy.business_login_id.match(login_id.strip()):
        errors.append(
            FieldError("業務用IDは「XA5」で始まる半角英数字で入力してください", "login_id")
        )
    try:
        profile = ProfileIn(name=name or None, department=department or None, email=email or None)
    except ValidationError as invalid:
        errors.extend(invalid_fields(invalid, IDS))
    if errors:
        return await _page(request, policy, identity, session, errors, 422, typed)
    if step != "commit":
        return confirm(
            request,
            policy,
            "業務用IDの追加申込（確認）",
            [
                ("業務用ID", login_id.strip()),
                ("氏名", profile.name or "（未入力）"),
                ("所属名", profile.department or "（未入力）"),
                ("メールアドレス", profile.email or "（未入力）"),
            ],
            f"/realms/{policy.name}/admin/id-requests",
            typed,
            f"/realms/{policy.name}/admin/id-requests",
            explanation=(
                "以下の内容で業務用IDを追加申込します。サポートデスクの承認後、ID通知書を郵送し、"
                "パスワード通知書を団体の窓口担当者へメールでお送りします。"
            ),
            home=admin_home(policy),
        )
    try:
        await identity.users.create_business_user(
            policy, session, session.org_id, login_id.strip(), profile.to_profile()
        )
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused, "login_id")]
        return await _page(request, policy, identity, session, errors, status_of(refused), typed)
    return await _page(request, policy, identity, session, requested=login_id.strip())
