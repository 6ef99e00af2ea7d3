"""The support desk's individual members (WEB-04; ID-USER-03, ID-PW-03, -06, `mypage`,
`kencom`): search by login ID, register a member from their application (the initial password
is mailed to the member's own address, never shown, as the API's registration does), and
initialise a member's password, which also unlocks it; each after a confirmation step.

The same use cases as the API's ``GET/POST /members`` and ``/members/{user_id}/initialise``:
``Members.search``, ``Users.register_member``, ``Accounts.initialise_password``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from servicekit.problems import Problem
from services.identity.domain import refusals
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import IdentityDep, Realm, UserId
from services.identity.pages.desk import confirm, desk_session, invalid_fields
from services.identity.pages.kit import PAGES, refusal_error, refused_page, status_of
from services.identity.usecases import Identity
from services.identity.usecases.inputs import ProfileIn
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(
    prefix="/realms/{realm}/support/members", tags=["pages"], include_in_schema=False
)
CsrfChecked = Depends(csrf.checked)
Text = Annotated[str, Form(max_length=400)]
Step = Annotated[str, Form(max_length=20)]
IDS = {"name": "name", "email": "email", "phone": "phone"}

#: What the desk did, as the list then says it.
DONE = {"initialised": "パスワードを初期化しました（アカウントロックも解除されました）"}


def _login_id_hint(policy: RealmPolicy) -> str:
    if policy.login_ids_ignore_case:
        return "会員のメールアドレス（ログインIDになります）"
    return "半角英数記号6〜64文字"


async def _page(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    query: str = "",
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
    typed: dict[str, str] | None = None,
    **shown: str | None,
) -> Response:
    try:
        members = await identity.members.search(policy, session, query)
    except (Problem, refusals.Refusal) as refused:
        return refused_page(request, policy, refused)
    return PAGES.render(
        request,
        "support_members",
        status_code,
        realm=policy.name,
        errors=errors,
        title="会員の管理",
        members=members,
        query=query,
        typed=typed or {},
        login_id_hint=_login_id_hint(policy),
        done=DONE.get(request.query_params.get("done", "")),
        **shown,
    )


@router.get("")
async def search(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    q: Annotated[str, Query(max_length=254)] = "",
) -> Response:
    found = await desk_session(request, identity, policy, policy.members)
    if isinstance(found, Response):
        return found
    return await _page(request, policy, identity, found, q)


@router.post("", dependencies=[CsrfChecked])
async def register(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    step: Step = "",
    login_id: Text = "",
    name: Text = "",
    email: Text = "",
    phone: Text = "",
) -> Response:
    """確認する shows the member to be registered; 確定する registers them, and the initial
    password goes by mail to their address (ID-PW-03)."""
    found = await desk_session(request, identity, policy, policy.members)
    if isinstance(found, Response):
        return found
    session = found
    typed = {"login_id": login_id, "name": name, "email": email, "phone": phone}
    errors: list[FieldError] = []
    if not login_id.strip():
        errors.append(FieldError("ログインIDを入力してください", "login_id"))
    if not email.strip():
        errors.append(
            FieldError("メールアドレスを入力してください（初期パスワードを送ります）", "email")
        )
    try:
        profile = ProfileIn(
            name=name or None, email=email.strip() or None, phone=phone.strip() or None
        )
    except ValidationError as invalid:
        errors.extend(invalid_fields(invalid, IDS))
    if errors:
        return await _page(request, policy, identity, session, "", errors, 422, typed)
    if step != "commit":
        return confirm(
            request,
            policy,
            "会員の登録（確認）",
            [
                ("ログインID", login_id.strip()),
                ("氏名", profile.name or "（未入力）"),
                ("メールアドレス", profile.email or ""),
                ("電話番号", profile.phone or "（未入力）"),
            ],
            f"/realms/{policy.name}/support/members",
            typed,
            f"/realms/{policy.name}/support/members",
            explanation=(
                "以下の内容で会員を登録します。初期パスワードは会員のメールアドレスへ送信します。"
                "よろしければ「確定する」を押してください。"
            ),
        )
    try:
        created = await identity.users.register_member(
            policy, session, login_id.strip(), profile.to_profile()
        )
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused, "login_id")]
        return await _page(
            request, policy, identity, session, "", errors, status_of(refused), typed
        )
    return await _page(
        request,
        policy,
        identity,
        session,
        created.login_id,
        registered_login_id=created.login_id,
        registered_email=profile.email,
    )


@router.post("/{user_id}/initialise", dependencies=[CsrfChecked])
async def initialise(
    request: Request, policy: Realm, user_id: UserId, identity: IdentityDep, step: Step = ""
) -> Response:
    """確認する shows the member; 確定する sets them back to the initial password, unlocked
    (ID-PW-06, ID-LOCK-04); their sessions end."""
    found = await desk_session(request, identity, policy, policy.members)
    if isinstance(found, Response):
        return found
    session = found
    try:
        member = await identity.members.member(policy, session, user_id)
        if step == "commit":
            await identity.accounts.initialise_password(policy, session, None, user_id)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused)]
        return await _page(request, policy, identity, session, "", errors, status_of(refused))
    if step != "commit":
        return confirm(
            request,
            policy,
            "パスワード初期化（確認）",
            [
                ("ログインID", member.login_id),
                ("氏名", member.profile.name or "（未登録）"),
                ("状態", "ロック中" if member.locked else "利用可能"),
            ],
            f"/realms/{policy.name}/support/members/{user_id}/initialise",
            {},
            f"/realms/{policy.name}/support/members",
            explanation=(
                "この会員のパスワードを初期パスワードに戻し、アカウントロックを解除します。"
                "会員は初期パスワードでログインし、新しいパスワードを設定します。"
            ),
        )
    return await _page(
        request, policy, identity, session, member.login_id, done_text=DONE["initialised"]
    )
