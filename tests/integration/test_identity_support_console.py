"""What the support console's identity operations do, through identity's JSON API, which the
console's pages share their use cases with (WEB-04; ID-LOCK-04, ID-USER-04): support locks an
admin on purpose and unlocks it, the password untouched, each an event naming the operator;
a support operator creates another (real Kafka and database)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from identity_client import (
    NEW_PASSWORD,
    bearer,
    log_in,
    ready_admin,
    signed_in,
    support_session,
    user_events,
)
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration


async def test_id_lock_04_support_locks_an_admin_and_unlocks_it_with_its_password_unchanged(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    support, operator = support_session(proc)
    admin_token, org = ready_admin(proc.url)
    user = f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users/{org['admin_user_id']}"

    other_admin, _ = ready_admin(proc.url)
    for who in (other_admin, admin_token):
        refused = httpx.post(f"{user}/lock", headers=bearer(who), timeout=30)
        assert refused.json()["code"] == "FORBIDDEN", "support's, not an admin's"

    locked = httpx.post(f"{user}/lock", json={"note": "電話で依頼"}, headers=bearer(support))
    assert locked.status_code == 204, locked.text
    answer = log_in(proc.url, "demo", org["admin_login_id"], NEW_PASSWORD)
    assert answer.json()["code"] == "ACCOUNT_LOCKED", "refused with the right password"
    gone = httpx.get(f"{proc.url}/v1/sessions/current", headers=bearer(admin_token))
    assert gone.status_code == 401, "its sessions ended with the lock"
    assert httpx.post(f"{user}/lock", headers=bearer(support)).status_code == 204, "no change"

    assert httpx.post(f"{user}/unlock", headers=bearer(support)).status_code == 204
    again = log_in(proc.url, "demo", org["admin_login_id"], NEW_PASSWORD)
    assert again.status_code == 200, "unlocked, on the password it had"
    assert again.json()["password_change_required"] is False

    events = await user_events(mongo, ns, "demo", org["admin_user_id"])
    [lock] = [e for e in events if e["type"] == "AccountLocked"]
    [unlock] = [e for e in events if e["type"] == "AccountUnlocked"]
    support_actor = {"kind": "support", "id": operator["user_id"]}
    assert (lock["reason"], lock["note"], lock["actor"]) == (
        "administrative",
        "電話で依頼",
        support_actor,
    )
    assert (unlock["reason"], unlock["actor"]) == ("unlock", support_actor)


async def test_id_user_04_a_support_operator_creates_another_its_password_answered_once(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    support, operator = support_session(proc)
    url = f"{proc.url}/v1/realms/demo/support-operators"
    login_id = f"SUP{uuid.uuid4().hex[:8]}"

    admin_token, _ = ready_admin(proc.url)
    refused = httpx.post(url, json={"login_id": login_id}, headers=bearer(admin_token))
    assert refused.json()["code"] == "FORBIDDEN", "only support makes support"
    junk = httpx.post(url, json={"login_id": "ＳＵＰ全角"}, headers=bearer(support))
    assert junk.json()["code"] == "HALF_WIDTH_REQUIRED"

    made = httpx.post(url, json={"login_id": login_id}, headers=bearer(support), timeout=30)
    assert made.status_code == 201, made.text
    created = made.json()
    assert created["login_id"] == login_id and created["initial_password"]
    again = httpx.post(url, json={"login_id": login_id}, headers=bearer(support), timeout=30)
    assert again.json()["code"] == "LOGIN_ID_TAKEN"

    token = signed_in(proc.url, "demo", login_id, created["initial_password"])
    me = httpx.get(f"{proc.url}/v1/sessions/current", headers=bearer(token)).json()
    assert me["role"] == "support"
    [born] = await user_events(mongo, ns, "demo", created["user_id"], "UserCreated")
    assert born["actor"] == {"kind": "support", "id": operator["user_id"]}
