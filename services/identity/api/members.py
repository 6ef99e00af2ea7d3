"""Individual members (ID-USER-03, -08): registered by support; their own change screen, and
the e-mail change every user makes for themselves (ID-EMAIL-01)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from servicekit.credentials import login_cookies, presented_session_token
from servicekit.problems import Problem, ProblemCode
from services.identity.api.deps import (
    Caller,
    ClientDep,
    IdempotencyKey,
    IdentityDep,
    Realm,
    Token,
)
from services.identity.api.links import MEMBER_REGISTERED, SESSION_ROTATED
from services.identity.api.schemas import (
    Accepted,
    BusinessUserOut,
    BusinessUserView,
    EmailChangeConfirmation,
    EmailChangeRequest,
    LoginIdChange,
    NewMember,
    PhoneChange,
)
from services.identity.domain.email_change import Confirmation

router = APIRouter(prefix="/v1/realms/{realm}", tags=["members"])


@router.post(
    "/members",
    status_code=status.HTTP_201_CREATED,
    summary="Support registers an individual member; the password goes by mail (ID-USER-03)",
    responses={201: {"links": MEMBER_REGISTERED}},
)
async def register_member(
    policy: Realm,
    body: NewMember,
    caller: Caller,
    identity: IdentityDep,
    idempotency_key: IdempotencyKey = None,
) -> BusinessUserOut:
    created = await identity.users.register_member(
        policy, caller, body.login_id, body.profile.to_profile(), idempotency_key
    )
    return BusinessUserOut.model_validate(created, from_attributes=True)


@router.get(
    "/members",
    summary="Support searches individual members by login ID, at most 50 (ID-USER-03)",
)
async def search_members(
    policy: Realm,
    caller: Caller,
    identity: IdentityDep,
    q: Annotated[str, Query(max_length=254, description="part of the login ID")] = "",
) -> list[BusinessUserView]:
    found = await identity.members.search(policy, caller, q)
    return [
        BusinessUserView(
            user_id=u.user_id,
            login_id=u.login_id,
            status=u.status.value,
            locked=u.locked,
            profile=u.profile,
        )
        for u in found
    ]


@router.put(
    "/login-id",
    status_code=204,
    summary="A member changes their own login ID, confirmed by password (ID-USER-08)",
    responses={204: {"links": SESSION_ROTATED}},
)
async def change_login_id(
    policy: Realm,
    body: LoginIdChange,
    token: Token,
    caller: Caller,
    client: ClientDep,
    identity: IdentityDep,
) -> Response:
    """The session is rotated (its new id comes as the session cookie) and every other session
    of the member ends (ID-SESS-03)."""
    rotated = await identity.self_service.change_login_id(
        policy, caller, token, body.current_password, body.login_id, client
    )
    answer = Response(status_code=204)
    login_cookies(answer, rotated)
    return answer


@router.put(
    "/phone",
    status_code=204,
    summary="A member changes their own phone number (ID-USER-08)",
)
async def change_phone(
    policy: Realm, body: PhoneChange, caller: Caller, identity: IdentityDep
) -> Response:
    await identity.self_service.change_phone(policy, caller, body.phone)
    return Response(status_code=204)


@router.post(
    "/email-change",
    status_code=202,
    summary="Change one's e-mail: a 24-hour link goes to the new address (ID-EMAIL-01)",
)
async def request_email_change(
    policy: Realm,
    body: EmailChangeRequest,
    token: Token,
    caller: Caller,
    client: ClientDep,
    identity: IdentityDep,
) -> Accepted:
    """Confirmed with the current password, counted like a login (ID-LOCK-05)."""
    await identity.self_service.request_email_change(
        policy, caller, token, body.current_password, body.new_email, client
    )
    return Accepted(message="新しいメールアドレスに確認用のリンクを送信しました（24時間有効）")


_LINK_PROBLEMS = {
    Confirmation.EXPIRED: ProblemCode.LINK_EXPIRED,
    Confirmation.INVALID: ProblemCode.LINK_INVALID,
}


@router.post(
    "/email-change/confirm",
    summary="Follow the link: the POST of its confirmation page changes the address",
    responses={404: {"description": "LINK_INVALID"}, 410: {"description": "LINK_EXPIRED"}},
)
async def confirm_email_change(
    request: Request,
    response: Response,
    policy: Realm,
    body: EmailChangeConfirmation,
    identity: IdentityDep,
) -> Accepted:
    """Every session of the user ends (ID-SESS-03); the confirming client's own session of that
    user, if it sent one, goes on rotated (its new id comes as the session cookie)."""
    outcome, rotated = await identity.self_service.confirm_email_change(
        policy, body.token, presented_session_token(request)
    )
    if outcome in _LINK_PROBLEMS:
        raise Problem(_LINK_PROBLEMS[outcome])
    if rotated is not None:
        login_cookies(response, rotated)
    return Accepted(message="メールアドレスの変更が完了しました")
