"""A user's own profile (WEB-01, WEB-05; ID-USER-12, seed 004 3-3 and 4-2).

- 「Webユーザー情報照会」 (``/profile``): every signed-in user sees its own login ID, 氏名,
  所属名, 役職名, e-mail, phone and role; in `nexi` also the permission matrix it acts with.
- 「Webユーザー（管理者）情報変更」 (``/profile/change``): `nexi`'s admin changes its own
  profile, form → 確認する → confirmation (修正する back to the form) → 確定する → 完了. A new
  e-mail address is not changed there: its confirmation link goes to the new address and the
  change completes when it is followed within 24 hours (ID-EMAIL-01); only then does the
  confirmation ask for the current password, as every e-mail change does (ID-LOCK-05).

Who may do what is the use cases' rule (``domain.authz``), as for ``/v1/realms/{realm}/me``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from contracts.common import Role
from servicekit.credentials import browser_session_token
from servicekit.problems import Problem
from services.identity.domain import refusals
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import ClientDep, IdentityDep, Realm
from services.identity.pages.desk import invalid_fields
from services.identity.pages.kit import (
    PAGES,
    admin_session,
    go,
    locked_out,
    page_session,
    refusal_error,
    refused_page,
    status_of,
    to_login,
)
from services.identity.pages.permissions import PERMISSION_LABELS
from services.identity.usecases.inputs import ProfileIn
from services.identity.usecases.own_profile import OwnProfile
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}/profile", tags=["pages"], include_in_schema=False)
CsrfChecked = Depends(csrf.checked)
Text = Annotated[str, Form(max_length=400)]
Step = Annotated[str, Form(max_length=20)]

FIELDS = ("name", "department", "title", "email", "phone")
LABELS = {
    "name": "氏名",
    "department": "所属名",
    "title": "役職名",
    "email": "メールアドレス",
    "phone": "電話番号",
}
ROLES = {
    Role.ADMIN: "管理者",
    Role.BUSINESS: "業務用",
    Role.MEMBER: "会員",
    Role.SUPPORT: "サポートデスク",
    Role.GROUP_READER: "全社閲覧用",
}
NEXI_ROLES = {Role.ADMIN: "Webユーザー（管理者）", Role.BUSINESS: "Webユーザー（申込者）"}
CHANGE_TITLE = "Webユーザー（管理者）情報変更"
DONE_TITLE = "Webユーザー（管理者）情報変更完了"
EMAIL_SENT = (
    "変更後のメールアドレスに確認用メールをお送りしました。メール到着後24時間以内にメールに"
    "記載されているURLをクリックすると、メールアドレス変更の手続きが完了します。"
    "URLをクリックしなければメールアドレスは変更されませんので、ご注意ください。"
)


def role_label(policy: RealmPolicy, role: Role) -> str:
    named = NEXI_ROLES if policy.permission_matrix else {}
    return named.get(role) or ROLES[role]


@router.get("")
async def own_profile(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    """照会: for any full session, the OTP not needed (seed 004 5-3 leaves the menu free)."""
    session = await page_session(request, identity)
    if session is None or session.pending_steps:
        return to_login(policy.name)
    try:
        own = await identity.profiles.read(policy, session)
    except (Problem, refusals.Refusal) as refused:
        return refused_page(request, policy, refused)
    return PAGES.render(
        request,
        "profile",
        realm=policy.name,
        title="Webユーザー情報照会" if policy.own_admin_profile else "登録情報の照会",
        own=own,
        role=role_label(policy, own.user.role),
        labels=PERMISSION_LABELS,
        changeable=policy.own_admin_profile and own.user.role is Role.ADMIN,
    )


def _form(
    request: Request,
    policy: RealmPolicy,
    typed: dict[str, str],
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
) -> Response:
    return PAGES.render(
        request,
        "profile_change",
        status_code,
        realm=policy.name,
        title=CHANGE_TITLE,
        errors=errors,
        typed=typed,
    )


@router.get("/change")
async def change_form(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    """The form, filled with the admin's profile; protected by the OTP where it is owed."""
    found = await admin_session(request, identity, policy.name)
    if isinstance(found, Response):
        return found
    try:
        own = await identity.profiles.changeable(policy, found[0])
    except (Problem, refusals.Refusal) as refused:
        return refused_page(request, policy, refused)
    profile = own.user.profile
    return _form(request, policy, {f: getattr(profile, f) or "" for f in FIELDS})


