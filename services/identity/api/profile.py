"""A user's own profile (ID-USER-12): what every user reads of itself (seed 004 3-3
Webユーザー情報照会), and `nexi`'s admin changing its own (seed 004 4-2, ``admin_profile.change``).
The pages ``/realms/{realm}/profile`` call the same use cases."""

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.common import Role, UserProfile
from contracts.permissions import Permissions
from services.identity.api.deps import Caller, ClientDep, IdentityDep, Realm, Token
from services.identity.usecases.inputs import ProfileIn

router = APIRouter(prefix="/v1/realms/{realm}", tags=["profile"])


class OwnProfileOut(BaseModel):
    user_id: str
    login_id: str
    role: Role
    org_id: str | None
    profile: UserProfile
    permissions: Permissions | None = Field(
        default=None,
        description="The permission matrix the user acts with (nexi, ID-PERM-01): an admin's is "
        "the maximum; none in realms without the matrix",
    )
    email_change_pending: str | None = Field(
        default=None,
        description="A new address whose 24-hour confirmation link has not been followed yet",
    )


class OwnProfileChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: ProfileIn = Field(
        description="氏名, 所属名, 役職名 and phone replace the current ones (an empty one clears "
        "it); a new e-mail starts the change by link (ID-EMAIL-01), none keeps the address"
    )
    current_password: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        repr=False,
        description="Required when the e-mail address changes",
    )


class OwnProfileChanged(BaseModel):
    changed: bool = Field(description="氏名, 所属名, 役職名 or phone changed")
    email_link_sent_to: str | None = Field(
        default=None,
        description="The new address the confirmation link went to; it changes when followed",
    )


@router.get("/me", summary="One's own profile (ID-USER-12, Webユーザー情報照会)")
async def read_own_profile(policy: Realm, caller: Caller, identity: IdentityDep) -> OwnProfileOut:
    own = await identity.profiles.read(policy, caller)
    user = own.user
    return OwnProfileOut(
        user_id=user.user_id,
        login_id=user.login_id,
        role=user.role,
        org_id=user.org_id,
        profile=user.profile,
        permissions=own.permissions,
        email_change_pending=own.email_pending,
    )


@router.put(
    "/me/profile",
    summary="The admin changes its own profile (ID-USER-12, nexi 4-2, admin_profile.change)",
    responses={403: {"description": "NOT_PERMITTED, or OTP_REQUIRED where the OTP is owed"}},
)
async def change_own_profile(
    policy: Realm,
    body: OwnProfileChange,
    token: Token,
    caller: Caller,
    client: ClientDep,
    identity: IdentityDep,
) -> OwnProfileChanged:
    """``UserProfileChanged`` with the admin itself as the actor; a new e-mail address is
    changed only when the link mailed to it is followed (``EmailLinkIssued``)."""
    done = await identity.profiles.change_admin_profile(
        policy, caller, token, body.profile.to_profile(), body.current_password, client
    )
    return OwnProfileChanged(changed=done.changed, email_link_sent_to=done.email_link_sent_to)
