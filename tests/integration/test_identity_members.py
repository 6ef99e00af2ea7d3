"""Individual members on My Page, nexi's password routes through the admin, and the forgotten
login ID: each preset as its seed says (real Kafka and database)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from harness import PROVISIONING, Infra, Namespace, ServiceProcess
from identity_client import (
    NEW_PASSWORD,
    bearer,
    change_password,
    create_user,
    everything_identity_wrote,
    log_in,
    opened,
    ready_admin,
    rotated,
    signed_in,
    support_session,
    token_of,
    user_events,
)
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mypage_support(identity: tuple[ServiceProcess, Namespace]) -> str:
    token, _ = support_session(identity[0], "mypage")
    return token


def register_member(url: str, support: str, login_id: str, email: str | None) -> httpx.Response:
    profile = {"name": "共済太郎"} | ({"email": email} if email else {})
    return httpx.post(
        f"{url}/v1/realms/mypage/members",
        json={"login_id": login_id, "profile": profile},
        headers=bearer(support),
        timeout=30,
    )


async def member_with_password(
    proc: ServiceProcess,
    ns: Namespace,
    mongo: AsyncMongoClient[dict[str, Any]],
    support: str,
    email: str,
) -> tuple[str, str, str]:
    """A registered member: login ID, user id, and the initial password from its sealed mail."""
    login_id = f"member-{uuid.uuid4().hex[:8]}"
    r = register_member(proc.url, support, login_id, email)
    assert r.status_code == 201, r.text
    assert r.json()["initial_password"] is None, "mailed to the member, never answered"
    user_id = r.json()["user_id"]
    [issued] = await user_events(mongo, ns, "mypage", user_id, "InitialPasswordIssued")
    return login_id, user_id, opened(issued, "sealed_password")


async def test_id_user_03_members_have_no_organisation_and_the_support_desk_registers_them(
    identity: Any, mypage_support: str, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    login_id, user_id, password = await member_with_password(
        proc, ns, mongo, mypage_support, "taro@example.jp"
    )
    [created] = await user_events(mongo, ns, "mypage", user_id, "UserCreated")
    assert (created["org_id"], created["role"]) == (None, "member")
    [issued] = await user_events(mongo, ns, "mypage", user_id, "InitialPasswordIssued")
    assert (issued["route"], issued["recipient_email"]) == ("mail_to_user", "taro@example.jp")
    assert password not in str(issued), "sealed on the bus (X-02)"

    token = signed_in(proc.url, "mypage", login_id, password)
    session = httpx.get(f"{proc.url}/v1/sessions/current", headers=bearer(token)).json()
    assert (session["org_id"], session["role"]) == (None, "member")

    without_mail = register_member(proc.url, mypage_support, f"m-{uuid.uuid4().hex[:8]}", None)
    assert without_mail.json()["code"] == "VALIDATION_ERROR", "the password has nowhere to go"
    dantai_support, _ = support_session(proc, "dantai-net")
    elsewhere = httpx.post(
        f"{proc.url}/v1/realms/dantai-net/members",
        json={"login_id": "member-1", "profile": {"email": "a@example.jp"}},
        headers=bearer(dantai_support),
    )
    assert elsewhere.status_code == 404, "organisation realms have no individual members"
    no_orgs = httpx.post(
        f"{proc.url}/v1/realms/mypage/orgs",
        json={"name": "団体", "admin": {"login_id": f"adm{uuid.uuid4().hex[:8]}"}},
        headers=PROVISIONING,
    )
    assert no_orgs.status_code == 404, "members have no organisation, so no admin"
    admin_token, _ = ready_admin(proc.url)
    by_admin = register_member(proc.url, admin_token, f"m-{uuid.uuid4().hex[:8]}", "x@example.jp")
    assert by_admin.json()["code"] == "FORBIDDEN", "no organisation admin over members"

    for _ in range(3):
        locked = log_in(proc.url, "mypage", login_id, "wrong-password")
    assert locked.json()["code"] == "ACCOUNT_LOCKED"
    initialise = f"{proc.url}/v1/realms/mypage/members/{user_id}/initialise"
    assert httpx.post(initialise, headers=bearer(admin_token)).json()["code"] == "FORBIDDEN"
    assert httpx.post(initialise, headers=bearer(mypage_support)).status_code == 204
    assert log_in(proc.url, "mypage", login_id, password).status_code == 200, "support unlocked"


async def test_id_user_08_id_pw_07_x_15_a_member_changes_login_id_phone_password_and_email_each_noticed(  # noqa: E501
    identity: Any, mypage_support: str, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    login_id, user_id, password = await member_with_password(
        proc, ns, mongo, mypage_support, "hanako@example.jp"
    )
    token = token_of(log_in(proc.url, "mypage", login_id, password))
    token = rotated(change_password(proc.url, "mypage", token, password, NEW_PASSWORD))

    phone = httpx.put(
        f"{proc.url}/v1/realms/mypage/phone", json={"phone": "03-1234-5678"}, headers=bearer(token)
    )
    assert phone.status_code == 204
    bad_phone = httpx.put(
        f"{proc.url}/v1/realms/mypage/phone", json={"phone": "０３"}, headers=bearer(token)
    )
    assert bad_phone.json()["code"] == "VALIDATION_ERROR"

    taken_by, _, _ = await member_with_password(proc, ns, mongo, mypage_support, "o@example.jp")
    new_id = f"renamed-{uuid.uuid4().hex[:8]}"

    def rename(to: str, current: str) -> httpx.Response:
        return httpx.put(
            f"{proc.url}/v1/realms/mypage/login-id",
            json={"login_id": to, "current_password": current},
            headers=bearer(token),
        )

    assert rename(taken_by, "not-my-password").json()["code"] == "INVALID_CREDENTIALS", (
        "whether an ID is taken is told only to whoever knows the password (X-15)"
    )
    assert rename(taken_by, NEW_PASSWORD).json()["code"] == "LOGIN_ID_TAKEN"
    assert rename(new_id, "not-my-password").json()["code"] == "INVALID_CREDENTIALS"
    token = rotated(rename(new_id, NEW_PASSWORD))  # ID-SESS-03
    old_login = log_in(proc.url, "mypage", login_id, NEW_PASSWORD)
    unknown = log_in(proc.url, "mypage", f"nobody-{uuid.uuid4().hex[:8]}", NEW_PASSWORD)
    assert (old_login.status_code, old_login.content) == (unknown.status_code, unknown.content)
    assert log_in(proc.url, "mypage", new_id, NEW_PASSWORD).status_code == 200
    session = httpx.get(f"{proc.url}/v1/sessions/current", headers=bearer(token)).json()
    assert session["login_id"] == new_id, "the rotated session carries the new ID"

    asked = httpx.post(
        f"{proc.url}/v1/realms/mypage/email-change",
        json={"current_password": NEW_PASSWORD, "new_email": "hanako.new@example.jp"},
        headers=bearer(token),
    )
    assert asked.status_code == 202
    [link_event] = await user_events(mongo, ns, "mypage", user_id, "EmailLinkIssued")
    link = opened(link_event, "sealed_link")
    confirmed = httpx.post(
        f"{proc.url}/v1/realms/mypage/email-change/confirm",
        json={"token": link.split("token=", 1)[1]},
    )
    assert confirmed.status_code == 200, confirmed.text

    events = await user_events(mongo, ns, "mypage", user_id)
    notices = [
        (e["type"], sorted(e.get("changed_fields", [])), e["completion_notice_to"])
        for e in events
        if e.get("completion_notice_to")
    ]
    assert notices == [
        ("PasswordChanged", [], "hanako@example.jp"),
        ("UserProfileChanged", ["phone"], "hanako@example.jp"),
        ("UserProfileChanged", ["login_id"], "hanako@example.jp"),
        ("EmailChanged", [], "hanako@example.jp"),
    ], "one completion notice per change, to the address registered when it was made"
    [renamed] = [e for e in events if "login_id" in e.get("changed_fields", [])]
    assert renamed["login_id"] == new_id
    assert renamed["profile"]["phone"] == "03-1234-5678", "the full profile travels (ID-USER-06)"


async def test_id_user_06_a_business_user_changes_only_their_own_password(identity: Any) -> None:
    proc, _ = identity
    admin_token, org = ready_admin(proc.url)
    created = create_user(proc.url, "demo", org["org_id"], admin_token, f"biz{uuid.uuid4().hex}")
    user = created.json()
    token = signed_in(proc.url, "demo", user["login_id"], user["initial_password"])
    for path, body in (
        ("phone", {"phone": "03-1111-2222"}),
        ("login-id", {"login_id": "biz-renamed", "current_password": NEW_PASSWORD}),
    ):
        refused = httpx.put(f"{proc.url}/v1/realms/demo/{path}", json=body, headers=bearer(token))
        assert refused.json()["code"] == "FORBIDDEN", path
    assert (
        change_password(proc.url, "demo", token, NEW_PASSWORD, "Other-Pass-2027").status_code == 204
    )


async def test_id_pw_05_mypage_members_get_a_temporary_password_by_mail(
    identity: Any, mypage_support: str, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    login_id, user_id, _ = await member_with_password(
        proc, ns, mongo, mypage_support, "jiro@example.jp"
    )
    asked = httpx.post(
        f"{proc.url}/v1/realms/mypage/temporary-password",
        json={"login_id": login_id, "email": "jiro@example.jp"},
    )
    assert asked.status_code == 202
    [issued] = await user_events(mongo, ns, "mypage", user_id, "TemporaryPasswordIssued")
    assert (issued["recipient_email"], issued["reason"]) == ("jiro@example.jp", "self_service")
    temporary = opened(issued, "sealed_password")
    first = log_in(proc.url, "mypage", login_id, temporary)
    assert first.json()["password_change_required"] is True
    assert log_in(proc.url, "mypage", login_id, temporary).status_code == 401, "works once"


def nexi_id() -> str:
    return str(uuid.uuid4().int)[:12]


async def test_id_pw_03_id_pw_06_nexi_passwords_of_business_users_go_to_the_admin(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    admin_token, org = ready_admin(
        proc.url, "nexi", login_id=nexi_id(), profile={"email": "soumu@example.jp"}
    )
    created = create_user(proc.url, "nexi", org["org_id"], admin_token, None)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["initial_password"] is None, "nexi mails it to the admin instead"
    [initial] = await user_events(mongo, ns, "nexi", user["user_id"], "InitialPasswordIssued")
    assert (initial["route"], initial["recipient_email"]) == ("mail_to_admin", "soumu@example.jp")
    token = signed_in(proc.url, "nexi", user["login_id"], opened(initial, "sealed_password"))
    same = change_password(proc.url, "nexi", token, NEW_PASSWORD, NEW_PASSWORD)
    assert (same.json()["code"], "現在のパスワードと異なる" in same.json()["detail"]) == (
        "PASSWORD_POLICY",
        True,
    ), "nexi: a new password must differ from the current one (ID-PW-02)"

    for _ in range(3):
        locked = log_in(proc.url, "nexi", user["login_id"], "wrong-password")
    assert locked.json()["code"] == "ACCOUNT_LOCKED"
    reset = f"{proc.url}/v1/realms/nexi/orgs/{org['org_id']}/users/{user['user_id']}/reset"
    assert httpx.post(reset, headers=bearer(token)).json()["code"] == "FORBIDDEN"
    assert httpx.post(reset, headers=bearer(admin_token)).status_code == 204
    ended = httpx.get(f"{proc.url}/v1/sessions/current", headers=bearer(token))
    assert ended.json()["code"] == "SESSION_EXPIRED", "a reset ends the user's sessions"

    [mailed] = await user_events(mongo, ns, "nexi", user["user_id"], "TemporaryPasswordIssued")
    assert (mailed["reason"], mailed["recipient_role"], mailed["recipient_email"]) == (
        "reset",
        "admin",
        "soumu@example.jp",
    )
    [changed] = [
        e
        for e in await user_events(mongo, ns, "nexi", user["user_id"], "PasswordChanged")
        if e["method"] == "reset"
    ]
    assert changed["actor"] == {"kind": "admin", "id": org["admin_user_id"]}
    [unlocked] = await user_events(mongo, ns, "nexi", user["user_id"], "AccountUnlocked")
    assert unlocked["reason"] == "password_reset"
    back = log_in(proc.url, "nexi", user["login_id"], opened(mailed, "sealed_password"))
    assert back.json()["password_change_required"] is True, "unlocked, and must change it"

    demo_token, demo_org = ready_admin(proc.url)
    demo_user = create_user(proc.url, "demo", demo_org["org_id"], demo_token, "XA5" + nexi_id())
    elsewhere = httpx.post(
        f"{proc.url}/v1/realms/demo/orgs/{demo_org['org_id']}/users/"
        f"{demo_user.json()['user_id']}/reset",
        headers=bearer(demo_token),
    )
    assert elsewhere.status_code == 404, "only nexi resets by mail"


async def test_id_login_05_the_forgotten_id_answer_never_depends_on_the_address(
    identity: Any, mypage_support: str, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    await member_with_password(proc, ns, mongo, mypage_support, "known@example.jp")

    def ask(realm: str, email: str | None) -> httpx.Response:
        return httpx.post(
            f"{proc.url}/v1/realms/{realm}/forgotten-login-id",
            json={"email": email} if email else {},
        )

    answers = [ask("mypage", "known@example.jp"), ask("mypage", "unknown@example.jp")]
    assert answers[0].status_code == 200
    assert answers[0].content == answers[1].content, "never says whether it is registered"
    assert answers[0].json()["route"] == "support_desk"
    assert "サポート" in answers[0].json()["message"]
    assert ask("kencom", "known@example.jp").json()["route"] == "support_desk"
    dantai = ask("dantai-net", None).json()
    assert dantai["route"] == "admin_lists"
    assert "管理用ID" in dantai["message"] and "ID通知書" in dantai["message"]


async def test_x_02_mailed_secrets_of_members_and_resets_are_nowhere_in_clear(
    identity: Any, mypage_support: str, mongo: AsyncMongoClient[dict[str, Any]], infra: Infra
) -> None:
    proc, ns = identity
    login_id, user_id, initial = await member_with_password(
        proc, ns, mongo, mypage_support, "secret@example.jp"
    )
    first = token_of(log_in(proc.url, "mypage", login_id, initial))
    token = rotated(change_password(proc.url, "mypage", first, initial, NEW_PASSWORD))
    httpx.post(
        f"{proc.url}/v1/realms/mypage/temporary-password",
        json={"login_id": login_id, "email": "secret@example.jp"},
    ).raise_for_status()
    httpx.post(
        f"{proc.url}/v1/realms/mypage/email-change",
        json={"current_password": NEW_PASSWORD, "new_email": "secret2@example.jp"},
        headers=bearer(token),
    ).raise_for_status()
    events = await user_events(mongo, ns, "mypage", user_id)
    [temporary] = [e for e in events if e["type"] == "TemporaryPasswordIssued"]
    [link] = [e for e in events if e["type"] == "EmailLinkIssued"]
    secrets_in_clear = [
        initial,
        NEW_PASSWORD,
        first,
        token,
        opened(temporary, "sealed_password"),
        opened(link, "sealed_link").split("token=", 1)[1],
    ]
    texts = await everything_identity_wrote(mongo, ns, infra, proc)
    for secret in secrets_in_clear:
        assert not any(secret in text for text in texts), "a secret is stored, published or logged"
