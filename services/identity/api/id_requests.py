"""Business-ID requests (ID-USER-10, `dantai-net`): the admin's own requests, the requests
waiting for the support desk, and the desk's refusal. The request is the admin's
``POST /orgs/{org_id}/users`` (answered 202) and the approval ``…/approve`` (``users``)."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.common import UserProfile
from services.identity.api.deps import Caller, IdentityDep, OrgId, Realm, UserId
from services.identity.domain.organisations import IdRequest

router = APIRouter(prefix="/v1/realms/{realm}", tags=["users"])


class IdRequestOut(BaseModel):
    user_id: str
    login_id: str
    profile: UserProfile
    requested_at: datetime


class WaitingRequestOut(IdRequestOut):
    org_id: str
    org_name: str
    admin_login_id: str


class OrganisationRequestsOut(BaseModel):
    requests: list[IdRequestOut]
    left: int | None = Field(description="How many more IDs the organisation may ask for")


class RefusalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, min_length=1, max_length=500, description="why")


class RefusedOut(BaseModel):
    login_id: str = Field(description="The login ID the request held, free again")


def _out(request: IdRequest) -> IdRequestOut:
    return IdRequestOut(
        user_id=request.user_id,
        login_id=request.login_id,
        profile=request.profile,
        requested_at=request.requested_at,
    )


@router.get(
    "/id-requests",
    summary="The realm's business-ID requests waiting for support's approval (ID-USER-10)",
)
async def waiting_requests(
    policy: Realm, caller: Caller, identity: IdentityDep
) -> list[WaitingRequestOut]:
    return [
        WaitingRequestOut(
            **_out(w.request).model_dump(),
            org_id=w.org_id,
            org_name=w.org_name,
            admin_login_id=w.admin_login_id,
        )
        for w in await identity.id_requests.waiting(policy, caller)
    ]


@router.get(
    "/orgs/{org_id}/id-requests",
    summary="The organisation's business-ID requests waiting for approval, for its admin",
)
async def organisation_requests(
    policy: Realm, org_id: OrgId, caller: Caller, identity: IdentityDep
) -> OrganisationRequestsOut:
    found = await identity.id_requests.of_organisation(policy, caller, org_id)
    return OrganisationRequestsOut(
        requests=[_out(r) for r in found.organisation.id_requests], left=found.left
    )


@router.post(
    "/orgs/{org_id}/id-requests/{user_id}/refuse",
    summary="Support refuses an admin's request for a business ID; the ID is free again",
)
async def refuse_id_request(
    policy: Realm,
    org_id: OrgId,
    user_id: UserId,
    caller: Caller,
    identity: IdentityDep,
    body: RefusalIn | None = None,
) -> RefusedOut:
    note = None if body is None else body.note
    login_id = await identity.id_requests.refuse(policy, caller, org_id, user_id, note)
    return RefusedOut(login_id=login_id)
