"""Ending a user's sessions is part of the commit that ends them (ID-SESS-01): identity's session
reaper consumes the commit's own event, so no crash between the commit and the sessions' end can
leave one open (real Kafka and database)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from harness import (
    PROVISIONING,
    Infra,
    Namespace,
    ServiceProcess,
    eventually,
)
from identity_client import bearer, create_user, identity_settings, ready_admin, signed_in
from prometheus_client import REGISTRY
from pymongo import AsyncMongoClient

from contracts import Actor, ActorKind
from servicekit.clock import ManualClock, SystemClock
from servicekit.store import VersionedStore
from services.identity.app import create_app
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


@asynccontextmanager
async def replica(infra: Infra, ns: Namespace, clock: ManualClock) -> AsyncIterator[Any]:
    """One identity replica in this process, on the namespace's database, on ``clock``."""
    app = create_app(identity_settings(infra, ns, consumers=False), clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://identity") as client:
            yield client


async def test_x_16_id_sess_01_another_replicas_logout_reaches_introspection_within_half_a_second(
    infra: Infra, ns: Namespace
) -> None:
    """Introspection trusts a session it read for ``INTROSPECTION_SESSION_CACHE_SECONDS``
    (0.5): a session ended on one replica (a logout, or a disabled user's sessions ended) is
    refused there at once and on every other replica once the clock has moved that far."""
    clock = ManualClock(SystemClock().now())
    async with replica(infra, ns, clock) as a, replica(infra, ns, clock) as b:
        admin = f"XA3{uuid.uuid4().hex[:8]}"
        org = await a.post(
            "/v1/realms/demo/orgs",
            json={"name": "団体", "admin": {"login_id": admin}},
            headers=PROVISIONING,
        )
        password = org.json()["initial_password"]
        login = await a.post(
            "/v1/realms/demo/login", json={"login_id": admin, "password": password}
        )
        token = bearer(login.headers["set-cookie"].split(";")[0].split("=", 1)[1])
        current = "/v1/sessions/current"
        assert (await b.get(current, headers=token)).status_code == 200  # b reads it

        assert (await a.post("/v1/logout", headers=token)).status_code == 204
        assert (await a.get(current, headers=token)).status_code == 401, "at once where it ended"
        clock.advance(timedelta(milliseconds=499))
        assert (await b.get(current, headers=token)).status_code == 200, "the window"
        clock.advance(timedelta(milliseconds=1))
        assert (await b.get(current, headers=token)).status_code == 401, "bounded: 0.5 s"


async def test_id_sess_02_introspection_in_front_of_the_routers_answers_as_openapi_says(
    infra: Infra, ns: Namespace
) -> None:
    """Introspection is answered by a plain endpoint ahead of FastAPI's routing (for speed);
    it must still read the cookie or the bearer, refuse a bad ``protected`` as a problem and
    answer the schema OpenAPI documents, with the gateway's headers, counted under its path."""
    clock = ManualClock(SystemClock().now())
    async with replica(infra, ns, clock) as a:
        admin = f"XA3{uuid.uuid4().hex[:8]}"
        org = await a.post(
            "/v1/realms/demo/orgs",
            json={"name": "団体", "admin": {"login_id": admin}},
            headers=PROVISIONING,
        )
        login = await a.post(
            "/v1/realms/demo/login",
            json={"login_id": admin, "password": org.json()["initial_password"]},
        )
        cookie = login.headers["set-cookie"].split(";")[0]
        current = "/v1/sessions/current"

        by_cookie = await a.get(current, headers={"Cookie": cookie})
        by_bearer = await a.get(current, headers=bearer(cookie.split("=", 1)[1]))
        assert by_cookie.status_code == by_bearer.status_code == 200
        assert by_cookie.json() == by_bearer.json()
        assert by_cookie.json()["login_id"] == admin
        assert by_cookie.json()["pending_steps"] == ["password_change"]
        assert by_cookie.headers["content-type"] == "application/json"
        assert by_cookie.headers["x-auth-login-id"] == admin
        assert by_cookie.headers["x-auth-restricted"] == "true"
        documented = (await a.get("/openapi.json")).json()["paths"][current]["get"]
        schema = documented["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/SessionOut")
        assert {p["name"] for p in documented["parameters"]} == {
            "protected",
            "authorization",
            "__Host-session",
        }

        labels = {"method": "GET", "route": current, "status": "422"}
        counted = REGISTRY.get_sample_value("http_requests_total", labels) or 0.0
        bad = await a.get(f"{current}?protected=banana", headers={"Cookie": cookie})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert bad.json()["code"] == "VALIDATION_ERROR"
        assert (await a.get(f"{current}?protected=true", headers={"Cookie": cookie})).is_success

        assert REGISTRY.get_sample_value("http_requests_total", labels) == counted + 1

        nobody = await a.get(current)
        assert (nobody.status_code, nobody.json()["code"]) == (401, "SESSION_EXPIRED")


@pytest.mark.parametrize(
    ("body", "headers", "answer"),
    [
        (b"", {}, (422, "VALIDATION_ERROR")),
        (b"{", {}, (400, "MALFORMED_REQUEST")),
        (b"[]", {}, (400, "MALFORMED_REQUEST")),
        (b"\xff\xfe", {}, (400, "MALFORMED_REQUEST")),
        # nesting deeper than json.loads recurses (FastAPI's body: "error parsing")
        (b"[" * 100_000 + b"]" * 100_000, {}, (400, "MALFORMED_REQUEST")),
        (b'{"action": ' * 5_000 + b"1" + b"}" * 5_000, {}, (400, "MALFORMED_REQUEST")),
        (b'{"action": "contract.read"}', {}, (422, "VALIDATION_ERROR")),
        (
            b'{"action": "contract.read", "protected": true}',
            {"content-type": "text/plain"},
            (400, "MALFORMED_REQUEST"),
        ),
        (
            b'{"action": "contract.read", "protected": true}',
            {"authorization": ""},
            (401, "SESSION_EXPIRED"),
        ),
        (
            b'{"action": "contract.read", "protected": true}',
            {"authorization": "", "cookie": "__Host-session=x"},
            (403, "CSRF_CHECK_FAILED"),
        ),
    ],
)
async def test_id_perm_03_x_05_the_decision_api_in_front_of_the_routers_refuses_as_fastapi_would(
    infra: Infra, ns: Namespace, body: bytes, headers: dict[str, str], answer: tuple[int, str]
) -> None:
    """The decision API reads its body ahead of FastAPI's routing (for speed): every refusal is
    still the problem FastAPI's body parameter gave, and the token is read before the body."""
    async with replica(infra, ns, ManualClock(SystemClock().now())) as a:
        sent = {"content-type": "application/json", "authorization": "Bearer not-a-session"}
        sent.update(headers)
        refused = await a.post(
            "/v1/authz/decisions", content=body, headers={k: v for k, v in sent.items() if v}
        )
        assert (refused.status_code, refused.json()["code"]) == answer
        assert refused.headers["content-type"].startswith("application/problem+json")
