"""団体情報変更 (ID-USER-11; seed 000 Q3: 団体情報を変更する（メールアドレスや住所などの変更）),
pure.

The organisation's contact (第1窓口担当者) is where its password notices go, as an attachment
opened with the contact's phone (NT-06). Before this change existed the support desk set it
as the admin's own e-mail and phone (the admin's profile), so an organisation whose admin never
changed its contact keeps that as its contact: :func:`for_notices` reads the organisation's own
contact first and the admin's profile only as the fallback.

Only realms whose password notices go to the organisation's contact keep one
(:func:`kept_by`): `dantai-net` today, the realm of business-ID requests (ID-USER-10).

What is typed is checked as the profile's fields are (X-06, X-07): the name and the address
are Japanese text in JIS X 0208, stored full-width (a half-width space or digit is stored in
its full-width form); e-mail, phone and postal code are half-width.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from contracts import Actor
from contracts.common import UserProfile
from contracts.identity import ContactField, OrganisationContactChanged, OrgContact
from domainkit.decision import Decision, envelope
from services.identity.domain import profiles
from services.identity.domain.organisations import Organisation
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import MissingContact, ProfileRefused

NAME_MAX = profiles.FULL_WIDTH_LIMITS["name"]
"""担当者名: as long as any person's name (ID-USER-06: 50 full-width)."""
ADDRESS_MAX = 100
"""住所, where the seed is silent: 100 full-width characters hold a prefecture, a city, a
block number and a building's name and floor."""
POSTAL_CODE = re.compile(r"^([0-9]{3})-?([0-9]{4})$")


def kept_by(realm: RealmPolicy) -> bool:
    """The realms whose password notices go to the organisation's contact (ID-USER-10)."""
    return realm.business_id_requests


def checked_postal_code(value: str) -> str:
    """郵便番号: seven half-width digits, with or without the hyphen; stored ``123-4567``."""
    found = POSTAL_CODE.match(value.strip())
    if found is None:
        raise ProfileRefused("半角数字7桁で入力してください（例：100-0001）")
    return f"{found.group(1)}-{found.group(2)}"


def checked_address(value: str) -> str:
    return profiles.checked_full_width(value.strip(), ADDRESS_MAX)


def checked_name(value: str) -> str:
    return profiles.checked_full_width(value.strip(), NAME_MAX)


def _before(org: Organisation, fallback: UserProfile) -> dict[ContactField, str | None]:
    """The contact as notices knew it before: the organisation's own, or the admin's profile
    (which holds no postal address)."""
    if org.contact is not None:
        return {ContactField(k): v for k, v in org.contact.model_dump().items()}
    return {
        ContactField.NAME: fallback.name,
        ContactField.EMAIL: fallback.email,
        ContactField.PHONE: fallback.phone,
        ContactField.POSTAL_CODE: None,
        ContactField.ADDRESS: None,
    }


def change(
    org: Organisation,
    contact: OrgContact,
    fallback: UserProfile,
    admin: Actor,
    correlation_id: str,
    now: datetime,
) -> Decision[Organisation, bool]:
    """The admin sets the organisation's contact: its full new value, announced with the fields
    that changed, the completion mail to the new address and the address notices went to before
    when it moved. Nothing changed, nothing is committed (a retry of the same change)."""
    before = _before(org, fallback)
    after = {ContactField(k): v for k, v in contact.model_dump().items()}
    changed = frozenset(f for f in ContactField if before[f] != after[f])
    if not changed:  # the first change always sets the postal address the profile lacks
        return Decision.nothing(False)
    moved = ContactField.EMAIL in changed
    event = OrganisationContactChanged(
        **envelope(org.realm, org.org_id, org.org_id, admin, correlation_id, now),
        contact=contact,
        changed_fields=changed,
        previous_email=before[ContactField.EMAIL] if moved else None,
        completion_notice_to=contact.email,
    )
    return Decision.commit(True, replace(org, contact=contact), event)


def for_notices(org: Organisation, fallback: UserProfile) -> tuple[str, str]:
    """Where a password notice goes and the phone that opens it (NT-06): the organisation's
    contact, or the admin's profile where the admin never changed it."""
    if org.contact is not None:
        return org.contact.email, org.contact.phone
    email, phone = fallback.email, fallback.phone
    if not email or not phone:
        raise MissingContact("団体の連絡先（メールアドレスと電話番号）が登録されていません")
    return email, phone
