"""The walking skeleton: all five services as real processes on the real broker and database.

One flow crosses the bus: identity stores an organisation with its admin and emits
``UserCreated`` through its outbox; audit consumes it into an access record. The crash tests
SIGKILL a process in the middle of a burst and prove that every event identity committed is
recorded by audit exactly once (X-03).
"""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from typing import Any

import httpx
import pytest
from harness import PROVISIONING, Namespace, ServiceProcess, eventually
from identity_client import bearer, signed_in
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration

SERVICES = ("identity", "notify", "certs", "audit", "enroll")
#: 500 organisations are 1,000 events: long enough to kill a process in the middle of them.
BURST = 500
#: Creating an organisation commits UserCreated and InitialPasswordIssued for its admin.
EVENTS_PER_ORG = 2


def new_org(i: int) -> dict[str, Any]:
    return {
        "name": f"団体{i}",
        "admin": {"login_id": f"XA3{i:06d}{uuid.uuid4().hex[:6]}", "profile": {"name": "山田太郎"}},
    }


async def post_orgs(identity: ServiceProcess, count: int, *, concurrency: int = 16) -> list[int]:
    """Create ``count`` organisations; a request may fail while its server is being killed."""
    statuses: list[int] = []
    sem = asyncio.Semaphore(concurrency)

    async with httpx.AsyncClient(base_url=identity.url, timeout=30) as client:

        async def one(i: int) -> None:
            async with sem:
                try:
                    r = await client.post(
                        "/v1/realms/demo/orgs", json=new_org(i), headers=PROVISIONING
                    )
                    statuses.append(r.status_code)
                except httpx.HTTPError:
                    statuses.append(0)

        await asyncio.gather(*(one(i) for i in range(count)))
    return statuses


async def committed_event_ids(mongo: AsyncMongoClient[dict[str, Any]], ns: Namespace) -> set[str]:
    """Every event identity committed: the truth the audit projection must match."""
    commits = mongo[ns.database("identity")]["commits"]
    return {e["event_id"] async for c in commits.find({}) for e in c["events"]}


async def recorded_event_ids(mongo: AsyncMongoClient[dict[str, Any]], ns: Namespace) -> list[str]:
    records = mongo[ns.database("audit")]["access_records"]
    return [d["_id"] async for d in records.find({}, {"_id": 1})]


def test_x_08_every_service_answers_health_readiness_and_metrics(services: Any) -> None:
    for name in SERVICES:
        proc = services(name)
        health = httpx.get(f"{proc.url}/healthz")
        assert health.status_code == 200 and health.json()["service"] == name
        ready = httpx.get(f"{proc.url}/readyz").json()
        assert ready["status"] == "ready" and all(ready["checks"].values())
        tasks = {c for c in ready["checks"] if c.startswith("task:")}  # each one shown
        assert set(ready["checks"]) - tasks == {"database", "kafka"}
        metrics = httpx.get(f"{proc.url}/metrics")
        assert metrics.status_code == 200 and "http_requests_total" in metrics.text
        assert httpx.get(f"{proc.url}/asyncapi.json").json()["asyncapi"] == "3.0.0"
        assert (
            httpx.get(f"{proc.url}/openapi.json")
            .json()["info"]["title"]
            .lower()
            .startswith(name[:4])
        )


async def test_realm_01_an_organisation_posted_to_identity_is_recorded_by_audit(
    services: Any,
) -> None:
    """X-08 too: the request's correlation id reaches the event and audit's log lines."""
    identity = services("identity")
    audit = services("audit", identity_url=identity.url)
    cid = uuid.uuid4().hex
    created = httpx.post(
        f"{identity.url}/v1/realms/demo/orgs",
        json=new_org(1),
        headers=PROVISIONING | {"X-Correlation-ID": cid},
    )
    assert created.status_code == 201, created.text
    org = created.json()
    assert created.headers["X-Correlation-ID"] == cid

    admin = signed_in(identity.url, "demo", org["admin_login_id"], org["initial_password"])

    def audit_has_it() -> list[dict[str, Any]]:
        page = httpx.get(
            f"{audit.url}/v1/realms/demo/orgs/{org['org_id']}/access-records",
            headers=bearer(admin),
        )
        return [r for r in page.json()["items"] if r["event_type"] == "UserCreated"]

    [record] = await eventually(audit_has_it, timeout=10)
    anonymous = httpx.get(f"{audit.url}/v1/realms/demo/orgs/{org['org_id']}/access-records")
    assert anonymous.json()["code"] == "SESSION_EXPIRED", "the history is its readers' only"
    assert record["subject_id"] == org["admin_user_id"]
    assert record["correlation_id"] == cid
    assert any(
        json.loads(line).get("correlation_id") == cid
        for line in audit.log_path.read_text().splitlines()
        if line.startswith("{")
    ), "audit's consumer logs the correlation id that started in identity's HTTP request"
    again = httpx.get(f"{identity.url}/v1/realms/demo/orgs/{org['org_id']}", headers=PROVISIONING)
    assert again.json()["admin_login_id"] == org["admin_login_id"]


