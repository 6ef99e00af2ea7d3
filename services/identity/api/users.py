"""An organisation's users (ID-USER-01, -05..07, -09, -10): what its admin and support do."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from services.identity.api.access_schemas import PermissionsIn
from services.identity.api.deps import Caller, IdempotencyKey, IdentityDep, OrgId, Realm, UserId
from services.identity.api.links import BUSINESS_ID_REQUESTED, BUSINESS_USER_CREATED
from services.identity.api.schemas import (
    BusinessUserOut,
    BusinessUserView,
    NewBusinessUser,
    NewGroupReader,
    NewSupportOperator,
    ProfileIn,
    ResetNote,
    StatusChange,
    SupportOperatorOut,
)
from services.identity.domain.users import User
from services.identity.usecases.accounts import LoginFactor

router = APIRouter(prefix="/v1/realms/{realm}", tags=["users"])


async def operator_note(body: ResetNote | None = None) -> str | None:
    """The optional reason an operator gives for a lock, an unlock or a reset: the event
    records it (ID-LOCK-04), nothing else reads it."""
    return None if body is None else body.note


Note = Annotated[str | None, Depends(operator_note)]


@router.post(
    "/orgs/{org_id}/users",
    status_code=status.HTTP_201_CREATED,
    summary="The organisation's admin creates a business user (ID-USER-01)",
    responses={
        201: {"links": BUSINESS_USER_CREATED},
        202: {
            "description": "A request awaiting support's approval (ID-USER-10)",
            "links": BUSINESS_ID_REQUESTED,
        },
    },
)
async def create_business_user(
    response: Response,
    policy: Realm,
    org_id: OrgId,
    body: NewBusinessUser,
    caller: Caller,
    identity: IdentityDep,
    idempotency_key: IdempotencyKey = None,
) -> BusinessUserOut:
    created = await identity.users.create_business_user(
        policy,
        caller,
        org_id,
        body.login_id,
        body.profile.to_profile(),
        idempotency_key,
        body.permissions,
    )
    if created.pending:
        response.status_code = status.HTTP_202_ACCEPTED
    return BusinessUserOut.model_validate(created, from_attributes=True)


@router.post(
    "/orgs/{org_id}/id-requests/{user_id}/approve",
    status_code=status.HTTP_201_CREATED,
    summary="Support approves an admin's request for a business ID (ID-USER-10)",
)
async def approve_id_request(
    policy: Realm, org_id: OrgId, user_id: UserId, caller: Caller, identity: IdentityDep
) -> BusinessUserOut:
    created = await identity.users.approve_id_request(policy, caller, org_id, user_id)
    return BusinessUserOut.model_validate(created, from_attributes=True)


@router.post(
    "/group-readers",
    status_code=status.HTTP_201_CREATED,
    summary="Support issues a group-wide read-only ID (ID-USER-09)",
)
async def create_group_reader(
    policy: Realm, body: NewGroupReader, caller: Caller, identity: IdentityDep
) -> BusinessUserOut:
    created = await identity.users.create_group_reader(policy, caller, body.login_id, body.org_ids)
    return BusinessUserOut.model_validate(created, from_attributes=True)


@router.get(
    "/orgs/{org_id}/users",
    summary="The organisation's business users, for its admin (ID-USER-07)",
)
async def list_business_users(
    policy: Realm, org_id: OrgId, caller: Caller, identity: IdentityDep
) -> list[BusinessUserView]:
    return [_view(u) for u in await identity.users.business_users(policy, caller, org_id)]


def _view(user: User) -> BusinessUserView:
    return BusinessUserView(
        user_id=user.user_id,
        login_id=user.login_id,
        status=user.status.value,
        locked=user.locked,
        profile=user.profile,
    )


@router.put(
    "/orgs/{org_id}/users/{user_id}/profile",
    status_code=204,
    summary="The admin replaces a business user's profile (ID-USER-06)",
)
async def change_profile(
    policy: Realm,
    org_id: OrgId,
    user_id: UserId,
    body: ProfileIn,
    caller: Caller,
    identity: IdentityDep,
) -> Response:
    await identity.accounts.change_profile(policy, caller, org_id, user_id, body.to_profile())
    return Response(status_code=204)


@router.put(
    "/orgs/{org_id}/users/{user_id}/status",
    status_code=204,
    summary="The admin makes a business user active or inactive (ID-USER-05)",
)
async def change_status(
    policy: Realm,
    org_id: OrgId,
    user_id: UserId,
    body: StatusChange,
    caller: Caller,
    identity: IdentityDep,
) -> Response:
    await identity.accounts.change_status(policy, caller, org_id, user_id, body.active)
    return Response(status_code=204)


@router.put(
    "/orgs/{org_id}/users/{user_id}/permissions",
    status_code=204,
    summary="The admin sets an applicant user's whole permission matrix (ID-PERM-01, nexi)",
)
async def change_permissions(
    policy: Realm,
    org_id: OrgId,
    user_id: UserId,
    body: PermissionsIn,
    caller: Caller,
    identity: IdentityDep,
) -> Response:
    """Announced by ``PermissionsChanged`` with the full new matrix; sessions already open act
    with it from their next request."""
    await identity.accounts.change_permissions(policy, caller, org_id, user_id, body)
    return Response(status_code=204)


@router.post(
    "/orgs/{org_id}/users/{user_id}/{factor}/reset",
    status_code=204,
    summary="ブラウザ情報初期化 (browser, ID-BIND-03), メール認証用アドレス初期化 (auth-email, "
    "ID-MAIL-04): registered anew at the next login",
)
async def reset_login_factor(
    policy: Realm,
    org_id: OrgId,
    user_id: UserId,
    factor: LoginFactor,
    caller: Caller,
    identity: IdentityDep,
    note: Note,
) -> Response:
    await identity.accounts.reset_login_factor(policy, caller, org_id, user_id, factor, note)
    return Response(status_code=204)


@router.post(
    "/orgs/{org_id}/users/{user_id}/lock",
    status_code=204,
    summary="Support locks an organisation's admin on purpose; its sessions end (ID-LOCK-04)",
)
async def lock(
    policy: Realm,
    org_id: OrgId,
    user_id: UserId,
    caller: Caller,
    identity: IdentityDep,
    note: Note,
) -> Response:
    """``AccountLocked`` with the reason ``administrative``; the login refuses it at step 4
    (ID-LOGIN-01) until it is unlocked. Locking a locked account changes nothing."""
    await identity.accounts.lock(policy, caller, org_id, user_id, note)
    return Response(status_code=204)


@router.post(
    "/orgs/{org_id}/users/{user_id}/unlock",
    status_code=204,
    summary="ロック解除: unlocked, the password as it was (ID-LOCK-04)",
)
async def unlock(
    policy: Realm,
    org_id: OrgId,
    user_id: UserId,
    caller: Caller,
    identity: IdentityDep,
    note: Note,
) -> Response:
    """``AccountUnlocked`` with the reason ``unlock``: support for an admin (an admin unlocks a
    business user the same way). Unlocking an account that is not locked changes nothing."""
    await identity.accounts.unlock(policy, caller, org_id, user_id, note)
    return Response(status_code=204)


@router.post(
    "/support-operators",
    status_code=status.HTTP_201_CREATED,
    summary="A support operator creates another of its realm (ID-USER-04)",
)
async def create_support_operator(
    policy: Realm,
    body: NewSupportOperator,
    caller: Caller,
    identity: IdentityDep,
    idempotency_key: IdempotencyKey = None,
) -> SupportOperatorOut:
    """The initial password is in this answer only (ID-PW-03), to be changed at the first
    login. The first support operator of a realm is made on the command line
    (``python -m services.identity create-support-operator``). A login ID already taken is
    refused (``LOGIN_ID_TAKEN``) unless the ``Idempotency-Key`` names the same creation."""
    created = await identity.users.create_support_operator(
        policy, body.login_id, by=caller, idempotency_key=idempotency_key
    )
    return SupportOperatorOut.model_validate(created, from_attributes=True)
