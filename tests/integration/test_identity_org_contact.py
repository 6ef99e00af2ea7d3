"""団体情報変更 (ID-USER-11, seed 000 Q3) end to end: the `dantai-net` admin changes the
organisation's contact through the API; the change commits ``OrganisationContactChanged``,
whose completion mail reaches the new contact through Kafka, notify and Mailpit, and whose
access record reaches audit; the next password notice (NT-06: a business ID approved by the
support desk, ID-USER-10) goes to the new contact, its attachment opened by the new phone."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pyzipper
from dantai_login import REALM, Portal, dantai_portal
from harness import Infra, Namespace, eventually
from mail_catchers import new_address
from mail_events import PRIVATE_KEY
from pymongo import AsyncMongoClient

from contracts import SealedSecret, open_sealed

pytestmark = pytest.mark.integration

TYPED = {
    "name": "日本 花子",
    "phone": "03-9876-5432",
    "postal_code": "1000001",
    "address": "東京都千代田区千代田1-1 本館3F",
}
STORED = {
    "name": "日本\u3000花子",
    "phone": "03-9876-5432",
    "postal_code": "100-0001",
    "address": "東京都千代田区千代田１－１\u3000本館３Ｆ",
}


@pytest.fixture
async def portal(infra: Infra, ns: Namespace, services: Any) -> AsyncIterator[Portal]:
    notify = services("notify", notify_private_key=PRIVATE_KEY)
    services("audit", identity_url="http://127.0.0.1:9")  # it only records here
    async with dantai_portal(infra, ns, notify) as found:
        yield found


async def committed(
    mongo: AsyncMongoClient[dict[str, Any]], ns: Namespace, aggregate_id: str, kind: str
) -> list[dict[str, Any]]:
    commits = mongo[ns.database("identity")]["commits"]
    found = [
        json.loads(e["json"])
        async for c in commits.find({"aggregate_id": aggregate_id}).sort("_id", 1)
        for e in c["events"]
    ]
    return [e for e in found if e["type"] == kind]


async def test_id_user_11_the_contact_change_is_mailed_recorded_and_moves_the_password_notice(
    portal: Portal, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    async with portal.browser() as desk, portal.browser() as admin:
        await portal.support_desk(desk)
        org, _ = await portal.fully_logged_in(admin)
        contact_url = f"/v1/realms/{REALM}/orgs/{org['org_id']}/contact"
        before = await admin.get(contact_url)
        assert before.status_code == 200 and before.json()["own"] is False, "none of its own"
        to = new_address("madoguchi")
        changed = await admin.put(contact_url, json={**TYPED, "email": to})
        assert changed.status_code == 200, changed.text
        assert {k: changed.json()[k] for k in STORED} == STORED, "X-07: stored full-width"
        assert (changed.json()["own"], changed.json()["changed"]) == (True, True)
        again = await admin.put(contact_url, json={**TYPED, "email": to})
        assert again.json()["changed"] is False, "the same contact again changes nothing"
        refused = await desk.put(contact_url, json={**TYPED, "email": new_address("desk")})
        assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
        junk = await admin.put(contact_url, json={**TYPED, "email": to, "name": "髙橋 一郎"})
        assert junk.status_code == 422 and "髙" in junk.text

        [event] = await committed(
            mongo, portal.ns, f"org:{REALM}:{org['org_id']}", "OrganisationContactChanged"
        )
        assert (event["subject_id"], event["actor"]["id"]) == (org["org_id"], org["admin_user_id"])
        assert event["contact"]["email"] == to and event["completion_notice_to"] == to
        assert "sealed" not in json.dumps(event), "X-02: nothing secret travels"

        def completion() -> list[str] | None:
            subjects = portal.subjects_to(to)
            return subjects or None

        assert await eventually(completion, timeout=60) == [
            "【生保団体ネット】団体情報変更完了のお知らせ"
        ]
        [text] = portal.texts_to(to)
        assert "日本\u3000花子 様" in text and "変更した項目：" in text
        assert "03-9876-5432" not in text, "the phone opens the notices: never in this mail"

        asked = await admin.post(
            f"/v1/realms/{REALM}/orgs/{org['org_id']}/users",
            json={"login_id": f"XA5{uuid.uuid4().hex[:8]}"},
        )
        assert asked.status_code == 202, asked.text
        user_id = asked.json()["user_id"]
        approve = f"/v1/realms/{REALM}/orgs/{org['org_id']}/id-requests/{user_id}/approve"
        assert (await desk.post(approve)).status_code == 201
    [notice] = await committed(mongo, portal.ns, f"user:{REALM}:{user_id}", "InitialPasswordIssued")
    assert notice["recipient_email"] == to, "NT-06: the password notice goes to the new contact"
    phone = open_sealed(SealedSecret.from_wire(notice["attachment_password"]), PRIVATE_KEY)
    assert phone == "03-9876-5432"
    password = open_sealed(SealedSecret.from_wire(notice["sealed_password"]), PRIVATE_KEY)

    def notice_mail() -> Any:
        mails = [m for m in portal.mail.mails_to(to) if "ご利用開始情報連絡" in str(m["Subject"])]
        return mails[0] if mails else None

    mail = await eventually(notice_mail, timeout=60)
    [attachment] = [p for p in mail.iter_attachments()]
    with pyzipper.AESZipFile(io.BytesIO(attachment.get_content())) as archive:
        archive.setpassword(b"0398765432")
        [name] = archive.namelist()
        assert password in archive.read(name).decode("utf-8"), "opened by the new phone"

    records = mongo[portal.ns.database("audit")]["access_records"]

    async def recorded() -> dict[str, Any] | None:
        return await records.find_one({"org_id": org["org_id"], "operation_code": "10-26"})

    record = await eventually(recorded, timeout=60)
    assert record["operation_label"] == "団体情報変更"