def test_realm_01_an_unknown_realm_is_refused_with_a_problem(services: Any) -> None:
    identity = services("identity")
    r = httpx.post(f"{identity.url}/v1/realms/atlantis/orgs", json=new_org(1), headers=PROVISIONING)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert (
        r.json()["code"] == "REALM_NOT_FOUND"
        and r.json()["title"] == "指定されたレルムは存在しません"
    )


def test_x_13_the_same_login_id_is_given_to_one_organisation_only(services: Any) -> None:
    identity = services("identity")
    body = new_org(7)
    assert (
        httpx.post(
            f"{identity.url}/v1/realms/demo/orgs", json=body, headers=PROVISIONING
        ).status_code
        == 201
    )
    taken = httpx.post(
        f"{identity.url}/v1/realms/demo/orgs",
        json=body | {"name": "別団体"},
        headers=PROVISIONING,
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "LOGIN_ID_TAKEN")


def test_x_03_a_retried_create_with_the_same_idempotency_key_creates_one_organisation(
    services: Any,
) -> None:
    identity = services("identity")
    body, key = new_org(8), PROVISIONING | {"Idempotency-Key": uuid.uuid4().hex}
    first = httpx.post(f"{identity.url}/v1/realms/demo/orgs", json=body, headers=key)
    second = httpx.post(f"{identity.url}/v1/realms/demo/orgs", json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["initial_password"], "shown once, in the answer that created the admin"
    assert second.json() == first.json() | {"initial_password": None}


def test_x_03_an_idempotency_key_reused_for_another_login_id_is_refused_and_takes_no_id(
    services: Any,
) -> None:
    """The same key with another admin login ID is not a retry: 409, and that ID stays free
    (before, it was claimed and settled for a user that never had it, and never freed)."""
    identity = services("identity")
    key = PROVISIONING | {"Idempotency-Key": uuid.uuid4().hex}
    first, other = new_org(8), new_org(8)
    made = httpx.post(f"{identity.url}/v1/realms/demo/orgs", json=first, headers=key)
    assert made.status_code == 201, made.text
    reused = httpx.post(f"{identity.url}/v1/realms/demo/orgs", json=other, headers=key)
    assert (reused.status_code, reused.json()["code"]) == (409, "CONFLICT")
    again = httpx.post(f"{identity.url}/v1/realms/demo/orgs", json=first, headers=key)
    assert again.status_code == 201 and again.json()["org_id"] == made.json()["org_id"]
    free = httpx.post(f"{identity.url}/v1/realms/demo/orgs", json=other, headers=PROVISIONING)
    assert free.status_code == 201, "the other login ID was never kept"


async def test_x_03_audit_consumer_killed_mid_burst_records_every_event_exactly_once(
    services: Any, mongo: AsyncMongoClient[dict[str, Any]], ns: Namespace
) -> None:
    identity = services("identity")
    audit = services("audit", identity_url=identity.url)
    burst = asyncio.create_task(post_orgs(identity, BURST))
    await eventually(
        lambda: _at_least(recorded_event_ids(mongo, ns), BURST // 4), timeout=60, interval=0.02
    )
    audit.kill(signal.SIGKILL)
    statuses = await burst
    assert statuses.count(201) == BURST
    audit.start()

    expected = await committed_event_ids(mongo, ns)
    assert len(expected) == EVENTS_PER_ORG * BURST
    await eventually(lambda: _at_least(recorded_event_ids(mongo, ns), len(expected)), timeout=90)
    recorded = await recorded_event_ids(mongo, ns)
    assert sorted(recorded) == sorted(expected), "every committed event recorded, none twice"


async def test_x_03_identity_relay_killed_mid_burst_records_every_event_exactly_once(
    services: Any, mongo: AsyncMongoClient[dict[str, Any]], ns: Namespace
) -> None:
    """The API process commits without relaying; a separate relay process is SIGKILLed while it
    publishes the backlog and then restarted: events it sent before dying are sent again, and
    audit records each once."""
    api = services("identity", outbox_relay="false")
    audit = services("audit")
    statuses = await post_orgs(api, BURST)
    assert statuses.count(201) == BURST
    expected = await committed_event_ids(mongo, ns)

    relay = services("identity", consumers="false", outbox_batch_size="50")
    await eventually(lambda: _at_least(recorded_event_ids(mongo, ns), 1), timeout=60, interval=0.01)
    relay.kill(signal.SIGKILL)
    pending = await mongo[ns.database("identity")]["outbox"].count_documents({})
    assert 0 < pending < BURST, (
        "the relay died with part of its backlog (a marker per admin) pending"
    )
    relay.start()

    outbox = mongo[ns.database("identity")]["outbox"]
    await eventually(lambda: _drained(outbox), timeout=90)
    await eventually(lambda: _at_least(recorded_event_ids(mongo, ns), len(expected)), timeout=30)
    assert sorted(await recorded_event_ids(mongo, ns)) == sorted(expected)
    assert audit.proc is not None and audit.proc.poll() is None


async def _at_least(ids: Any, n: int) -> bool:
    return len(await ids) >= n


async def _drained(collection: Any) -> bool:
    return await collection.count_documents({}) == 0
