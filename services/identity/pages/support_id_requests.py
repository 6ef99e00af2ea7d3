"""The support desk's business-ID requests (WEB-04; ID-USER-10, seed 000 Q4, `dantai-net`): the
requests of every organisation waiting for approval, each approved or refused after a
confirmation step. An approval creates the business user: its ID is shown for the ID notice
(ID通知書) that goes by post, and the password notice (パスワード通知書) is mailed to the
organisation's contact as an attachment opened with the contact's phone (NT-06), as the API's
approval does: the same use cases (``Users.approve_id_request``, ``IdRequests.refuse``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response

from domainkit.tokyo import TOKYO
from servicekit.problems import Problem
from services.identity.domain import refusals
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import IdentityDep, Realm, UserId
from services.identity.pages.desk import confirm, desk_session
from services.identity.pages.kit import PAGES, refusal_error, refused_page, status_of
from services.identity.usecases import Identity
from services.identity.usecases.id_requests import WaitingRequest
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(
    prefix="/realms/{realm}/support/id-requests", tags=["pages"], include_in_schema=False
)
CsrfChecked = Depends(csrf.checked)
OrgId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
Step = Annotated[str, Form(max_length=20)]
Note = Annotated[str, Form(max_length=2000)]
NOTE_LIMIT = 500


def _when(request: WaitingRequest) -> str:
    return request.request.requested_at.astimezone(TOKYO).strftime("%Y年%m月%d日 %H:%M")


async def _list(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
    **shown: str | None,
) -> Response:
    try:
        waiting = await identity.id_requests.waiting(policy, session)
    except (Problem, refusals.Refusal) as refused:
        return refused_page(request, policy, refused)
    return PAGES.render(
        request,
        "support_id_requests",
        status_code,
        realm=policy.name,
        errors=errors,
        title="業務用ID追加申込の承認",
        waiting=[(w, _when(w)) for w in waiting],
        **shown,
    )


def _list_path(policy: RealmPolicy) -> str:
    return f"/realms/{policy.name}/support/id-requests"


@router.get("")
async def waiting(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    found = await desk_session(request, identity, policy, policy.business_id_requests)
    if isinstance(found, Response):
        return found
    return await _list(request, policy, identity, found)


async def _one(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    org_id: str,
    user_id: str,
) -> WaitingRequest | Response:
    """The request, or the list saying it is no longer waiting (approved or refused by
    another operator, or never there)."""
    try:
        return await identity.id_requests.waiting_one(policy, session, org_id, user_id)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused)]
        if isinstance(refused, refusals.NotFound):
            errors = [FieldError("この申込は承認待ちではありません（処理済みの可能性があります）")]
        return await _list(request, policy, identity, session, errors, status_of(refused))


def _rows(found: WaitingRequest) -> list[tuple[str, str]]:
    profile = found.request.profile
    return [
        ("団体名", found.org_name),
        ("管理用ID", found.admin_login_id),
        ("申込日時", _when(found)),
        ("業務用ID", found.request.login_id),
        ("氏名", profile.name or "（未登録）"),
        ("所属名", profile.department or "（未登録）"),
        ("メールアドレス", profile.email or "（未登録）"),
    ]


@router.post("/{org_id}/{user_id}/approve", dependencies=[CsrfChecked])
async def approve(
    request: Request,
    policy: Realm,
    org_id: OrgId,
    user_id: UserId,
    identity: IdentityDep,
    step: Step = "",
) -> Response:
    """確認する (``step`` other than ``commit``) shows the request; 確定する approves it."""
    found = await desk_session(request, identity, policy, policy.business_id_requests)
    if isinstance(found, Response):
        return found
    session = found
    one = await _one(request, policy, identity, session, org_id, user_id)
    if isinstance(one, Response):
        return one
    if step != "commit":
        return confirm(
            request,
            policy,
            "業務用ID追加申込の承認（確認）",
            _rows(one),
            f"{_list_path(policy)}/{org_id}/{user_id}/approve",
            {},
            _list_path(policy),
            explanation=(
                "この申込を承認し、業務用IDを発行します。パスワード通知書は団体の窓口担当者の"
                "メールアドレスへ送信されます。よろしければ「確定する」を押してください。"
            ),
        )
    try:
        created = await identity.users.approve_id_request(policy, session, org_id, user_id)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused)]
        return await _list(request, policy, identity, session, errors, status_of(refused))
    return await _list(
        request, policy, identity, session, approved_login_id=created.login_id, org=one.org_name
    )


@router.post("/{org_id}/{user_id}/refuse", dependencies=[CsrfChecked])
async def refuse(
    request: Request,
    policy: Realm,
    org_id: OrgId,
    user_id: UserId,
    identity: IdentityDep,
    step: Step = "",
    note: Note = "",
) -> Response:
    """確認する shows the request with the reason typed (the list's form); 確定する refuses it."""
    found = await desk_session(request, identity, policy, policy.business_id_requests)
    if isinstance(found, Response):
        return found
    session = found
    one = await _one(request, policy, identity, session, org_id, user_id)
    if isinstance(one, Response):
        return one
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        error = FieldError(f"却下の理由は{NOTE_LIMIT}文字以内で入力してください", f"note-{user_id}")
        return await _list(request, policy, identity, session, [error], 422)
    if step != "commit":
        return confirm(
            request,
            policy,
            "業務用ID追加申込の却下（確認）",
            [*_rows(one), ("却下の理由", note or "（記載なし）")],
            f"{_list_path(policy)}/{org_id}/{user_id}/refuse",
            {"note": note},
            _list_path(policy),
            explanation=(
                "この申込を却下します。申込まれた業務用IDは再び利用できるようになります。"
                "よろしければ「確定する」を押してください。"
            ),
        )
    try:
        login_id = await identity.id_requests.refuse(policy, session, org_id, user_id, note or None)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused)]
        return await _list(request, policy, identity, session, errors, status_of(refused))
    return await _list(request, policy, identity, session, refused_login_id=login_id)
