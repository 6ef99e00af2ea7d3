"""Ending a user's sessions is part of the commit that ends them (ID-SESS-01): identity's session
reaper consumes the commit's own event, so no crash between the commit and the sessions' end can
leave one open (real Kafka and database)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from harness import Namespace, ServiceProcess, eventually
from identity_client import bearer, create_user, ready_admin, signed_in
from pymongo import AsyncMongoClient

from contracts import Actor, ActorKind
from servicekit.clock import SystemClock
from servicekit.store import VersionedStore
from services.identity.domain import accounts
from services.identity.domain.users import User, user_aggregate_id
from services.identity.store import IdentityStore

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("change", ["deactivate", "initialise"])
async def test_id_sess_01_a_change_committed_alone_still_ends_the_users_sessions(
    identity: tuple[ServiceProcess, Namespace],
    mongo: AsyncMongoClient[dict[str, Any]],
    change: str,
) -> None:
    proc, ns = identity
    admin, org = ready_admin(proc.url)
    created = create_user(proc.url, "demo", org["org_id"], admin, f"XA5{uuid.uuid4().hex[:8]}")
    user = created.json()
    token = signed_in(proc.url, "demo", user["login_id"], user["initial_password"])
    current = f"{proc.url}/v1/sessions/current"
    assert httpx.get(current, headers=bearer(token)).status_code == 200
    # The commit alone, as a process that died right after writing it leaves things.
    db = mongo[ns.database("identity")]
    clock = SystemClock()
    store = IdentityStore(db, VersionedStore(db, clock), clock)
    by = Actor(kind=ActorKind.ADMIN, id=org["admin_user_id"])

    def decide(found: User | None) -> Any:
        assert found is not None
        if change == "deactivate":
            return accounts.change_status(found, False, by, "test", clock.now())
        return accounts.initialise_password(found, by, "test", clock.now())

    await store.users.update(user_aggregate_id("demo", user["user_id"]), decide)
    await eventually(lambda: httpx.get(current, headers=bearer(token)).status_code == 401)
    assert httpx.get(current, headers=bearer(admin)).status_code == 200, "nobody else's"
