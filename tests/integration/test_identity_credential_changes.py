"""A change of a credential ends every other session of its user and rotates the one that made
it (ID-SESS-03); a wrong current password given inside a session counts toward the lock like a
failed login (ID-LOCK-05). Through identity's HTTP API as a real process, on the real database
and Kafka."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from harness import Namespace, ServiceProcess
from identity_client import (
    NEW_PASSWORD,
    bearer,
    change_password,
    create_user,
    log_in,
    new_org,
    opened,
    ready_admin,
    rotated,
    signed_in,
    support_session,
    through_email_authentication,
    token_of,
    user_events,
)
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration

OTHER_PASSWORD = "Other-Pass-2027"


def alive(url: str, token: str) -> bool:
    return httpx.get(f"{url}/v1/sessions/current", headers=bearer(token), timeout=30).is_success


async def a_member(
    proc: ServiceProcess, ns: Namespace, mongo: AsyncMongoClient[dict[str, Any]]
) -> tuple[str, str, str]:
    """A `mypage` member past its forced change: login ID, user id, full session token."""
    support, _ = support_session(proc, "mypage")
    login_id = f"member-{uuid.uuid4().hex[:8]}"
    created = httpx.post(
        f"{proc.url}/v1/realms/mypage/members",
        json={"login_id": login_id, "profile": {"name": "共済太郎", "email": "m@example.jp"}},
        headers=bearer(support),
        timeout=30,
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["user_id"]
    [issued] = await user_events(mongo, ns, "mypage", user_id, "InitialPasswordIssued")
    return (
        login_id,
        user_id,
        signed_in(proc.url, "mypage", login_id, opened(issued, "sealed_password")),
    )


def second_session(url: str, realm: str, login_id: str) -> str:
    return token_of(log_in(url, realm, login_id, NEW_PASSWORD))


async def test_id_sess_03_ones_own_password_change_ends_every_other_session_and_rotates_its_own(
    identity: tuple[ServiceProcess, Namespace],
) -> None:
    proc, _ = identity
    token, org = ready_admin(proc.url)
    elsewhere = second_session(proc.url, "demo", org["admin_login_id"])
    changed = change_password(proc.url, "demo", token, NEW_PASSWORD, OTHER_PASSWORD)
    new_token = rotated(changed)
    assert not alive(proc.url, elsewhere), "the other browser's full session ended"
    assert not alive(proc.url, token), "the old id of the changing session ended"
    assert alive(proc.url, new_token)


async def test_id_sess_03_a_members_login_id_change_ends_every_other_session(
    identity: tuple[ServiceProcess, Namespace], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    login_id, _, token = await a_member(proc, ns, mongo)
    elsewhere = second_session(proc.url, "mypage", login_id)
    new_login = f"member-{uuid.uuid4().hex[:8]}"
    changed = httpx.put(
        f"{proc.url}/v1/realms/mypage/login-id",
        json={"current_password": NEW_PASSWORD, "login_id": new_login},
        headers=bearer(token),
        timeout=30,
    )
    new_token = rotated(changed)
    assert not alive(proc.url, elsewhere)
    assert not alive(proc.url, token)
    current = httpx.get(f"{proc.url}/v1/sessions/current", headers=bearer(new_token), timeout=30)
    assert current.json()["login_id"] == new_login


@pytest.mark.parametrize("confirmed_by", ["the same browser", "another browser"])
async def test_id_sess_03_a_confirmed_new_address_ends_every_session_but_the_confirming_one(
    identity: tuple[ServiceProcess, Namespace],
    mongo: AsyncMongoClient[dict[str, Any]],
    confirmed_by: str,
) -> None:
    proc, ns = identity
    login_id, user_id, token = await a_member(proc, ns, mongo)
    elsewhere = second_session(proc.url, "mypage", login_id)
    asked = httpx.post(
        f"{proc.url}/v1/realms/mypage/email-change",
        json={"current_password": NEW_PASSWORD, "new_email": "new@example.jp"},
        headers=bearer(token),
        timeout=30,
    )
    assert asked.status_code == 202, asked.text
    assert alive(proc.url, elsewhere), "nothing changes until the link is followed"
    [link] = await user_events(mongo, ns, "mypage", user_id, "EmailLinkIssued")
    link_token = opened(link, "sealed_link").split("token=", 1)[1]
    headers = bearer(token) if confirmed_by == "the same browser" else {}
    confirmed = httpx.post(
        f"{proc.url}/v1/realms/mypage/email-change/confirm",
        json={"token": link_token},
        headers=headers,
        timeout=30,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert not alive(proc.url, elsewhere)
    assert not alive(proc.url, token)
    if confirmed_by == "the same browser":
        assert alive(proc.url, token_of(confirmed)), "the confirming session goes on, rotated"
    else:
        assert "set-cookie" not in confirmed.headers


async def test_id_sess_03_an_admins_change_of_a_users_address_ends_the_users_sessions(
    identity: tuple[ServiceProcess, Namespace],
) -> None:
    proc, _ = identity
    admin, org = ready_admin(proc.url)
    created = create_user(proc.url, "demo", org["org_id"], admin, f"XA5{uuid.uuid4().hex[:8]}")
    user = created.json()
    token = signed_in(proc.url, "demo", user["login_id"], user["initial_password"])
    url = f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users/{user['user_id']}"
    department = httpx.put(
        f"{url}/profile", json={"department": "営業部"}, headers=bearer(admin), timeout=30
    )
    assert department.status_code == 204, department.text
    assert alive(proc.url, token), "a department is no credential"
    address = httpx.put(
        f"{url}/profile",
        json={"department": "営業部", "email": "new@example.jp"},
        headers=bearer(admin),
        timeout=30,
    )
    assert address.status_code == 204, address.text
    assert not alive(proc.url, token), "codes and passwords now go elsewhere"
    assert alive(proc.url, admin), "nobody else's"


async def test_id_sess_03_a_login_with_the_initial_password_ends_the_older_restricted_ones(
    identity: tuple[ServiceProcess, Namespace],
) -> None:
    proc, _ = identity
    admin, org = ready_admin(proc.url)
    created = create_user(proc.url, "demo", org["org_id"], admin, f"XA5{uuid.uuid4().hex[:8]}")
    user = created.json()
    first = token_of(log_in(proc.url, "demo", user["login_id"], user["initial_password"]))
    second = token_of(log_in(proc.url, "demo", user["login_id"], user["initial_password"]))
    assert not alive(proc.url, first)
    assert alive(proc.url, second)


async def test_id_sess_03_a_confirmed_login_address_ends_every_session_but_the_pending_login(
    identity: tuple[ServiceProcess, Namespace], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """dantai-net (ID-MAIL-01): the address that receives login links is a credential. The
    pending login that registers it goes on to its link; an older browser's session ends."""
    proc, _ = identity
    org = new_org(proc.url, "dantai-net", f"XA3{uuid.uuid4().hex[:8]}")
    older = signed_in(proc.url, "dantai-net", org["admin_login_id"], org["initial_password"])
    pending = second_session(proc.url, "dantai-net", org["admin_login_id"])
    assert alive(proc.url, older), "waiting at its address step"
    full, _ = await through_email_authentication(
        proc, mongo, "dantai-net", org["admin_user_id"], pending
    )
    assert alive(proc.url, full)
    assert not alive(proc.url, older)


