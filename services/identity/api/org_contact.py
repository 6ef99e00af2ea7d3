"""団体情報変更 (ID-USER-11, `dantai-net`): the organisation's contact, where its password
notices go (NT-06), read by who may read the organisation and changed by its admin."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.identity.api.deps import Caller, IdentityDep, OrgId, Realm
from services.identity.usecases.org_contact import ContactNow, OrgContactIn

router = APIRouter(prefix="/v1/realms/{realm}/orgs/{org_id}/contact", tags=["organisations"])


class OrgContactOut(BaseModel):
    name: str = Field(description="担当者名")
    email: str = Field(description="メールアドレス: where the password notices go (NT-06)")
    phone: str = Field(description="電話番号: its digits open the password notice (NT-06)")
    postal_code: str = Field(description="郵便番号")
    address: str = Field(description="住所")
    own: bool = Field(
        description="false while the organisation has no contact of its own: then the admin's "
        "e-mail and phone stand in for it"
    )
    changed: bool | None = Field(default=None, description="whether the change changed anything")


def _out(now: ContactNow, changed: bool | None = None) -> OrgContactOut:
    return OrgContactOut(
        name=now.name,
        email=now.email,
        phone=now.phone,
        postal_code=now.postal_code,
        address=now.address,
        own=now.own,
        changed=changed,
    )


@router.get("", summary="団体情報: the organisation's contact (ID-USER-11)")
async def read_contact(
    policy: Realm, org_id: OrgId, caller: Caller, identity: IdentityDep
) -> OrgContactOut:
    return _out(await identity.org_contacts.current(policy, caller, org_id))


@router.put(
    "",
    summary="団体情報変更: the admin replaces the organisation's contact (ID-USER-11)",
    responses={403: {"description": "NOT_PERMITTED, OTP_REQUIRED"}},
)
async def change_contact(
    policy: Realm, org_id: OrgId, body: OrgContactIn, caller: Caller, identity: IdentityDep
) -> OrgContactOut:
    """Emits ``OrganisationContactChanged``, whose completion mail goes to the new address;
    later password notices (NT-06) go to this contact. The same contact again changes nothing."""
    changed = await identity.org_contacts.change(policy, caller, org_id, body)
    return _out(await identity.org_contacts.current(policy, caller, org_id), changed)
