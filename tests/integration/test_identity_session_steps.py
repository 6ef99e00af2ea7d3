"""A login's owed steps are done in the session that owes them, and a credential change ends
every other session of its user (ID-SESS-03), through identity's HTTP API on the real database
and Kafka.

The defect these tests were written against (issue 20): an admin who received a business
user's initial password logged in as the user and kept that restricted session; the user
logged in with the same password in another session and changed it; the admin's session then
completed its login and held a full session as the user, without ever knowing the new password.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from harness import Namespace, ServiceProcess, eventually
from identity_client import (
    NEW_PASSWORD,
    bearer,
    create_user,
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

from contracts import Actor
from contracts.identity import PasswordCheckPurpose
from servicekit.clock import SystemClock
from servicekit.store import VersionedStore
from services.identity.domain import accounts, lockout, self_service
from services.identity.domain.realms import PRESETS
from services.identity.domain.users import User, user_aggregate_id
from services.identity.store import IdentityStore

pytestmark = pytest.mark.integration

#: A business user of each kind the issue names, with the login ID format of its realm.
LOGIN_IDS = {
    "demo": lambda: f"XA5{uuid.uuid4().hex[:8]}",
    "kihonet": lambda: uuid.uuid4().hex[:7],
    "nexi": lambda: None,  # the realm's next number (ID-USER-12)
}


async def user_with_initial_password(
    proc: ServiceProcess, ns: Namespace, mongo: AsyncMongoClient[dict[str, Any]], realm: str
) -> tuple[str, str, str]:
    """A user who has never logged in, and its initial password as the person who received it
    holds it (answered once, or opened from its sealed mail as notify would): login ID, user
    id, password."""
    if realm == "mypage":
        support, _ = support_session(proc, realm)
        login_id = f"member-{uuid.uuid4().hex[:8]}"
        created = httpx.post(
            f"{proc.url}/v1/realms/mypage/members",
            json={"login_id": login_id, "profile": {"name": "共済太郎", "email": "m@example.jp"}},
            headers=bearer(support),
            timeout=30,
        )
    else:
        admin_id = str(uuid.uuid4().int)[:11] if realm == "nexi" else None
        profile = {"email": "admin@example.jp"} if realm == "nexi" else None
        admin, org = ready_admin(proc.url, realm, login_id=admin_id, profile=profile)
        created = create_user(proc.url, realm, org["org_id"], admin, LOGIN_IDS[realm]())
    assert created.status_code == 201, created.text
    login_id = created.json()["login_id"]
    user_id = created.json()["user_id"]
    password = created.json().get("initial_password")
    if password is None:
        [issued] = await user_events(mongo, ns, realm, user_id, "InitialPasswordIssued")
        password = opened(issued, "sealed_password")
    return login_id, user_id, password


def introspected(url: str, token: str) -> httpx.Response:
    return httpx.get(f"{url}/v1/sessions/current", headers=bearer(token), timeout=30)


@pytest.mark.parametrize("realm", ["demo", "nexi", "mypage", "kihonet"])
async def test_id_sess_03_a_restricted_session_never_completes_on_another_sessions_new_password(
    identity: tuple[ServiceProcess, Namespace],
    mongo: AsyncMongoClient[dict[str, Any]],
    realm: str,
) -> None:
    proc, ns = identity
    login_id, _, initial = await user_with_initial_password(proc, ns, mongo, realm)
    kept = token_of(log_in(proc.url, realm, login_id, initial))  # the one who passed it on
    own = token_of(log_in(proc.url, realm, login_id, initial))  # the user
    changed = httpx.post(
        f"{proc.url}/v1/realms/{realm}/password",
        json={"current_password": initial, "new_password": NEW_PASSWORD},
        headers=bearer(own),
        timeout=30,
    )
    assert changed.status_code == 204, changed.text

    completed = httpx.post(
        f"{proc.url}/v1/realms/{realm}/login/complete", headers=bearer(kept), timeout=30
    )
    assert completed.status_code == 401, completed.text
    assert completed.json()["code"] == "SESSION_EXPIRED"
    assert introspected(proc.url, kept).status_code == 401
    new_token = rotated(changed)
    assert new_token != own, "the session that changed it is rotated"
    assert introspected(proc.url, own).status_code == 401
    assert introspected(proc.url, new_token).json()["pending_steps"] == []


async def test_id_sess_03_the_password_step_is_owed_by_the_session_even_if_the_others_survive(
    identity: tuple[ServiceProcess, Namespace],
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    """The class, not the case: however the other session outlived the change (a process that
    died between the commit and ending the sessions), its own step is still owed."""
    proc, ns = identity
    login_id, user_id, initial = await user_with_initial_password(proc, ns, mongo, "demo")
    kept = token_of(log_in(proc.url, "demo", login_id, initial))
    db = mongo[ns.database("identity")]
    clock = SystemClock()
    store = IdentityStore(db, VersionedStore(db, clock), clock)

    def changed_elsewhere(user: User | None) -> Any:
        assert user is not None
        return self_service.change_own_password(
            user, user.password_hash, user.password_hash + "x", None, "test", clock.now()
        )

    await store.users.update(user_aggregate_id("demo", user_id), changed_elsewhere)

    completed = httpx.post(
        f"{proc.url}/v1/realms/demo/login/complete", headers=bearer(kept), timeout=30
    )
    assert completed.status_code != 200, completed.text
    assert "set-cookie" not in completed.headers
    # and the commit's own event ends it (the session reaper), as the live path does at once
    await eventually(lambda: introspected(proc.url, kept).status_code == 401)


def _own_change(kind: str, user: User, now: datetime) -> Any:
    """A credential change as its commit stands alone, before anything else ran."""
    if kind == "password":
        return self_service.change_own_password(
            user, user.password_hash, user.password_hash + "x", None, "test", now
        )
    if kind == "login ID":
        return self_service.change_own_login_id(
            user, user.password_hash, f"member-{uuid.uuid4().hex[:8]}", "test", now
        )
    if kind == "address":
        profile = user.profile.model_copy(update={"email": "new@example.jp"})
        return accounts.change_profile(user, profile, Actor.system(), "test", now)
    check = lockout.SessionCheck(PasswordCheckPurpose.PASSWORD_CHANGE, "sref")
    return lockout.wrong_current_password(
        user.but(failures=2), user.password_hash, check, PRESETS["demo"], "test", now
    )


@pytest.mark.parametrize("kind", ["password", "login ID", "address", "lock"])
async def test_id_sess_03_a_credential_change_committed_alone_still_ends_the_other_sessions(
    identity: tuple[ServiceProcess, Namespace],
    mongo: AsyncMongoClient[dict[str, Any]],
    kind: str,
) -> None:
    """The commit's event ends them through the session reaper (X-03), the way a process that
    died right after the commit leaves things."""
    proc, ns = identity
    login_id, user_id, initial = await user_with_initial_password(proc, ns, mongo, "demo")
    token = signed_in(proc.url, "demo", login_id, initial)
    assert introspected(proc.url, token).status_code == 200
    db = mongo[ns.database("identity")]
    clock = SystemClock()
    store = IdentityStore(db, VersionedStore(db, clock), clock)

    def decide(user: User | None) -> Any:
        assert user is not None
        return _own_change(kind, user, clock.now())

    await store.users.update(user_aggregate_id("demo", user_id), decide)
    await eventually(lambda: introspected(proc.url, token).status_code == 401)
