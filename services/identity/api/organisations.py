"""Organisations (団体/法人, ID-USER-01): opened with their admin, read by who may."""

from fastapi import APIRouter, status

from services.identity.api.deps import Caller, IdempotencyKey, IdentityDep, OrgId, Realm
from services.identity.api.links import ORGANISATION_OPENED, ORGANISATION_READ
from services.identity.api.schemas import NewOrganisation, OrganisationOut

router = APIRouter(prefix="/v1/realms/{realm}/orgs", tags=["organisations"])


def _out(org: object, initial_password: str | None = None) -> OrganisationOut:
    return OrganisationOut.model_validate(org, from_attributes=True).model_copy(
        update={"initial_password": initial_password}
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an organisation with its admin user",
    responses={
        201: {"links": ORGANISATION_OPENED},
        409: {"description": "LOGIN_ID_TAKEN"},
        404: {"description": "REALM_NOT_FOUND"},
    },
)
async def create_org(
    policy: Realm,
    body: NewOrganisation,
    caller: Caller,
    identity: IdentityDep,
    idempotency_key: IdempotencyKey = None,
) -> OrganisationOut:
    """Stores the organisation and its one admin (ID-USER-01) and emits ``UserCreated``.

    Opened by the realm's support desk (a support session) or by the back-office system
    that accepted the application (``Authorization: Bearer`` with the provisioning token).
    The admin's initial password is in this answer only (ID-PW-03); it must be changed at
    the first login. Send an ``Idempotency-Key`` header to make a retry safe: the same key
    names the same organisation, and a repeat answers it again instead of creating another.
    """
    opened = await identity.organisations.open(
        policy,
        caller,
        body.name,
        body.admin.login_id,
        body.admin.profile.to_profile(),
        idempotency_key,
    )
    return _out(opened.organisation, opened.initial_password)


@router.get(
    "/{org_id}", summary="Read an organisation", responses={200: {"links": ORGANISATION_READ}}
)
async def read_org(
    policy: Realm, org_id: OrgId, caller: Caller, identity: IdentityDep
) -> OrganisationOut:
    """For the provisioning system, and for whoever may read the organisation's users."""
    return _out(await identity.organisations.read_as(policy, caller, org_id))