async def test_id_sess_01_a_login_ends_the_session_its_browser_held(
    identity: tuple[ServiceProcess, Namespace],
) -> None:
    """ASVS 5.0 7.2.4: a new session at every authentication, the one it replaces ended (the
    browser's cookie is overwritten; the old session must not live on elsewhere)."""
    proc, _ = identity
    held, org = ready_admin(proc.url)
    again = httpx.post(
        f"{proc.url}/v1/realms/demo/login",
        json={"login_id": org["admin_login_id"], "password": NEW_PASSWORD},
        cookies={"__Host-session": held},
        timeout=30,
    )
    assert alive(proc.url, token_of(again))
    assert not alive(proc.url, held)


async def test_id_pw_02_x_06_a_passphrase_with_spaces_is_a_password(
    identity: tuple[ServiceProcess, Namespace],
) -> None:
    """ASVS 5.0 6.2.5: any composition; the space is half-width ASCII (X-06). Full-width input
    is still refused, uncounted."""
    proc, _ = identity
    token, org = ready_admin(proc.url)
    phrase = "kaisha no pass phrase 2026"
    rotated(change_password(proc.url, "demo", token, NEW_PASSWORD, phrase))
    assert log_in(proc.url, "demo", org["admin_login_id"], phrase).status_code == 200
    full_width = log_in(proc.url, "demo", org["admin_login_id"], "kaisha　no pass")
    assert full_width.json()["code"] == "HALF_WIDTH_REQUIRED"


