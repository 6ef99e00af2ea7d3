"""An organisation's admin at work: the forced password change, business users within the
realm's limit, and unlocking a locked business user (real Kafka and database)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from harness import PROVISIONING, ServiceProcess
from identity_client import (
    NEW_PASSWORD,
    bearer,
    create_support_operator,
    create_user,
    log_in,
    new_org,
    opened,
    ready_admin,
    ready_dantai_admin,
    rotated,
    signed_in,
    through_email_authentication,
    token_of,
    user_events,
)
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration


def test_id_pw_03_the_first_login_may_only_change_the_initial_password_by_id_pw_02_policy(
    identity: Any,
) -> None:
    proc, _ = identity
    org = new_org(proc.url, "demo", f"XA3{uuid.uuid4().hex[:8]}")
    first = log_in(proc.url, "demo", org["admin_login_id"], org["initial_password"])
    assert first.json()["password_change_required"] is True
    token = token_of(first)

    def session() -> tuple[bool, list[str]]:
        found = httpx.get(f"{proc.url}/v1/sessions/current", headers=bearer(token)).json()
        return found["restricted"], found["pending_steps"]

    assert session() == (True, ["password_change"]), "ID-LOGIN-01 step 7 is pending"
    refused = create_user(proc.url, "demo", org["org_id"], token, "XA5first")
    assert (refused.status_code, refused.json()["code"]) == (403, "PASSWORD_CHANGE_REQUIRED")

    def change(current: str, new: str) -> httpx.Response:
        return httpx.post(
            f"{proc.url}/v1/realms/demo/password",
            json={"current_password": current, "new_password": new},
            headers=bearer(token),
        )

    for weak, why in (
        ("short", "8文字以上"),
        ("password123", "推測されやすい"),
        (org["initial_password"], "現在のパスワードと異なる"),
    ):
        r = change(org["initial_password"], weak)
        assert (r.status_code, r.json()["code"]) == (422, "PASSWORD_POLICY"), weak
        assert why in r.json()["detail"]
    assert change("not-the-current-one", NEW_PASSWORD).json()["code"] == "INVALID_CREDENTIALS"
    token = rotated(change(org["initial_password"], NEW_PASSWORD))  # ID-SESS-03
    assert session() == (False, []), "the session, rotated, is a full one now"
    assert (
        create_user(
            proc.url, "demo", org["org_id"], token, f"XA5{uuid.uuid4().hex[:8]}"
        ).status_code
        == 201
    )
    assert (
        log_in(proc.url, "demo", org["admin_login_id"], org["initial_password"]).status_code == 401
    )
    again = log_in(proc.url, "demo", org["admin_login_id"], NEW_PASSWORD)
    assert again.json()["password_change_required"] is False


async def test_id_user_01_dantai_net_admins_create_at_most_three_business_users_even_in_parallel(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, _ = identity
    token, org = await ready_dantai_admin(proc, mongo)
    wrong_prefix = create_user(proc.url, "dantai-net", org["org_id"], token, "XA3123456")
    assert (wrong_prefix.status_code, wrong_prefix.json()["code"]) == (422, "VALIDATION_ERROR"), (
        "ID-USER-02"
    )
    async with httpx.AsyncClient(base_url=proc.url, headers=bearer(token), timeout=60) as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    f"/v1/realms/dantai-net/orgs/{org['org_id']}/users",
                    json={"login_id": f"XA5{uuid.uuid4().hex[:8]}"},
                )
                for _ in range(6)
            )
        )
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [202, 202, 202, 409, 409, 409], "requests hold the slots (ID-USER-10)"
    assert {r.json()["code"] for r in answers if r.status_code == 409} == {"BUSINESS_USER_LIMIT"}
    requested = [r.json() for r in answers if r.status_code == 202]
    assert all(c["login_id"].startswith("XA5") and c["pending"] for c in requested)
    assert not any(c["initial_password"] for c in requested)


async def test_id_lock_04_id_pw_06_the_admin_unlocks_a_locked_business_user_by_initialising(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    token, org = ready_admin(proc.url)
    login_id = f"XA5{uuid.uuid4().hex[:8]}"
    user = create_user(proc.url, "demo", org["org_id"], token, login_id).json()
    user_session = token_of(log_in(proc.url, "demo", login_id, user["initial_password"]))
    for _ in range(3):
        last = log_in(proc.url, "demo", login_id, "wrong")
    assert last.json()["code"] == "ACCOUNT_LOCKED"
    assert (
        log_in(proc.url, "demo", login_id, user["initial_password"]).json()["code"]
        == "ACCOUNT_LOCKED"
    )

    url = f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users/{user['user_id']}/initialise"
    assert httpx.post(url, headers=bearer(token)).status_code == 204

    ended = httpx.get(f"{proc.url}/v1/sessions/current", headers=bearer(user_session))
    assert ended.json()["code"] == "SESSION_EXPIRED", "an admin's reset ends the user's sessions"
    back = log_in(proc.url, "demo", login_id, user["initial_password"])
    assert back.status_code == 200
    assert back.json()["password_change_required"] is True

    events = await user_events(mongo, ns, "demo", user["user_id"])
    [locked] = [e for e in events if e["type"] == "AccountLocked"]
    assert locked["actor"] == {"kind": "system", "id": None}, "the policy locked it"
    assert locked["consecutive_failures"] == 3
    [unlocked] = [e for e in events if e["type"] == "AccountUnlocked"]
    assert unlocked["actor"] == {"kind": "admin", "id": org["admin_user_id"]}
    assert unlocked["reason"] == "password_initialised"
    assert [e["method"] for e in events if e["type"] == "PasswordChanged"] == ["initialise"]


def test_id_user_01_only_the_organisations_own_admin_manages_its_users(identity: Any) -> None:
    proc, _ = identity
    token, org = ready_admin(proc.url)
    other_token, _ = ready_admin(proc.url)
    login_id = f"XA5{uuid.uuid4().hex[:8]}"
    user = create_user(proc.url, "demo", org["org_id"], token, login_id).json()
    stranger = create_user(
        proc.url, "demo", org["org_id"], other_token, f"XA5{uuid.uuid4().hex[:8]}"
    )
    assert (stranger.status_code, stranger.json()["code"]) == (403, "FORBIDDEN")
    url = f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users/{user['user_id']}/initialise"
    assert httpx.post(url, headers=bearer(other_token)).json()["code"] == "FORBIDDEN"
    business = signed_in(proc.url, "demo", login_id, user["initial_password"])
    by_business = create_user(
        proc.url, "demo", org["org_id"], business, f"XA5{uuid.uuid4().hex[:8]}"
    )
    assert by_business.json()["code"] == "FORBIDDEN"


def test_x_07_names_outside_jis_x_0208_are_refused_naming_the_character(identity: Any) -> None:
    proc, _ = identity
    token, org = ready_admin(proc.url)

    def with_profile(profile: dict[str, str]) -> httpx.Response:
        return httpx.post(
            f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users",
            json={"login_id": f"XA5{uuid.uuid4().hex[:8]}", "profile": profile},
            headers=bearer(token),
        )

    old_style = with_profile({"name": "髙橋一郎", "department": "総務部①"})
    assert (old_style.status_code, old_style.json()["code"]) == (422, "VALIDATION_ERROR")
    messages = {tuple(e["location"]): e["message"] for e in old_style.json()["errors"]}
    assert "「髙」" in messages[("body", "profile", "name")]
    assert "「①」" in messages[("body", "profile", "department")]
    too_long = with_profile({"department": "総" * 26})
    assert too_long.json()["errors"][0]["message"] == "25文字以内で入力してください"
    assert (
        with_profile(
            {"name": "渡辺一郎", "department": "総務部", "phone": "03-1234-5678"}
        ).status_code
        == 201
    )


async def test_id_user_06_id_user_07_the_admin_changes_a_profile_and_lists_its_users(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    token, org = ready_admin(proc.url)
    user = httpx.post(
        f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users",
        json={
            "login_id": f"XA5{uuid.uuid4().hex[:8]}",
            "profile": {"name": "山田太郎", "department": "総務部"},
        },
        headers=bearer(token),
    ).json()
    url = f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users/{user['user_id']}/profile"
    new_profile = {"name": "山田太郎", "department": "人事部", "title": "課長"}
    assert httpx.put(url, json=new_profile, headers=bearer(token)).status_code == 204
    events = await user_events(mongo, ns, "demo", user["user_id"])
    [changed] = [e for e in events if e["type"] == "UserProfileChanged"]
    assert changed["profile"] == new_profile | {"email": None, "phone": None}
    assert changed["changed_fields"] == ["department", "title"]
    listed = httpx.get(
        f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users", headers=bearer(token)
    ).json()
    assert [(u["user_id"], u["profile"]["department"]) for u in listed] == [
        (user["user_id"], "人事部")
    ]


def test_id_user_05_an_inactive_user_is_told_so_only_after_a_correct_password(
    identity: Any,
) -> None:
    proc, _ = identity
    token, org = ready_admin(proc.url)
    login_id = f"XA5{uuid.uuid4().hex[:8]}"
    user = create_user(proc.url, "demo", org["org_id"], token, login_id).json()
    user_session = token_of(log_in(proc.url, "demo", login_id, user["initial_password"]))
    status = f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users/{user['user_id']}/status"
    assert httpx.put(status, json={"active": False}, headers=bearer(token)).status_code == 204
    assert (
        httpx.get(f"{proc.url}/v1/sessions/current", headers=bearer(user_session)).json()["code"]
        == "SESSION_EXPIRED"
    )
    wrong = log_in(proc.url, "demo", login_id, "wrong")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "INVALID_CREDENTIALS")
    right = log_in(proc.url, "demo", login_id, user["initial_password"])
    assert (right.status_code, right.json()["code"]) == (403, "ACCOUNT_DISABLED")
    assert right.json()["title"] == "この利用者IDは現在ご利用いただけません"
    assert httpx.put(status, json={"active": True}, headers=bearer(token)).status_code == 204
    assert log_in(proc.url, "demo", login_id, user["initial_password"]).status_code == 200


def test_id_pw_06_the_admin_force_changes_a_password_which_unlocks_and_must_be_changed(
    identity: Any,
) -> None:
    proc, _ = identity
    token, org = ready_admin(proc.url)
    login_id = f"XA5{uuid.uuid4().hex[:8]}"
    user = create_user(proc.url, "demo", org["org_id"], token, login_id).json()
    for _ in range(3):
        log_in(proc.url, "demo", login_id, "wrong")
    url = f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users/{user['user_id']}/password"
    weak = httpx.put(url, json={"new_password": "12345678"}, headers=bearer(token))
    assert (weak.status_code, weak.json()["code"]) == (422, "PASSWORD_POLICY")
    assert (
        httpx.put(url, json={"new_password": "Temporary-2026"}, headers=bearer(token)).status_code
        == 204
    )
    after = log_in(proc.url, "demo", login_id, "Temporary-2026")
    assert after.status_code == 200, "unlocked"
    assert after.json()["password_change_required"] is True
    assert log_in(proc.url, "demo", login_id, user["initial_password"]).status_code == 401


def test_id_pw_04_dantai_net_shows_the_hint_for_an_id_and_never_the_password(identity: Any) -> None:
    proc, _ = identity
    org = new_org(proc.url, "dantai-net", f"XA3{uuid.uuid4().hex[:8]}")
    token = token_of(log_in(proc.url, "dantai-net", org["admin_login_id"], org["initial_password"]))

    def change(new: str, hint: str) -> httpx.Response:
        return httpx.post(
            f"{proc.url}/v1/realms/dantai-net/password",
            json={"current_password": org["initial_password"], "new_password": new, "hint": hint},
            headers=bearer(token),
        )

    leaky = change(NEW_PASSWORD, f"it is {NEW_PASSWORD.lower()}")
    assert (leaky.status_code, leaky.json()["detail"]) == (
        422,
        "ヒントにパスワードを含めることはできません",
    )
    assert change(NEW_PASSWORD, "最初の職場と年").status_code == 204

    def hint_for(login_id: str) -> httpx.Response:
        return httpx.post(
            f"{proc.url}/v1/realms/dantai-net/password-hint", json={"login_id": login_id}
        )

    assert hint_for(org["admin_login_id"]).json() == {"hint": "最初の職場と年"}
    without = new_org(proc.url, "dantai-net", f"XA3{uuid.uuid4().hex[:8]}")
    unknown = hint_for(f"XA3{uuid.uuid4().hex[:8]}")
    assert unknown.content == hint_for(without["admin_login_id"]).content == b'{"hint":null}'
    assert NEW_PASSWORD not in hint_for(org["admin_login_id"]).text
    elsewhere = httpx.post(f"{proc.url}/v1/realms/demo/password-hint", json={"login_id": "x"})
    assert elsewhere.status_code == 404, "only realms that keep hints show them"


async def test_id_user_04_support_unlocks_a_locked_admin_and_admins_cannot(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    operator = create_support_operator(proc, f"SUP{uuid.uuid4().hex[:8]}")
    support = signed_in(proc.url, "demo", operator["login_id"], operator["initial_password"])

    admin_token, org = ready_admin(proc.url)
    for _ in range(3):
        locked = log_in(proc.url, "demo", org["admin_login_id"], "wrong")
    assert locked.json()["code"] == "ACCOUNT_LOCKED"
    url = f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users/{org['admin_user_id']}/initialise"
    other_admin, _ = ready_admin(proc.url)
    assert httpx.post(url, headers=bearer(other_admin)).json()["code"] == "FORBIDDEN"
    assert httpx.post(url, headers=bearer(admin_token)).json()["code"] == "FORBIDDEN", "not oneself"
    assert httpx.post(url, headers=bearer(support)).status_code == 204
    back = log_in(proc.url, "demo", org["admin_login_id"], org["initial_password"])
    assert back.status_code == 200, "unlocked, on its initial password again"

    events = await user_events(mongo, ns, "demo", org["admin_user_id"])
    [unlocked] = [e for e in events if e["type"] == "AccountUnlocked"]
    assert unlocked["actor"] == {"kind": "support", "id": operator["user_id"]}


def test_id_user_09_a_group_wide_id_reads_its_groups_organisations_and_changes_nothing(
    identity: Any,
) -> None:
    proc, _ = identity
    operator = create_support_operator(proc, f"{uuid.uuid4().int % 10**11:011d}", realm="nexi")
    support = signed_in(proc.url, "nexi", operator["login_id"], operator["initial_password"])
    tokens_and_orgs = [
        ready_admin(
            proc.url,
            "nexi",
            login_id=f"{uuid.uuid4().int % 10**11:011d}",
            profile={"email": "soumu@example.jp"},  # nexi mails business passwords here
        )
        for _ in range(3)
    ]
    (admin_a, org_a), (_, org_b), (_, org_c) = tokens_and_orgs
    added = create_user(proc.url, "nexi", org_a["org_id"], admin_a, None)
    assert added.status_code == 201, added.text

    readers = f"{proc.url}/v1/realms/nexi/group-readers"
    reader_id = f"{uuid.uuid4().int % 10**11:011d}"
    body = {"login_id": reader_id, "org_ids": [org_a["org_id"], org_b["org_id"]]}
    assert httpx.post(readers, json=body, headers=bearer(admin_a)).json()["code"] == "FORBIDDEN"
    created = httpx.post(readers, json=body, headers=bearer(support))
    assert created.status_code == 201, created.text
    reader = signed_in(proc.url, "nexi", reader_id, created.json()["initial_password"])

    session = httpx.get(f"{proc.url}/v1/sessions/current", headers=bearer(reader)).json()
    assert (session["role"], sorted(session["readable_org_ids"])) == (
        "group_reader",
        sorted([org_a["org_id"], org_b["org_id"]]),
    )

    def users_of(org: dict[str, Any]) -> httpx.Response:
        url = f"{proc.url}/v1/realms/nexi/orgs/{org['org_id']}/users"
        return httpx.get(url, headers=bearer(reader))

    assert users_of(org_a).status_code == 200 and len(users_of(org_a).json()) == 1
    assert users_of(org_b).json() == []
    assert users_of(org_c).json()["code"] == "FORBIDDEN", "not in its group"
    write = create_user(
        proc.url, "nexi", org_a["org_id"], reader, f"{uuid.uuid4().int % 10**11:011d}"
    )
    assert (write.status_code, write.json()["code"]) == (403, "FORBIDDEN"), "read-only"


async def test_id_user_10_dantai_net_ids_are_requested_by_the_admin_and_approved_by_support(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    contact = {"email": "tantou@example.jp", "phone": "03-1234-5678"}
    admin, org = await ready_dantai_admin(proc, mongo, profile=contact)
    login_id = f"XA5{uuid.uuid4().hex[:8]}"
    asked = create_user(proc.url, "dantai-net", org["org_id"], admin, login_id)
    assert asked.status_code == 202 and asked.json()["pending"] is True
    request_id = asked.json()["user_id"]
    assert (
        log_in(proc.url, "dantai-net", login_id, "anything").json()["code"] == "INVALID_CREDENTIALS"
    )

    approve = (
        f"{proc.url}/v1/realms/dantai-net/orgs/{org['org_id']}/id-requests/{request_id}/approve"
    )
    assert httpx.post(approve, headers=bearer(admin)).json()["code"] == "FORBIDDEN"
    operator = create_support_operator(proc, f"XA5{uuid.uuid4().hex[:8]}", realm="dantai-net")
    restricted = signed_in(
        proc.url, "dantai-net", operator["login_id"], operator["initial_password"]
    )
    support, _ = await through_email_authentication(
        proc, mongo, "dantai-net", operator["user_id"], restricted
    )
    approved = httpx.post(approve, headers=bearer(support))
    assert approved.status_code == 201, approved.text
    assert approved.json()["login_id"] == login_id, "for the ID notice by post"
    assert approved.json()["initial_password"] is None, "the password goes by mail only"
    assert httpx.post(approve, headers=bearer(support)).json()["code"] == "NOT_FOUND", "once"

    [notice] = await user_events(mongo, ns, "dantai-net", request_id, "InitialPasswordIssued")
    assert (notice["route"], notice["recipient_email"]) == ("mail_to_org_contact", contact["email"])
    opens_zip = opened(notice, "attachment_password")
    assert opens_zip == contact["phone"], "the attachment opens with the phone (seed 000 Q2)"
    password = opened(notice, "sealed_password")
    first = log_in(proc.url, "dantai-net", login_id, password)
    assert first.status_code == 200
    assert first.json()["password_change_required"] is True


def test_id_user_04_organisations_are_opened_by_support_or_the_provisioning_system_only(
    identity: Any,
) -> None:
    proc, _ = identity
    orgs = f"{proc.url}/v1/realms/demo/orgs"

    def open_org(headers: dict[str, str]) -> httpx.Response:
        body = {"name": "新団体", "admin": {"login_id": f"XA3{uuid.uuid4().hex[:8]}"}}
        return httpx.post(orgs, json=body, headers=headers)

    assert open_org({}).json()["code"] == "SESSION_EXPIRED"
    assert open_org(bearer("not-the-token")).json()["code"] == "SESSION_EXPIRED"
    admin, org = ready_admin(proc.url)
    assert open_org(bearer(admin)).json()["code"] == "FORBIDDEN", "admins do not open orgs"
    support = signed_in(proc.url, "demo", *_operator(proc))
    opened = open_org(bearer(support))
    assert opened.status_code == 201, opened.text
    assert open_org(PROVISIONING).status_code == 201
    read = httpx.get(f"{orgs}/{org['org_id']}", headers=bearer(admin))
    assert read.json()["admin_login_id"] == org["admin_login_id"], "its own admin reads it"
    other, _ = ready_admin(proc.url)
    assert httpx.get(f"{orgs}/{org['org_id']}", headers=bearer(other)).status_code == 403


def _operator(proc: ServiceProcess) -> tuple[str, str]:
    operator = create_support_operator(proc, f"SUP{uuid.uuid4().hex[:8]}")
    return operator["login_id"], operator["initial_password"]
