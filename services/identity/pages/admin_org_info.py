"""団体情報の変更 (WEB-01, WEB-05; ID-USER-11, seed 000 Q3: 団体情報を変更する), `dantai-net`'s
admin menu: the organisation's contact as it is, a form to change it, 確認する → 確定する. The
change is the same use case as the API's ``PUT /orgs/{org_id}/contact``
(``OrgContacts.change``): one event, one completion mail to the new contact.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from servicekit.problems import Problem
from services.identity.domain import org_contact, refusals
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
from services.identity.usecases.org_contact import OrgContactIn
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}/admin/org-info", tags=["pages"], include_in_schema=False)
Text = Annotated[str, Form(max_length=400)]
Step = Annotated[str, Form(max_length=20)]
FIELDS = ("name", "email", "phone", "postal_code", "address")
LABELS = {
    "name": "担当者名",
    "email": "メールアドレス",
    "phone": "電話番号",
    "postal_code": "郵便番号",
    "address": "住所",
}


async def _page(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
    typed: dict[str, str] | None = None,
    done: bool | None = None,
) -> Response:
    """The contact as it is now, and the form (prefilled with it, or with what was typed)."""
    assert session.org_id is not None
    try:
        now = await identity.org_contacts.current(policy, session, session.org_id)
    except (Problem, refusals.Refusal) as refused:
        return refused_page(request, policy, refused)
    current = {f: getattr(now, f) for f in FIELDS}
    return PAGES.render(
        request,
        "admin_org_info",
        status_code,
        realm=policy.name,
        errors=errors,
        title="団体情報の変更",
        org_name=now.organisation.name,
        rows=[(LABELS[f], current[f] or "（未登録）") for f in FIELDS],
        own=now.own,
        typed=typed or current,
        done=done,
    )


@router.get("")
async def org_info(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    found = await feature_admin_session(request, identity, policy.name, org_contact.kept_by(policy))
    if isinstance(found, Response):
        return found
    return await _page(request, policy, identity, found)


@router.post("", dependencies=[Depends(csrf.checked)])
async def change(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    step: Step = "",
    name: Text = "",
    email: Text = "",
    phone: Text = "",
    postal_code: Text = "",
    address: Text = "",
) -> Response:
    """確認する shows the new contact; 確定する changes it and mails the new contact."""
    found = await feature_admin_session(request, identity, policy.name, org_contact.kept_by(policy))
    if isinstance(found, Response):
        return found
    session = found
    assert session.org_id is not None
    typed = {
        "name": name,
        "email": email,
        "phone": phone,
        "postal_code": postal_code,
        "address": address,
    }
    try:
        contact = OrgContactIn(**typed)
    except ValidationError as invalid:
        errors = invalid_fields(invalid)
        return await _page(request, policy, identity, session, errors, 422, typed)
    if step != "commit":
        here = f"/realms/{policy.name}/admin/org-info"
        return confirm(
            request,
            policy,
            "団体情報の変更（確認）",
            [(LABELS[f], getattr(contact, f)) for f in FIELDS],
            here,
            typed,
            here,
            explanation=(
                "以下の内容で団体情報を変更します。今後のパスワード通知書は、このメールアドレスの"
                "窓口担当者様へお送りします。よろしければ「確定する」を押してください。"
            ),
            home=admin_home(policy),
        )
    try:
        changed = await identity.org_contacts.change(policy, session, session.org_id, contact)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused)]
        return await _page(request, policy, identity, session, errors, status_of(refused), typed)
    return await _page(request, policy, identity, session, done=changed)
