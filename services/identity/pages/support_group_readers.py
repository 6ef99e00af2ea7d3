"""The support console's group-wide read-only IDs (WEB-04; ID-USER-09, nexi 全社閲覧用ID):
support issues one ID that reads several organisations of a corporate group and changes
nothing. The form takes the login ID and the organisations it reads (their org ids, as the
団体管理 pages show them); 確認する shows each organisation by name, 確定する issues the ID
and shows its initial password once, on that answer only (the API answers it the same way:
no mail carries it, ID-PW-03).

The same use case as the API's ``POST /v1/realms/{realm}/group-readers``:
``Users.create_group_reader``, which commits the same ``UserCreated`` with the support
operator as its actor. Above the form, the realm's group readers already issued, each with the
organisations it reads (``staff.group_readers``, the newest first, bounded).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from contracts.common import Role
from servicekit.problems import Problem
from services.identity.domain import refusals
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import IdentityDep, Realm
from services.identity.pages.desk import desk_session
from services.identity.pages.kit import PAGES, refusal_error, refused_page, status_of
from services.identity.usecases import Identity
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(
    prefix="/realms/{realm}/support/group-readers", tags=["pages"], include_in_schema=False
)
CsrfChecked = Depends(csrf.checked)
Text = Annotated[str, Form(max_length=400)]
Orgs = Annotated[str, Form(max_length=8000)]
Step = Annotated[str, Form(max_length=20)]

ORG_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_ORGS = 200
"""As many as the API takes in one ID."""


def org_ids_of(typed: str) -> list[str]:
    """The org ids typed one a line (or separated by spaces or commas), in order, once each."""
    found: list[str] = []
    for part in re.split(r"[\s,、，]+", typed.strip()):
        if part and part not in found:
            found.append(part)
    return found


def _checked(policy: RealmPolicy, login_id: str, org_ids: list[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    typed = login_id.strip()
    if not typed:
        errors.append(FieldError("ログインIDを入力してください", "login_id"))
    elif not policy.login_id_format(Role.GROUP_READER).match(typed):
        errors.append(FieldError("ログインIDは半角数字11〜12桁で入力してください", "login_id"))
    if not org_ids:
        errors.append(FieldError("閲覧する団体の団体IDを入力してください", "org_ids"))
    elif len(org_ids) > MAX_ORGS:
        errors.append(FieldError(f"団体IDは{MAX_ORGS}件までです", "org_ids"))
    elif any(not ORG_ID.match(org_id) for org_id in org_ids):
        message = "団体IDは半角英数字32文字（団体の詳細画面の表示）で入力してください"
        errors.append(FieldError(message, "org_ids"))
    return errors


async def _page(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    typed: dict[str, str] | None = None,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
) -> Response:
    """The realm's group readers and the form to issue another (with its errors, if any)."""
    try:
        listed = await identity.staff.group_readers(policy, session)
    except (Problem, refusals.Refusal) as refused:
        return refused_page(request, policy, refused)
    return PAGES.render(
        request,
        "support_group_readers",
        status_code,
        realm=policy.name,
        errors=errors,
        title="全社閲覧用ID",
        typed=typed or {},
        readers=listed,
    )


@router.get("")
async def form(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    found = await desk_session(request, identity, policy, policy.group_readers)
    if isinstance(found, Response):
        return found
    return await _page(request, policy, identity, found)


@router.post("", dependencies=[CsrfChecked])
async def issue(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    step: Step = "",
    login_id: Text = "",
    org_ids: Orgs = "",
) -> Response:
    """確認する shows the ID and the organisations it will read, by name; 確定する issues it,
    its initial password on this answer only."""
    found = await desk_session(request, identity, policy, policy.group_readers)
    if isinstance(found, Response):
        return found
    session = found
    typed = {"login_id": login_id, "org_ids": org_ids}
    orgs = org_ids_of(org_ids)
    errors = _checked(policy, login_id, orgs)
    if errors:
        return await _page(request, policy, identity, session, typed, errors, 422)
    names: list[str] = []
    try:
        for org_id in orgs:
            names.append((await identity.organisations.read_as(policy, session, org_id)).name)
    except refusals.NotFound:
        missing = orgs[len(names)]
        errors = [FieldError(f"団体ID {missing} の団体は見つかりません", "org_ids")]
        return await _page(request, policy, identity, session, typed, errors, 422)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused)]
        return await _page(request, policy, identity, session, typed, errors, status_of(refused))
    pairs = list(zip(names, orgs, strict=True))
    if step != "commit":
        return PAGES.render(
            request,
            "support_group_reader_confirm",
            realm=policy.name,
            title="全社閲覧用IDの発行（確認）",
            login_id=login_id.strip(),
            orgs=pairs,
            org_ids=" ".join(orgs),
        )
    try:
        created = await identity.users.create_group_reader(policy, session, login_id.strip(), orgs)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused, "login_id")]
        return await _page(request, policy, identity, session, typed, errors, status_of(refused))
    return PAGES.render(
        request,
        "support_group_reader_created",
        realm=policy.name,
        title="全社閲覧用IDを発行しました",
        login_id=created.login_id,
        password=created.initial_password,
        orgs=pairs,
    )
