"""The support console's organisations (WEB-04; ID-USER-01, -04, ID-PW-03, -06, ID-LOCK-04):
search by name, org id or the admin's login ID; open one with its admin, the initial password
shown once on the result page only; and the admin's lock, unlock, password initialisation
(and nexi's reset, mailed to the admin; dantai-net's resets of the registered browser and the
e-mail-authentication address, ID-BIND-03, ID-MAIL-04): see ``org_admin_actions``.

Each change is asked first (確認する) and done on a second press (確定する), through the same
use case as identity's JSON API (``organisations.open``, ``accounts.lock`` / ``unlock`` /
``initialise_password`` / ``reset_password``), so it commits the same events with the same
actor. A password is never put in an address or logged: the result page is answered to the
POST that made it, with ``no-store``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from servicekit.problems import Problem, ProblemCode
from services.identity.domain import refusals
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages import desk
from services.identity.pages.deps import IdentityDep, Realm, UserId
from services.identity.pages.desk import when
from services.identity.pages.kit import PAGES, go, refusal_error, refused_page, status_of
from services.identity.pages.org_admin_actions import FACTORS, actions_of
from services.identity.pages.support_home import support_session
from services.identity.usecases import Identity
from services.identity.usecases.inputs import ProfileIn
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}/support/orgs", tags=["pages"], include_in_schema=False)
CsrfChecked = Depends(csrf.checked)
Text = Annotated[str, Form(max_length=400)]
OrgId = UserId  # the same shape: 32 hex digits

_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
"""The idempotency key the confirmation page carries, so a second 確定する opens nothing new."""


def _refused_page(
    request: Request, policy: RealmPolicy, refused: Problem | refusals.Refusal
) -> Response:
    """An organisation the desk cannot find is the portal's 404 page, as an unknown address."""
    if isinstance(refused, refusals.NotFound):
        return PAGES.problem(request, policy.name, ProblemCode.NOT_FOUND)
    return refused_page(request, policy, refused)


