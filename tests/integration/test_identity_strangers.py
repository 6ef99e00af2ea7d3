"""What a stranger at the login screen can learn or force: nothing from a long ID, nothing from
the work a login does, nothing from a stale read (real Kafka and database)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from harness import Namespace, ServiceProcess
from identity_client import (
    bearer,
    create_user,
    log_in,
    opened,
    ready_admin,
    signed_in,
    support_session,
    user_events,
)
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration

WORK = ("identity_password_verifications_total", "identity_temporary_password_checks_total")


def work_done(url: str) -> dict[str, float]:
    """The login work counters in identity's /metrics."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    found = {}
    for name in WORK:
        match = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
        assert match, f"{name} is exported"
        found[name] = float(match.group(1))
    return found


def work_of_one_login(url: str, login_id: str, password: str) -> dict[str, float]:
    before = work_done(url)
    log_in(url, "demo", login_id, password)
    after = work_done(url)
    return {name: after[name] - before[name] for name in WORK}


@pytest.mark.parametrize("length", [129, 200, 254])
def test_x_05_a_login_id_longer_than_an_event_subject_answers_like_any_unknown_id(
    identity: tuple[ServiceProcess, Namespace], length: int
) -> None:
    proc, _ = identity
    long_id = "XA3" + "a" * (length - 3)
    r = httpx.post(
        f"{proc.url}/v1/realms/dantai-net/login",
        json={"login_id": long_id, "password": "wrong"},
        timeout=30,
    )
    assert (r.status_code, r.json()["code"]) == (401, "INVALID_CREDENTIALS")


async def test_id_pw_05_a_wrong_password_costs_the_same_work_in_every_account_state(
    identity: tuple[ServiceProcess, Namespace],
) -> None:
    proc, _ = identity
    admin, org = ready_admin(proc.url, profile={"email": "admin@example.jp"})
    plain = create_user(proc.url, "demo", org["org_id"], admin, f"XA5{uuid.uuid4().hex[:8]}")
    locked = create_user(proc.url, "demo", org["org_id"], admin, f"XA5{uuid.uuid4().hex[:8]}")
    for _ in range(3):
        log_in(proc.url, "demo", locked.json()["login_id"], "wrong")
    # The admin asks for a temporary password (ID-PW-05): one is outstanding from now on.
    asked = httpx.post(
        f"{proc.url}/v1/realms/demo/temporary-password",
        json={"login_id": org["admin_login_id"], "email": "admin@example.jp"},
        timeout=30,
    )
    assert asked.status_code == 202
    states = {
        "no account": f"XA3{uuid.uuid4().hex[:8]}",
        "an ordinary account": plain.json()["login_id"],
        "a locked account": locked.json()["login_id"],
        "a temporary password outstanding": org["admin_login_id"],
    }
    work = {
        state: work_of_one_login(proc.url, login_id, "wrong") for state, login_id in states.items()
    }
    assert all(w == {WORK[0]: 1.0, WORK[1]: 1.0} for w in work.values()), work


async def test_id_user_08_a_stale_head_hint_never_lets_a_former_login_id_in(
    identity: tuple[ServiceProcess, Namespace], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    support, _ = support_session(proc, "mypage")
    old_id = f"member-{uuid.uuid4().hex[:8]}"
    r = httpx.post(
        f"{proc.url}/v1/realms/mypage/members",
        json={"login_id": old_id, "profile": {"email": "hint@example.jp"}},
        headers=bearer(support),
        timeout=30,
    )
    assert r.status_code == 201, r.text
    user_id = r.json()["user_id"]
    [issued] = await user_events(mongo, ns, "mypage", user_id, "InitialPasswordIssued")
    token = signed_in(proc.url, "mypage", old_id, opened(issued, "sealed_password"))
    new_id = f"member-{uuid.uuid4().hex[:8]}"
    changed = httpx.put(
        f"{proc.url}/v1/realms/mypage/login-id",
        json={"current_password": "Kaisha-Pass-2026", "login_id": new_id},
        headers=bearer(token),
        timeout=30,
    )
    assert changed.status_code == 204, changed.text
    db = mongo[ns.database("identity")]
    aggregate = f"user:mypage:{user_id}"
    head = await db["commit_heads"].find_one({"_id": aggregate})
    assert head is not None
    # A head hint left behind by a lost update: it names the last version before the change,
    # where the old ID was the user's and the password the same (after the change came the
    # listing of the session it rotated, decision 0020).
    before = int(head["version"])
    while before > int(head["version"]) - 3:
        before -= 1
        stale_state = await db["commits"].find_one({"_id": f"{aggregate}#{before:010d}"})
        assert stale_state is not None
        if stale_state["state"]["login_id"] == old_id:
            break
    assert stale_state["state"]["login_id"] == old_id
    await db["commit_heads"].update_one({"_id": aggregate}, {"$set": {"version": before}})
    # and the old ID's claim, as a release cut short by a crash leaves it
    await db["login_ids"].insert_one(
        {"_id": f"login:mypage:{old_id}", "owner": user_id, "realm": "mypage"}
    )
    stale = log_in(proc.url, "mypage", old_id, "Kaisha-Pass-2026")
    assert (stale.status_code, stale.json()["code"]) == (401, "INVALID_CREDENTIALS")
    assert log_in(proc.url, "mypage", new_id, "Kaisha-Pass-2026").status_code == 200


def test_x_07_a_half_width_space_between_the_names_is_stored_full_width(
    identity: tuple[ServiceProcess, Namespace],
) -> None:
    proc, _ = identity
    admin, org = ready_admin(proc.url)
    created = httpx.post(
        f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users",
        json={"login_id": f"XA5{uuid.uuid4().hex[:8]}", "profile": {"name": "日本 太郎"}},
        headers=bearer(admin),
        timeout=30,
    )
    assert created.status_code == 201, created.text
    listed = httpx.get(
        f"{proc.url}/v1/realms/demo/orgs/{org['org_id']}/users", headers=bearer(admin), timeout=30
    ).json()
    assert [u["profile"]["name"] for u in listed] == ["日本\u3000太郎"]
