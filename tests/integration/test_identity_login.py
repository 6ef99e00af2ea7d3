"""Login, lockout and sessions on the running identity service (real Kafka and database)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from harness import (
    PROVISIONING,
    Infra,
    Namespace,
    ServiceProcess,
    running_service,
)
from identity_client import everything_identity_wrote
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration

LOGIN = "/v1/realms/demo/login"


@pytest.fixture(scope="module")
def identity(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServiceProcess, Namespace]]:
    with running_service(
        "identity", infra, tmp_path_factory.mktemp("login"), maintenance_realms="mypage"
    ) as started:
        yield started


def new_admin(identity: tuple[ServiceProcess, Namespace]) -> tuple[str, str, str]:
    """A fresh organisation; returns its admin's login ID, initial password and user id."""
    proc, _ = identity
    login_id = f"XA3{uuid.uuid4().hex[:10]}"
    r = httpx.post(
        f"{proc.url}/v1/realms/demo/orgs",
        headers=PROVISIONING,
        json={"name": "テスト団体", "admin": {"login_id": login_id}},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    return login_id, body["initial_password"], body["admin_user_id"]


def log_in(proc: ServiceProcess, login_id: str, password: str, **extra: Any) -> httpx.Response:
    body = {"login_id": login_id, "password": password, **extra}
    return httpx.post(f"{proc.url}{LOGIN}", json=body, timeout=30)


def code(r: httpx.Response) -> tuple[int, str | None]:
    return r.status_code, (r.json().get("code") if r.status_code >= 400 else None)


def test_id_lock_01_the_third_wrong_password_locks_and_answers_account_locked(
    identity: Any,
) -> None:
    proc, _ = identity
    login_id, _, _ = new_admin(identity)
    assert code(log_in(proc, login_id, "wrong-1")) == (401, "INVALID_CREDENTIALS")
    assert code(log_in(proc, login_id, "wrong-2")) == (401, "INVALID_CREDENTIALS")
    third = log_in(proc, login_id, "wrong-3")
    assert code(third) == (423, "ACCOUNT_LOCKED")
    assert third.json()["title"].startswith("パスワードを3回以上連続で誤ったため")


def test_id_lock_02_a_correct_password_resets_the_count_and_is_refused_once_locked(
    identity: Any,
) -> None:
    proc, _ = identity
    login_id, password, _ = new_admin(identity)
    for _ in range(2):
        assert code(log_in(proc, login_id, "wrong")) == (401, "INVALID_CREDENTIALS")
    assert log_in(proc, login_id, password).status_code == 200
    for _ in range(2):
        assert code(log_in(proc, login_id, "wrong")) == (401, "INVALID_CREDENTIALS"), (
            "count was reset"
        )
    assert code(log_in(proc, login_id, "wrong")) == (423, "ACCOUNT_LOCKED")
    assert code(log_in(proc, login_id, password)) == (423, "ACCOUNT_LOCKED")


async def test_id_lock_03_parallel_wrong_attempts_count_exactly_and_no_success_follows_the_lock(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    login_id, password, user_id = new_admin(identity)
    async with httpx.AsyncClient(base_url=proc.url, timeout=60) as client:
        attempts = [{"login_id": login_id, "password": f"wrong-{i}"} for i in range(20)]
        attempts.insert(7, {"login_id": login_id, "password": password})
        answers = await asyncio.gather(*(client.post(LOGIN, json=a) for a in attempts))

    commits = mongo[ns.database("identity")]["commits"]
    history = [
        json.loads(e["json"])
        for v in range(2, 2 + len(attempts))
        if (c := await commits.find_one({"_id": f"user:demo:{user_id}#{v:010d}"})) is not None
        for e in c["events"]
    ]
    outcomes = [e for e in history if e["type"] in {"LoginFailed", "LoginSucceeded"}]
    assert len(outcomes) == len(attempts), "every attempt recorded exactly once: none lost"
    locked_at = next(i for i, e in enumerate(history) if e["type"] == "AccountLocked")
    assert history[locked_at]["consecutive_failures"] == 3
    assert not any(e["type"] == "LoginSucceeded" for e in history[locked_at:]), (
        "no correct password gets through after the lock"
    )
    counted = [e["consecutive_failures"] for e in history[:locked_at] if e["type"] == "LoginFailed"]
    assert counted[-3:] == [1, 2, 3], "the lock follows exactly three consecutive failures"
    statuses = [r.status_code for r in answers]
    assert statuses.count(200) == sum(e["type"] == "LoginSucceeded" for e in history) <= 1
    from_the_lock = [e for e in history[locked_at - 1 :] if e["type"] == "LoginFailed"]
    assert statuses.count(423) == len(from_the_lock), "the locking attempt and every later one"
    assert statuses.count(401) == len(attempts) - len(from_the_lock) - statuses.count(200)
    assert code(log_in(proc, login_id, password)) == (423, "ACCOUNT_LOCKED")


def test_id_login_02_an_unknown_id_is_answered_and_locked_exactly_like_a_wrong_password(
    identity: Any,
) -> None:
    proc, _ = identity
    known, _, _ = new_admin(identity)
    unknown = f"XA3{uuid.uuid4().hex[:10]}"
    for _ in range(3):
        real, ghost = log_in(proc, known, "wrong"), log_in(proc, unknown, "wrong")
        assert (real.status_code, real.content) == (ghost.status_code, ghost.content)
        assert real.headers["content-type"] == ghost.headers["content-type"]
    assert code(ghost) == (423, "ACCOUNT_LOCKED")


def test_x_06_full_width_input_is_refused_and_not_counted(identity: Any) -> None:
    proc, _ = identity
    login_id, _, _ = new_admin(identity)
    for attempt in ({"password": "ｐａｓｓ１２３"}, {"login_id": "ＸＡ３００００１"}):
        r = log_in(proc, **({"login_id": login_id, "password": "x"} | attempt))
        assert code(r) == (422, "HALF_WIDTH_REQUIRED")
        assert r.json()["title"] == "IDとパスワードは半角英数字で入力してください"
    assert code(log_in(proc, login_id, "wrong")) == (401, "INVALID_CREDENTIALS")
    assert code(log_in(proc, login_id, "wrong")) == (401, "INVALID_CREDENTIALS"), "not counted"


def test_realm_03_a_realm_in_maintenance_refuses_login_and_health_still_answers(
    identity: Any,
) -> None:
    proc, _ = identity
    r = httpx.post(f"{proc.url}/v1/realms/mypage/login", json={"login_id": "m1", "password": "p"})
    assert code(r) == (503, "MAINTENANCE")
    assert r.json()["title"] == "ただいまシステムメンテナンス中です"
    assert httpx.get(f"{proc.url}/healthz").status_code == 200
    assert code(log_in(proc, "someone", "x")) == (401, "INVALID_CREDENTIALS"), "other realms open"


def test_id_sess_01_id_sess_02_login_sets_a_host_cookie_introspection_answers_logout_ends(
    identity: Any,
) -> None:
    proc, _ = identity
    login_id, password, user_id = new_admin(identity)
    first = log_in(proc, login_id, password)
    assert first.status_code == 200
    assert first.json() == {
        "user_id": user_id,
        "role": "admin",
        "previous_login_at": None,
        "password_change_required": True,
        "pending_steps": ["password_change"],
    }
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("__Host-session=")
    for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=lax"):
        assert attribute.lower() in cookie.lower()
    assert "domain" not in cookie.lower()
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 43, "at least 256 random bits, URL-safe (X-11)"

    bearer = {"Authorization": f"Bearer {token}"}
    session = httpx.get(f"{proc.url}/v1/sessions/current", headers=bearer)
    assert session.status_code == 200
    assert (session.json()["user_id"], session.json()["restricted"]) == (user_id, True)

    second = log_in(proc, login_id, password)
    previous = second.json()["previous_login_at"]
    assert previous is not None and previous.endswith("+09:00"), "shown in Asia/Tokyo (ID-LOGIN-04)"
    assert second.headers["set-cookie"].split(";")[0] != cookie.split(";")[0], "rotated at login"

    assert httpx.post(f"{proc.url}/v1/logout", headers=bearer).status_code == 204
    gone = httpx.get(f"{proc.url}/v1/sessions/current", headers=bearer)
    assert code(gone) == (401, "SESSION_EXPIRED")
    assert gone.json()["title"] == "セッション情報の取得に失敗しました"
    assert code(httpx.get(f"{proc.url}/v1/sessions/current")) == (401, "SESSION_EXPIRED")


def test_id_login_03_remember_id_sets_the_id_cookie_and_unchecked_clears_it(identity: Any) -> None:
    proc, _ = identity
    login_id, password, _ = new_admin(identity)
    remembered = log_in(proc, login_id, password, remember_id=True)
    cookies = remembered.headers.get_list("set-cookie")
    assert any(c.startswith(f"__Host-remember-id={login_id};") for c in cookies)
    cleared = log_in(proc, login_id, password, remember_id=False)
    assert any(
        c.startswith("__Host-remember-id=") and "max-age=0" in c.lower()
        for c in cleared.headers.get_list("set-cookie")
    )


async def test_x_02_no_password_or_session_token_in_stored_documents_events_or_logs(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]], infra: Infra
) -> None:
    proc, ns = identity
    login_id, password, _ = new_admin(identity)
    token = log_in(proc, login_id, password).headers["set-cookie"].split(";")[0].split("=", 1)[1]
    log_in(proc, login_id, "a-wrong-guess-xyz")
    secrets_in_clear = [password, token, "a-wrong-guess-xyz"]
    texts = await everything_identity_wrote(mongo, ns, infra, proc)
    assert any("LoginFailed" in text for text in texts)
    for secret in secrets_in_clear:
        assert not any(secret in text for text in texts), "a secret is stored, published or logged"