def _checked(typed: dict[str, str]) -> tuple[ProfileIn | None, list[FieldError]]:
    """The typed profile by the API's own schema; the e-mail is required (where codes go)."""
    errors: list[FieldError] = []
    if not typed["email"]:
        errors.append(FieldError("メールアドレスを入力してください", "email"))
    try:
        profile = ProfileIn(**{f: typed[f] or None for f in FIELDS})
    except ValidationError as invalid:
        return None, [*errors, *invalid_fields(invalid)]
    return (None if errors else profile), errors


def _confirmation(
    request: Request,
    policy: RealmPolicy,
    session: Session,
    own: OwnProfile,
    profile: ProfileIn,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
) -> Response:
    """確認: the values as they will be stored, the e-mail's own way said, the password asked
    only when the e-mail changes."""
    email_changes = bool(profile.email) and profile.email != own.user.profile.email
    rows = [("WebユーザーID", session.login_id)]
    rows += [(LABELS[f], getattr(profile, f) or "（未入力）") for f in FIELDS]
    return PAGES.render(
        request,
        "profile_confirm",
        status_code,
        realm=policy.name,
        title=f"{CHANGE_TITLE}確認",
        errors=errors,
        rows=rows,
        fields={f: getattr(profile, f) or "" for f in FIELDS},
        email_changes=email_changes,
    )


@router.post("/change", dependencies=[CsrfChecked])
async def change(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    client: ClientDep,
    step: Step = "",
    name: Text = "",
    department: Text = "",
    title: Text = "",
    email: Text = "",
    phone: Text = "",
    current_password: Text = "",
) -> Response:
    """確認する shows the confirmation, nothing stored; 修正する goes back to the form with what
    was typed; 確定する changes the profile through the API's use case and starts the e-mail's
    link where the address is new."""
    found = await admin_session(request, identity, policy.name)
    if isinstance(found, Response):
        return found
    session = found[0]
    try:
        own = await identity.profiles.changeable(policy, session)
    except (Problem, refusals.Refusal) as refused:
        return refused_page(request, policy, refused)
    typed = {"name": name, "department": department, "title": title, "email": email.strip()}
    typed["phone"] = phone.strip()
    if step == "edit":
        return _form(request, policy, typed)
    profile, errors = _checked(typed)
    if profile is None:
        return _form(request, policy, typed, errors, 422)
    if step != "commit":
        return _confirmation(request, policy, session, own, profile)
    token = browser_session_token(request) or ""
    try:
        done = await identity.profiles.change_admin_profile(
            policy, session, token, profile.to_profile(), current_password or None, client
        )
    except (Problem, refusals.Refusal) as refused:
        if isinstance(refused, refusals.AccountLocked):  # its sessions ended with the lock
            return locked_out(request, policy)
        errors = [refusal_error(refused, "current_password")]
        return _confirmation(request, policy, session, own, profile, errors, status_of(refused))
    mailed = "?email=sent" if done.email_link_sent_to else ""
    return go(f"/realms/{policy.name}/profile/change/done{mailed}")


@router.get("/change/done")
async def change_done(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    """完了 (seed 004 4-2 ④), in its two forms: with or without an e-mail change."""
    session = await page_session(request, identity)
    if session is None or session.pending_steps:
        return to_login(policy.name)
    mailed = request.query_params.get("email") == "sent"
    return PAGES.render(
        request,
        "result",
        realm=policy.name,
        title=DONE_TITLE,
        detail=f"Webユーザー（管理者）の情報を変更しました。{EMAIL_SENT if mailed else ''}",
        next_href=f"/realms/{policy.name}/home",
        next_label="ユーザーページへ",
    )
