"""nexi's OTP step-up (ID-OTP-01..04, seed 004 chapter 5) end to end: the admin's switch, the
code mailed by notify through Mailpit and read from the real mail, entries judged on the user's
versions (X-13: twenty parallel wrong entries judge two), identity's clock moved, never slept."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from harness import Infra, Namespace
from mail_events import PRIVATE_KEY
from nexi_portal import NEW_PASSWORD, NexiPortal, Person, nexi_portal

from services.identity.domain.permissions import MAXIMUM

pytestmark = pytest.mark.integration

CONTRACTS = "contract.read"
CURRENT = "/v1/sessions/current"
ESTIMATE = "premium.estimate"
"""保険料試算（詳細版）: a menu seed 004 5-3 leaves free of the OTP."""


@pytest.fixture
async def portal(infra: Infra, ns: Namespace, services: Any) -> AsyncIterator[NexiPortal]:
    services("notify", notify_private_key=PRIVATE_KEY)
    async with nexi_portal(infra, ns) as found:
        yield found


async def required(portal: NexiPortal) -> tuple[Person, Person]:
    """An organisation whose admin switched the OTP on, and an applicant with every right."""
    admin = await portal.admin()
    applicant = await portal.applicant(admin, MAXIMUM.model_dump(mode="json"))
    switched = await portal.switch_otp(admin, True)
    assert switched.status_code == 200, switched.text
    return admin, applicant


async def test_id_otp_01_id_otp_04_switched_on_it_guards_protected_operations_and_not_free_ones(
    portal: NexiPortal,
) -> None:
    admin = await portal.admin()
    applicant = await portal.applicant(admin, MAXIMUM.model_dump(mode="json"))
    assert (await portal.decide(applicant, CONTRACTS))["allow"], "not switched on yet"
    assert (await portal.switch_otp(applicant, True)).status_code == 403, "the admin's alone"
    assert (await portal.switch_otp(admin, True)).status_code == 200
    for person in (applicant, admin):  # every user of it, the admin too (seed 004 5-2)
        guarded = await portal.decide(person, CONTRACTS)
        assert (guarded["allow"], guarded["reason"], guarded["rule"]) == (
            False,
            "OTP_REQUIRED",
            "ID-OTP-04",
        )
        assert guarded["message"] == "ワンタイムパスワードにより保護されています"
        assert (await portal.decide(person, ESTIMATE, protected=False))["allow"]
    plain = await portal.client.get(CURRENT, headers=applicant.headers)
    assert (plain.json()["otp_required"], plain.json()["otp_verified"]) == (True, False)
    gateway = await portal.client.get(
        CURRENT, params={"protected": "true"}, headers=applicant.headers
    )
    assert (gateway.status_code, gateway.json()["code"]) == (403, "OTP_REQUIRED")
    listing = await portal.client.get(
        f"/v1/realms/nexi/orgs/{admin.org_id}/users", headers=admin.headers
    )
    assert (listing.status_code, listing.json()["code"]) == (403, "OTP_REQUIRED")
    [switched] = await portal.events(f"org:nexi:{admin.org_id}", "OtpPolicyChanged")
    assert (switched["enabled"], switched["subject_id"]) == (True, admin.org_id)


async def test_id_otp_02_id_otp_03_the_code_from_the_mail_verifies_until_logout_or_timeout(
    portal: NexiPortal,
) -> None:
    _, applicant = await required(portal)
    issued = await portal.issue(applicant)
    assert issued.status_code == 202, issued.text
    [code] = await portal.codes_to(applicant.email, 1)
    unverified = applicant.token
    entered = await portal.enter(applicant, code)
    assert entered.status_code == 200, entered.text
    assert applicant.token != unverified, "the session id changes with the privilege"
    old = await portal.client.get(
        "/v1/sessions/current", headers={"Authorization": f"Bearer {unverified}"}
    )
    assert old.status_code == 401
    assert (await portal.decide(applicant, CONTRACTS))["allow"]
    portal.clock.advance(timedelta(minutes=25))  # more than the code's 10 minutes: still verified
    assert (await portal.decide(applicant, CONTRACTS))["allow"]
    assert (await portal.client.get("/v1/sessions/current", headers=applicant.headers)).json()[
        "otp_verified"
    ]
    portal.clock.advance(timedelta(minutes=31))  # idle: the session timed out
    assert (
        await portal.client.get("/v1/sessions/current", headers=applicant.headers)
    ).status_code == 401
    [verified] = await portal.events(f"user:nexi:{applicant.user_id}", "OtpVerified")
    assert verified["session_ref"] != "" and verified["actor"]["id"] == applicant.user_id


async def test_id_otp_03_after_logout_the_next_session_needs_a_new_code(portal: NexiPortal) -> None:
    _, applicant = await required(portal)
    await portal.issue(applicant)
    [code] = await portal.codes_to(applicant.email, 1)
    assert (await portal.enter(applicant, code)).status_code == 200
    assert (await portal.client.post("/v1/logout", headers=applicant.headers)).status_code == 204
    login = await portal.client.post(
        "/v1/realms/nexi/login",
        json={"login_id": applicant.login_id, "password": NEW_PASSWORD},
    )
    applicant.token = login.cookies["__Host-session"]
    assert (await portal.decide(applicant, CONTRACTS))["reason"] == "OTP_REQUIRED"


async def test_id_otp_02_the_second_wrong_entry_voids_the_code(portal: NexiPortal) -> None:
    _, applicant = await required(portal)
    await portal.issue(applicant)
    [code] = await portal.codes_to(applicant.email, 1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    first = await portal.enter(applicant, wrong)
    assert (first.status_code, first.json()["code"], first.json()["remaining_attempts"]) == (
        422,
        "OTP_INVALID",
        1,
    )
    second = await portal.enter(applicant, wrong)
    assert (second.status_code, second.json()["remaining_attempts"]) == (422, 0)
    assert "失効" in second.json()["detail"]
    late = await portal.enter(applicant, code)
    assert (late.status_code, late.json()["code"]) == (410, "OTP_EXPIRED")
    [voided] = await portal.events(f"user:nexi:{applicant.user_id}", "OtpVoided")
    assert voided["reason"] == "too_many_failures"


async def test_id_otp_02_after_ten_minutes_the_code_is_refused(portal: NexiPortal) -> None:
    _, applicant = await required(portal)
    await portal.issue(applicant)
    [code] = await portal.codes_to(applicant.email, 1)
    portal.clock.advance(timedelta(minutes=10))
    refused = await portal.enter(applicant, code)
    assert (refused.status_code, refused.json()["code"]) == (410, "OTP_EXPIRED")
    assert (await portal.decide(applicant, CONTRACTS))["reason"] == "OTP_REQUIRED"


async def test_id_otp_02_a_new_issue_voids_the_older_code(portal: NexiPortal) -> None:
    _, applicant = await required(portal)
    await portal.issue(applicant)
    [older] = await portal.codes_to(applicant.email, 1)
    portal.clock.advance(timedelta(minutes=1))
    await portal.issue(applicant)
    older_again, newer = await portal.codes_to(applicant.email, 2)
    assert older_again == older
    if older != newer:  # one in a million, the same six digits twice
        stale = await portal.enter(applicant, older)
        assert (stale.status_code, stale.json()["code"]) == (422, "OTP_INVALID")
    assert (await portal.enter(applicant, newer)).status_code == 200
    voided = await portal.events(f"user:nexi:{applicant.user_id}", "OtpVoided")
    assert [v["reason"] for v in voided] == ["superseded"]


async def test_id_otp_02_twenty_parallel_wrong_entries_judge_at_most_two_then_the_code_is_void(
    portal: NexiPortal,
) -> None:
    _, applicant = await required(portal)
    await portal.issue(applicant)
    [code] = await portal.codes_to(applicant.email, 1)
    wrongs = [f"{(int(code) + i) % 10**6:06d}" for i in range(1, 21)]
    answers = await asyncio.gather(*(portal.enter(applicant, w) for w in wrongs))
    judged = [a for a in answers if a.status_code == 422]
    assert len(judged) == 2, [a.status_code for a in answers]
    assert sorted(a.json()["remaining_attempts"] for a in judged) == [0, 1]
    assert all(a.json()["code"] == "OTP_EXPIRED" for a in answers if a not in judged)
    assert (await portal.enter(applicant, code)).status_code == 410, "no third try, not even right"
    voided = await portal.events(f"user:nexi:{applicant.user_id}", "OtpVoided")
    assert [v["reason"] for v in voided] == ["too_many_failures"]


async def test_x_02_the_code_is_in_no_event_and_no_stored_document_in_clear(
    portal: NexiPortal,
) -> None:
    _, applicant = await required(portal)
    await portal.issue(applicant)
    [code] = await portal.codes_to(applicant.email, 1)
    db = portal.mongo[portal.ns.database("identity")]
    stored = [
        json.dumps(doc, default=str, ensure_ascii=False)
        for name in await db.list_collection_names()
        async for doc in db[name].find({})
    ]
    assert all(f'"{code}"' not in text and f": {code}" not in text for text in stored)
    [issued] = await portal.events(f"user:nexi:{applicant.user_id}", "OtpIssued")
    assert code not in json.dumps(issued) and issued["sealed_code"]