def test_id_login_01_the_checks_run_in_their_contracted_order(identity: Any) -> None:
    proc, _ = identity
    maintenance = "/v1/realms/mypage/login"
    full_width = httpx.post(
        f"{proc.url}{maintenance}", json={"login_id": "ＡＢＣ", "password": "x"}
    )
    assert code(full_width) == (422, "HALF_WIDTH_REQUIRED"), "step 1 before step 2"
    unknown = httpx.post(f"{proc.url}{maintenance}", json={"login_id": "nobody", "password": "x"})
    assert code(unknown) == (503, "MAINTENANCE"), "step 2 before step 3"
    login_id, password, _ = new_admin(identity)
    for _ in range(3):
        log_in(proc, login_id, "wrong")
    assert code(log_in(proc, login_id, password)) == (423, "ACCOUNT_LOCKED"), "step 4 before 5"
    fresh_id, fresh_password, _ = new_admin(identity)
    restricted = log_in(proc, fresh_id, fresh_password)
    assert restricted.json()["password_change_required"] is True, "step 7: must change first"


def test_x_12_cookie_sessions_need_the_csrf_header_to_change_state(identity: Any) -> None:
    proc, _ = identity
    login_id, password, _ = new_admin(identity)
    token = log_in(proc, login_id, password).headers["set-cookie"].split(";")[0].split("=", 1)[1]
    cookie = {"Cookie": f"__Host-session={token}"}
    read = httpx.get(f"{proc.url}/v1/sessions/current", headers=cookie)
    assert read.status_code == 200, "reads need no CSRF header"
    forged = httpx.post(f"{proc.url}/v1/logout", headers=cookie)
    assert (forged.status_code, forged.json()["code"]) == (403, "CSRF_CHECK_FAILED")
    assert httpx.get(f"{proc.url}/v1/sessions/current", headers=cookie).status_code == 200
    genuine = httpx.post(f"{proc.url}/v1/logout", headers=cookie | {"X-CSRF-Protection": "1"})
    assert genuine.status_code == 204
    assert httpx.get(f"{proc.url}/v1/sessions/current", headers=cookie).status_code == 401


async def test_id_pw_01_a_hash_made_with_older_parameters_is_upgraded_at_login(
    infra: Infra, tmp_path: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    ns = Namespace()
    keycloak_like = {"password_hash_memory_kib": "7168", "password_hash_time_cost": "5"}
    old = ServiceProcess("identity", infra, ns, tmp_path, **keycloak_like).start()
    try:
        login_id, password, user_id = new_admin((old, ns))
    finally:
        old.stop()
    users = mongo[ns.database("identity")]["commit_heads"]
    current = ServiceProcess("identity", infra, ns, tmp_path).start()
    try:
        assert log_in(current, login_id, password).status_code == 200
        head = await users.find_one({"_id": f"user:demo:{user_id}"})
        assert head is not None
        commit = await mongo[ns.database("identity")]["commits"].find_one(
            {"_id": f"user:demo:{user_id}#{head['version']:010d}"}
        )
        assert commit is not None
        assert commit["state"]["password_hash"].startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert log_in(current, login_id, password).status_code == 200, "the new hash verifies"
    finally:
        current.stop()
