"""ID-USER-12 (seed 004 3-3, 4-2, 4-4) through identity's API on the real database and bus:
every user reads its own profile; `nexi`'s admin changes its own (``admin_profile.change``),
committed with the admin itself as the actor and refused while its organisation's OTP is owed;
a new e-mail address starts the 24-hour link of ID-EMAIL-01 and changes only when it is
followed; applicants' login IDs are the realm's next number, distinct under parallel creations.
Identity runs in this process with a clock the test owns; secrets are opened from their sealed
events with notify's key, as notify would open them (X-02)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from harness import Infra, Namespace
from mail_events import PRIVATE_KEY
from nexi_portal import NEW_PASSWORD, REALM, NexiPortal, Person, nexi_id, nexi_portal

from contracts import SealedSecret, open_sealed
from services.identity.domain.permissions import MAXIMUM, NOTHING

pytestmark = pytest.mark.integration

ME = f"/v1/realms/{REALM}/me"
CHANGE = f"{ME}/profile"
NEW_PROFILE = {"name": "日本 太郎", "department": "見本事業部", "title": "事業部長"}


@pytest.fixture
async def portal(infra: Infra, ns: Namespace) -> AsyncIterator[NexiPortal]:
    async with nexi_portal(infra, ns) as found:
        yield found


def opened(event: dict[str, Any], field: str) -> str:
    return open_sealed(SealedSecret.from_wire(event[field]), PRIVATE_KEY)


async def change(portal: NexiPortal, person: Person, **body: Any) -> Any:
    return await portal.client.put(CHANGE, json=body, headers=person.headers)


async def test_id_user_12_every_user_reads_its_own_profile(portal: NexiPortal) -> None:
    admin = await portal.admin()
    applicant = await portal.applicant(admin)
    mine = (await portal.client.get(ME, headers=admin.headers)).json()
    assert (mine["login_id"], mine["role"], mine["org_id"]) == (
        admin.login_id,
        "admin",
        admin.org_id,
    )
    assert (mine["profile"]["name"], mine["profile"]["email"]) == ("管理　太郎", admin.email)
    assert mine["permissions"] == MAXIMUM.model_dump(mode="json"), "the admin holds the maximum"
    theirs = (await portal.client.get(ME, headers=applicant.headers)).json()
    assert (theirs["login_id"], theirs["role"]) == (applicant.login_id, "business")
    assert theirs["permissions"] == NOTHING.model_dump(mode="json"), "read-only, as granted"
    assert (await portal.client.get(ME)).status_code == 401


async def test_id_user_12_the_admin_changes_its_own_profile_as_its_own_actor(
    portal: NexiPortal,
) -> None:
    admin = await portal.admin()
    profile = {**NEW_PROFILE, "phone": "03-1234-5678", "email": admin.email}
    answer = await change(portal, admin, profile=profile)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"changed": True, "email_link_sent_to": None}
    [changed] = await portal.events(f"user:{REALM}:{admin.user_id}", "UserProfileChanged")
    assert changed["actor"] == {"kind": "admin", "id": admin.user_id}
    assert sorted(changed["changed_fields"]) == ["department", "name", "phone", "title"]
    assert changed["profile"]["name"] == "日本　太郎", "stored full-width (X-07)"
    again = await change(portal, admin, profile=profile)
    assert again.json()["changed"] is False, "the same profile changes nothing"
    assert len(await portal.events(f"user:{REALM}:{admin.user_id}", "UserProfileChanged")) == 1


async def test_id_user_12_an_applicant_may_not_and_the_otp_is_owed_where_required(
    portal: NexiPortal,
) -> None:
    admin = await portal.admin()
    applicant = await portal.applicant(admin)
    refused = await change(portal, applicant, profile=NEW_PROFILE)
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    assert (await portal.switch_otp(admin, True)).status_code == 200
    owed = await change(portal, admin, profile=NEW_PROFILE)
    assert (owed.status_code, owed.json()["code"]) == (403, "OTP_REQUIRED")
    assert not await portal.events(f"user:{REALM}:{admin.user_id}", "UserProfileChanged")
    assert (await portal.client.get(ME, headers=admin.headers)).status_code == 200, "free"
    assert (await portal.issue(admin)).status_code == 202
    [issued] = await portal.events(f"user:{REALM}:{admin.user_id}", "OtpIssued")
    assert (await portal.enter(admin, opened(issued, "sealed_code"))).status_code == 200
    done = await change(portal, admin, profile={**NEW_PROFILE, "email": admin.email})
    assert done.status_code == 200, done.text
    assert await portal.events(f"user:{REALM}:{admin.user_id}", "UserProfileChanged")


async def test_id_user_12_id_email_01_a_new_address_changes_only_through_its_link(
    portal: NexiPortal,
) -> None:
    admin = await portal.admin()
    aggregate = f"user:{REALM}:{admin.user_id}"
    profile = {**NEW_PROFILE, "email": "new-admin@example.jp"}
    unconfirmed = await change(portal, admin, profile=profile)
    assert (unconfirmed.status_code, unconfirmed.json()["code"]) == (422, "VALIDATION_ERROR")
    wrong = await change(portal, admin, profile=profile, current_password="Wrong-Pass-2026")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "INVALID_CREDENTIALS")
    assert not await portal.events(aggregate, "UserProfileChanged"), "nothing before the password"

    asked = await change(portal, admin, profile=profile, current_password=NEW_PASSWORD)
    assert asked.json() == {"changed": True, "email_link_sent_to": "new-admin@example.jp"}
    [link] = await portal.events(aggregate, "EmailLinkIssued")
    assert (link["recipient_email"], link["purpose"]) == (
        "new-admin@example.jp",
        "email_change_confirmation",
    )
    mine = (await portal.client.get(ME, headers=admin.headers)).json()
    assert mine["profile"]["email"] == admin.email, "unchanged until the link is followed"
    assert mine["profile"]["title"] == "事業部長", "the rest changed at 確定する"
    assert mine["email_change_pending"] == "new-admin@example.jp"

    token = parse_qs(urlsplit(opened(link, "sealed_link")).query)["token"][0]
    confirmed = await portal.client.post(
        f"/v1/realms/{REALM}/email-change/confirm", json={"token": token}
    )
    assert confirmed.status_code == 200, confirmed.text
    [moved] = await portal.events(aggregate, "EmailChanged")
    assert (moved["previous_email"], moved["new_email"]) == (admin.email, "new-admin@example.jp")


async def test_id_user_12_parallel_applicants_get_distinct_sequential_ids(
    portal: NexiPortal,
) -> None:
    admin = await portal.admin()
    users = f"/v1/realms/{REALM}/orgs/{admin.org_id}/users"

    async def create(n: int) -> Any:
        body = {"profile": {"email": f"applicant-{n}@example.jp"}}
        return await portal.client.post(users, json=body, headers=admin.headers)

    answers = await asyncio.gather(*(create(n) for n in range(8)))
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    ids = sorted(a.json()["login_id"] for a in answers)
    assert ids == [f"{n:011d}" for n in range(1, 9)], "this realm's first eight numbers"

    typed = await portal.client.post(
        users, json={"login_id": nexi_id(), "profile": {}}, headers=admin.headers
    )
    assert (typed.status_code, typed.json()["code"]) == (422, "VALIDATION_ERROR"), "not typed"
    key = {"Idempotency-Key": "applicant-retried", **admin.headers}
    first = await portal.client.post(users, json={"profile": {}}, headers=key)
    retried = await portal.client.post(users, json={"profile": {}}, headers=key)
    assert first.json()["login_id"] == retried.json()["login_id"] == "00000000009"
    assert first.json()["user_id"] == retried.json()["user_id"], "one user, one number"