@router.get("")
async def search(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    """団体検索: by a part of the name, the org id, or the admin's login ID; all, newest
    first, without a query."""
    session = await support_session(request, identity, policy.name)
    if isinstance(session, Response):
        return session
    query = request.query_params.get("q", "")[:100]
    try:
        found = await identity.organisations.search(policy, session, query)
    except (Problem, refusals.Refusal) as refused:
        return _refused_page(request, policy, refused)
    return PAGES.render(
        request,
        "support_orgs",
        realm=policy.name,
        title="団体管理",
        query=query,
        found=found,
        when=when,
    )


# --- opening an organisation ----------------------------------------------------------------


@dataclass(frozen=True)
class Opening:
    """The open form as typed, and what it parses to."""

    name: str
    login_id: str
    admin_name: str
    email: str
    phone: str

    def checked(self) -> tuple[ProfileIn | None, list[FieldError]]:
        errors: list[FieldError] = []
        if not self.name.strip():
            errors.append(FieldError("団体名を入力してください", "name"))
        elif len(self.name.strip()) > 100:
            errors.append(FieldError("団体名は100文字以内で入力してください", "name"))
        if not self.login_id.strip():
            errors.append(FieldError("管理用IDを入力してください", "login_id"))
        profile = None
        try:
            profile = ProfileIn(
                name=self.admin_name.strip() or None,
                email=self.email.strip() or None,
                phone=self.phone.strip() or None,
            )
        except ValidationError as invalid:
            fields = {"name": "admin_name", "email": "email", "phone": "phone"}
            errors += [
                FieldError(
                    str(e["msg"]).removeprefix("Value error, "), fields.get(str(e["loc"][0]))
                )
                for e in invalid.errors()
            ]
        return profile, errors


def _open_form(
    request: Request,
    policy: RealmPolicy,
    typed: Opening | None = None,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
) -> Response:
    return PAGES.render(
        request,
        "support_org_new",
        status_code,
        realm=policy.name,
        errors=errors,
        title="団体の開設",
        typed=typed,
    )


@router.get("/new")
async def new(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    session = await support_session(request, identity, policy.name)
    if isinstance(session, Response):
        return session
    if policy.members:
        return PAGES.problem(request, policy.name, ProblemCode.NOT_FOUND)
    return _open_form(request, policy)


@router.post("/new", dependencies=[CsrfChecked])
async def confirm_open(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    name: Text = "",
    login_id: Text = "",
    admin_name: Text = "",
    email: Text = "",
    phone: Text = "",
) -> Response:
    """確認する: the typed organisation shown back, nothing stored yet."""
    session = await support_session(request, identity, policy.name)
    if isinstance(session, Response):
        return session
    if policy.members:
        return PAGES.problem(request, policy.name, ProblemCode.NOT_FOUND)
    typed = Opening(name, login_id, admin_name, email, phone)
    _, errors = typed.checked()
    if errors:
        return _open_form(request, policy, typed, errors, 422)
    return desk.confirm(
        request,
        policy,
        "団体の開設（確認）",
        [
            ("団体名", typed.name),
            ("管理用ID", typed.login_id),
            ("管理者の氏名", typed.admin_name or "（なし）"),
            ("管理者のメールアドレス", typed.email or "（なし）"),
            ("管理者の電話番号", typed.phone or "（なし）"),
        ],
        f"/realms/{policy.name}/support/orgs/open",
        {**asdict(typed), "key": secrets.token_urlsafe(16)},
        f"/realms/{policy.name}/support/orgs/new",
        "以下の内容で団体を開設します。よろしければ「確定する」を押してください。",
    )


@router.post("/open", dependencies=[CsrfChecked])
async def open_org(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    name: Text = "",
    login_id: Text = "",
    admin_name: Text = "",
    email: Text = "",
    phone: Text = "",
    key: Text = "",
) -> Response:
    """確定する: the organisation and its admin, the initial password on this answer only."""
    session = await support_session(request, identity, policy.name)
    if isinstance(session, Response):
        return session
    typed = Opening(name, login_id, admin_name, email, phone)
    profile, errors = typed.checked()
    if not _KEY.match(key):
        errors.append(FieldError("確認画面からやり直してください"))
    if errors or profile is None:
        return _open_form(request, policy, typed, errors, 422)
    try:
        opened = await identity.organisations.open(
            policy, session, name.strip(), login_id.strip(), profile.to_profile(), key
        )
    except (Problem, refusals.Refusal) as refused:
        if isinstance(refused, refusals.NotFound):
            return PAGES.problem(request, policy.name, ProblemCode.NOT_FOUND)
        errors = [refusal_error(refused, "login_id")]
        return _open_form(request, policy, typed, errors, status_of(refused))
    return PAGES.render(
        request,
        "support_org_opened",
        realm=policy.name,
        title="団体を開設しました",
        org=opened.organisation,
        password=opened.initial_password,
    )


# --- one organisation and its admin ----------------------------------------------------------


async def _org_page(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    org_id: str,
    template: str = "support_org",
    status_code: int = 200,
    **values: Any,
) -> Response:
    try:
        org, admin = await identity.organisations.with_admin(policy, session, org_id)
    except (Problem, refusals.Refusal) as refused:
        return _refused_page(request, policy, refused)
    return PAGES.render(
        request,
        template,
        status_code,
        realm=policy.name,
        org=org,
        admin=admin,
        actions=actions_of(policy),
        when=when,
        **values,
    )


@router.get("/{org_id}")
async def organisation(
    request: Request, policy: Realm, org_id: OrgId, identity: IdentityDep
) -> Response:
    session = await support_session(request, identity, policy.name)
    if isinstance(session, Response):
        return session
    done = actions_of(policy).get(request.query_params.get("done", ""))
    return await _org_page(
        request,
        policy,
        identity,
        session,
        org_id,
        title="団体の詳細",
        done=done.done if done else None,
    )


@router.get("/{org_id}/admin/{action}")
async def confirm_action(
    request: Request, policy: Realm, org_id: OrgId, action: str, identity: IdentityDep
) -> Response:
    """確認する: what the operation does to whom; nothing changes until 確定する."""
    session = await support_session(request, identity, policy.name)
    if isinstance(session, Response):
        return session
    chosen = actions_of(policy).get(action)
    if chosen is None:
        return PAGES.problem(request, policy.name, ProblemCode.NOT_FOUND)
    return await _org_page(
        request,
        policy,
        identity,
        session,
        org_id,
        "support_org_action",
        title=f"{chosen.label.removesuffix('する')}（確認）",
        action=action,
        chosen=chosen,
    )


@router.post("/{org_id}/admin/{action}", dependencies=[CsrfChecked])
async def act(
    request: Request,
    policy: Realm,
    org_id: OrgId,
    action: str,
    identity: IdentityDep,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """確定する: the operation through the API's use case, then back to the organisation."""
    session = await support_session(request, identity, policy.name)
    if isinstance(session, Response):
        return session
    chosen = actions_of(policy).get(action)
    if chosen is None:
        return PAGES.problem(request, policy.name, ProblemCode.NOT_FOUND)
    try:
        _, admin = await identity.organisations.with_admin(policy, session, org_id)
        why = note.strip() or None
        if action == "lock":
            await identity.accounts.lock(policy, session, org_id, admin.user_id, why)
        elif action == "unlock":
            await identity.accounts.unlock(policy, session, org_id, admin.user_id, why)
        elif action == "initialise":
            await identity.accounts.initialise_password(policy, session, org_id, admin.user_id)
        elif action in FACTORS:
            factor = FACTORS[action]
            await identity.accounts.reset_login_factor(
                policy, session, org_id, admin.user_id, factor, why
            )
        else:
            await identity.accounts.reset_password(policy, session, org_id, admin.user_id)
    except (Problem, refusals.Refusal) as refused:
        if isinstance(refused, refusals.NotFound):
            return PAGES.problem(request, policy.name, ProblemCode.NOT_FOUND)
        return await _org_page(
            request,
            policy,
            identity,
            session,
            org_id,
            "support_org_action",
            status_of(refused),
            title=f"{chosen.label.removesuffix('する')}（確認）",
            action=action,
            chosen=chosen,
            errors=[refusal_error(refused)],
        )
    return go(f"/realms/{policy.name}/support/orgs/{org_id}?done={action}")