# --- ID-LOCK-05 ----------------------------------------------------------------------------


async def wrong_check(
    proc: ServiceProcess, kind: str, token: str, password: str = "Wrong-Pass-0000"
) -> httpx.Response:
    """One change confirmed with ``password`` as the current password, as its route asks."""
    url = f"{proc.url}/v1/realms/mypage"
    async with httpx.AsyncClient(headers=bearer(token), timeout=30) as client:
        if kind == "password_change":
            body = {"current_password": password, "new_password": OTHER_PASSWORD}
            return await client.post(f"{url}/password", json=body)
        if kind == "login_id_change":
            body = {"current_password": password, "login_id": f"member-{uuid.uuid4().hex[:8]}"}
            return await client.put(f"{url}/login-id", json=body)
        body = {"current_password": password, "new_email": "new@example.jp"}
        return await client.post(f"{url}/email-change", json=body)


@pytest.mark.parametrize("kind", ["password_change", "login_id_change", "email_change"])
async def test_id_lock_05_wrong_current_passwords_in_a_session_lock_like_failed_logins(
    identity: tuple[ServiceProcess, Namespace],
    mongo: AsyncMongoClient[dict[str, Any]],
    kind: str,
) -> None:
    proc, ns = identity
    login_id, user_id, token = await a_member(proc, ns, mongo)
    elsewhere = second_session(proc.url, "mypage", login_id)
    answers = [(await wrong_check(proc, kind, token)).json()["code"] for _ in range(3)]
    assert answers == ["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "ACCOUNT_LOCKED"]
    assert not alive(proc.url, token), "the guessing session ended with the lock"
    assert not alive(proc.url, elsewhere), "and every other one: the ID cannot be used"
    relogin = log_in(proc.url, "mypage", login_id, NEW_PASSWORD)
    assert relogin.json()["code"] == "ACCOUNT_LOCKED", "a correct password is still refused"
    rejected = await user_events(mongo, ns, "mypage", user_id, "CurrentPasswordRejected")
    assert [(e["purpose"], e["consecutive_failures"], e["locked"]) for e in rejected] == [
        (kind, 1, False),
        (kind, 2, False),
        (kind, 3, True),
    ]
    [locked] = await user_events(mongo, ns, "mypage", user_id, "AccountLocked")
    assert locked["actor"]["kind"] == "system"


async def test_id_lock_05_id_lock_03_parallel_wrong_checks_count_exactly_and_lock_once(
    identity: tuple[ServiceProcess, Namespace], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    _, user_id, token = await a_member(proc, ns, mongo)
    answers = await asyncio.gather(*(wrong_check(proc, "password_change", token) for _ in range(6)))
    codes = sorted(a.json()["code"] for a in answers)
    assert codes.count("INVALID_CREDENTIALS") == 2, codes
    assert set(codes) - {"INVALID_CREDENTIALS"} <= {"ACCOUNT_LOCKED", "SESSION_EXPIRED"}
    rejected = await user_events(mongo, ns, "mypage", user_id, "CurrentPasswordRejected")
    assert sorted(e["consecutive_failures"] for e in rejected) == [1, 2, 3]
    assert len(await user_events(mongo, ns, "mypage", user_id, "AccountLocked")) == 1


async def test_id_lock_05_id_lock_02_a_correct_current_password_restarts_the_count(
    identity: tuple[ServiceProcess, Namespace], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    login_id, _, token = await a_member(proc, ns, mongo)
    for _ in range(2):
        assert (await wrong_check(proc, "password_change", token)).status_code == 401
    token = rotated(change_password(proc.url, "mypage", token, NEW_PASSWORD, OTHER_PASSWORD))
    for _ in range(2):
        assert (await wrong_check(proc, "password_change", token)).status_code == 401
    assert alive(proc.url, token), "two after a correct one: not locked"
    assert log_in(proc.url, "mypage", login_id, OTHER_PASSWORD).status_code == 200
