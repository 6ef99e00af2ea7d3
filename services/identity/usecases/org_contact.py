"""団体情報変更 (ID-USER-11): the organisation's admin reads and changes its contact, the same
use case behind the API's ``PUT /orgs/{org_id}/contact`` and the admin's page; the decision is
:mod:`~services.identity.domain.org_contact`'s.

What is typed is parsed by :class:`OrgContactIn` at both doors, so one rule refuses the same
input wherever it is typed (X-05, X-07), each refusal at its field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from contracts.common import UserProfile
from contracts.identity import OrgContact
from servicekit.logs import current_correlation_id
from services.identity.domain import authz, org_contact, profiles
from services.identity.domain.organisations import Organisation
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import NotFound, ProfileRefused
from services.identity.usecases.context import Context, actor_of
from services.identity.usecases.organisations import Organisations


def _checked(check: Callable[[str], str]) -> AfterValidator:
    """A field checked by a domain rule, its refusal reported at the field (X-07)."""

    def validate(value: str) -> str:
        try:
            return check(value)
        except ProfileRefused as refused:
            raise PydanticCustomError("contact", refused.detail or "") from None

    return AfterValidator(validate)


def _half_width(check: Callable[[str], str]) -> Callable[[str], str]:
    return lambda value: check(value.strip())


class OrgContactIn(BaseModel):
    """団体情報 as the admin types it: every field, since the contact is replaced whole."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200), _checked(org_contact.checked_name)]
    email: Annotated[
        str, Field(min_length=1, max_length=254), _checked(_half_width(profiles.checked_email))
    ] = Field(examples=["madoguchi@example.jp"], description="半角50文字以内")
    phone: Annotated[
        str, Field(min_length=1, max_length=254), _checked(_half_width(profiles.checked_phone))
    ] = Field(examples=["03-1234-5678"], description="半角数字とハイフン20文字以内")
    postal_code: Annotated[
        str, Field(min_length=1, max_length=254), _checked(org_contact.checked_postal_code)
    ] = Field(examples=["100-0001"], description="郵便番号: 半角数字7桁")
    address: Annotated[
        str, Field(min_length=1, max_length=400), _checked(org_contact.checked_address)
    ] = Field(examples=["東京都千代田区千代田１－１"], description="住所: 全角100文字以内")

    def to_contact(self) -> OrgContact:
        return OrgContact(**self.model_dump())


@dataclass(frozen=True)
class ContactNow:
    """The contact as the admin's page shows it: the organisation's own, or what stands in for
    it (the admin's profile's name, e-mail and phone) while it has none."""

    organisation: Organisation
    name: str = ""
    email: str = ""
    phone: str = ""
    postal_code: str = ""
    address: str = ""
    own: bool = False


class OrgContacts:
    def __init__(self, context: Context, organisations: Organisations) -> None:
        self.context = context
        self.organisations = organisations

    async def current(self, realm: RealmPolicy, caller: authz.Caller, org_id: str) -> ContactNow:
        """For whoever may read the organisation (its admin, the realm's support)."""
        authz.read_organisation(caller, realm, org_id)
        if not org_contact.kept_by(realm):
            raise NotFound()
        org = await self.organisations.read(realm, org_id)
        if org.contact is not None:
            return ContactNow(org, **org.contact.model_dump(), own=True)
        fallback = await self._admin_profile(realm, org)
        return ContactNow(
            org, name=fallback.name or "", email=fallback.email or "", phone=fallback.phone or ""
        )

    async def change(
        self, realm: RealmPolicy, caller: authz.Caller, org_id: str, typed: OrgContactIn
    ) -> bool:
        """団体情報を変更する: the admin replaces the contact; ``OrganisationContactChanged``
        mails the completion to the new address. Answers whether anything changed."""
        session = authz.change_org_contact(caller, realm, org_id)
        if not org_contact.kept_by(realm):
            raise NotFound()
        fallback = await self._admin_profile(realm, await self.organisations.read(realm, org_id))
        return await self.organisations.change(
            realm,
            org_id,
            partial(
                org_contact.change,
                contact=typed.to_contact(),
                fallback=fallback,
                admin=actor_of(session),
                correlation_id=current_correlation_id(),
                now=self.context.clock.now(),
            ),
        )

    async def _admin_profile(self, realm: RealmPolicy, org: Organisation) -> UserProfile:
        admin = await self.context.user(realm, org.admin_user_id)
        return admin.profile if admin is not None else UserProfile()
