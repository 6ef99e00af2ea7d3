"""X-07 as people type it: a department, a name and a title typed with the Windows IME (the
wave-dash family: U+FF0D －, U+FF5E ～) or with half-width ASCII reach identity's business-user
profile, are stored in cp932's form, and leave audit's cp932 CSV exactly as stored.

Identity and audit run as processes on one namespace, as in production: the profile travels in
identity's events over the real Kafka into audit's access history.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import pytest
from harness import eventually
from identity_client import bearer, ready_admin

pytestmark = pytest.mark.integration

TYPED = {"name": "日本 太郎", "department": "第1-2課", "title": "ＡＢＣ－１"}
STORED = {"name": "日本\u3000太郎", "department": "第１－２課", "title": "ＡＢＣ－１"}
CHANGED_TYPED = {"name": "日本 次郎", "department": "営業部~東京", "title": "課長〜部長"}
CHANGED_STORED = {"name": "日本\u3000次郎", "department": "営業部～東京", "title": "課長～部長"}


async def test_x_07_wave_dash_departments_are_stored_in_cp932_form_and_export_unchanged(
    services: Any,
) -> None:
    identity = services("identity")
    audit = services("audit", identity_url=identity.url)
    admin, org = ready_admin(identity.url)
    users = f"{identity.url}/v1/realms/demo/orgs/{org['org_id']}/users"

    created = httpx.post(
        users,
        json={"login_id": f"XA5{uuid.uuid4().hex[:8]}", "profile": TYPED},
        headers=bearer(admin),
        timeout=30,
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["user_id"]

    def profile() -> dict[str, Any]:
        listed = httpx.get(users, headers=bearer(admin), timeout=30).json()
        [found] = [u["profile"] for u in listed if u["user_id"] == user_id]
        return dict(found)

    assert {k: profile()[k] for k in STORED} == STORED
    changed = httpx.put(
        f"{users}/{user_id}/profile", json=CHANGED_TYPED, headers=bearer(admin), timeout=30
    )
    assert changed.status_code == 204, changed.text
    assert {k: profile()[k] for k in CHANGED_STORED} == CHANGED_STORED

    history = f"{audit.url}/v1/realms/demo/orgs/{org['org_id']}/access-history"

    def exported() -> bytes | None:
        answer = httpx.get(
            f"{history}.csv", params={"encoding": "cp932"}, headers=bearer(admin), timeout=30
        )
        assert answer.status_code == 200, answer.text
        renamed = CHANGED_STORED["department"].encode("cp932") in answer.content
        return answer.content if renamed else None

    cp932 = await eventually(exported, timeout=60)
    rows = list(csv.reader(io.StringIO(cp932.decode("cp932"))))
    profiles = {tuple(row[3:6]) for row in rows[1:]}
    assert tuple(STORED.values()) in profiles, rows
    assert tuple(CHANGED_STORED.values()) in profiles, rows
    assert "〓".encode("cp932") not in cp932, "no character lost to the missing-character mark"
