"""Individual members (ID-USER-03, -08): registered by support; their own change screen, and
the e-mail change every user makes for themselves (ID-EMAIL-01)."""

from fastapi import APIRouter, Response, status

from servicekit.problems import Problem, ProblemCode
from services.identity.api.deps import Caller, IdempotencyKey, IdentityDep, Realm
from services.identity.api.schemas import (
    Accepted,
    BusinessUserOut,
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


@router.put(
    "/login-id",
    status_code=204,
    summary="A member changes their own login ID, confirmed by password (ID-USER-08)",
)
async def change_login_id(
    policy: Realm, body: LoginIdChange, caller: Caller, identity: IdentityDep
) -> Response:
    await identity.self_service.change_login_id(
        policy, caller, body.current_password, body.login_id
    )
    return Response(status_code=204)


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
    policy: Realm, body: EmailChangeRequest, caller: Caller, identity: IdentityDep
) -> Accepted:
    await identity.self_service.request_email_change(policy, caller, body.new_email)
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
    policy: Realm, body: EmailChangeConfirmation, identity: IdentityDep
) -> Accepted:
    outcome = await identity.self_service.confirm_email_change(policy, body.token)
    if outcome in _LINK_PROBLEMS:
        raise Problem(_LINK_PROBLEMS[outcome])
    return Accepted(message="メールアドレスの変更が完了しました")
