"""bench/authz: authorisation decisions per second and p99 through identity's HTTP API
(``POST /v1/authz/decisions``), beside a bare FastAPI endpoint in the same run.

The gateway and the services that hold business data ask a decision before they act, so it
must cost about what an HTTP answer costs: Cedar evaluates a policy in microseconds, and OPA's
docs budget about 1 ms per API decision. The question asked is a real one: an applicant user of
a `nexi` organisation, holding a riders-scope matrix, reading a contract of a listed rider, a
protected operation. Identity runs twice: with its defaults (a session read is trusted for a
second by the decision API, ``DECISION_SESSION_CACHE_SECONDS=1``) and with that cache off (one
``_id`` read of the session per decision, as introspection does). The bare endpoint parses the
same body with pydantic and answers the same shape. Same load for all: wrk with 4 keep-alive
connections. Goals: p99 under 1 ms (OPA's budget for a decision), and at least 0.5 of the bare
endpoint's rate.

    .venv/bin/python bench/authz/run.py [--seconds 10]     (needs: apt-get install wrk)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the tests' infrastructure discovery and process harness
sys.path.insert(0, str(REPO / "bench"))

from benchkit import CommandsPerOperation, summarise  # noqa: E402
from harness import (  # noqa: E402
    PROVISIONING,
    Infra,
    Namespace,
    ServiceProcess,
    provide_infra,
)
from wrkload import CONNECTIONS, start_bare, wrk  # noqa: E402

from contracts import SealedSecret, generate_keypair, open_sealed  # noqa: E402

PASSWORD = "Bench-Pass-2026"
PUBLIC, PRIVATE = generate_keypair()


def nexi_id() -> str:
    return str(uuid.uuid4().int)[:12]


def signed_in(url: str, login_id: str, initial: str) -> str:
    login = httpx.post(
        f"{url}/v1/realms/nexi/login", json={"login_id": login_id, "password": initial}
    )
    token = login.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    changed = httpx.post(
        f"{url}/v1/realms/nexi/password",
        json={"current_password": initial, "new_password": PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
    )
    changed.raise_for_status()
    return changed.headers["set-cookie"].split(";")[0].split("=", 1)[1]  # rotated (ID-SESS-03)


async def initial_password(infra: Infra, ns: Namespace, user_id: str) -> str:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri)
    try:
        commits = mongo[ns.database("identity")]["commits"]
        async for commit in commits.find({"aggregate_id": f"user:nexi:{user_id}"}):
            for event in commit["events"]:
                found = json.loads(event["json"])
                if found["type"] == "InitialPasswordIssued":
                    return open_sealed(SealedSecret.from_wire(found["sealed_password"]), PRIVATE)
    finally:
        await mongo.close()
    raise AssertionError("no initial password issued")


def applicant(identity: ServiceProcess, infra: Infra, ns: Namespace) -> tuple[str, str]:
    """A riders-scope applicant of a new nexi organisation, logged in: its token and org."""
    url = identity.url
    org = httpx.post(
        f"{url}/v1/realms/nexi/orgs",
        json={
            "name": "ベンチ法人",
            "admin": {"login_id": nexi_id(), "profile": {"email": "admin@example.jp"}},
        },
        headers=PROVISIONING,
    ).json()
    admin = signed_in(url, org["admin_login_id"], org["initial_password"])
    answer = httpx.post(
        f"{url}/v1/realms/nexi/orgs/{org['org_id']}/users",
        json={
            "profile": {"email": "applicant@example.jp"},
            "permissions": {
                "input_right": "input",
                "contract_scope": "riders",
                "rider_codes": ["999999901", "999999902"],
                "application_scope": "own",
            },
        },
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()  # the login ID is nexi's next number (ID-USER-12)
    initial = asyncio.run(initial_password(infra, ns, created["user_id"]))
    return signed_in(url, created["login_id"], initial), org["org_id"]


def identity_run(infra: Infra, tmp: str, seconds: int, cache_seconds: str) -> dict[str, float]:
    ns = Namespace()
    identity = ServiceProcess(
        "identity",
        infra,
        ns,
        Path(tmp),
        log_level="WARNING",
        notify_public_key=PUBLIC,
        decision_session_cache_seconds=cache_seconds,
    ).start()
    try:
        token, org_id = applicant(identity, infra, ns)
        body = {
            "action": "contract.read",
            "resource": {"org_id": org_id, "rider_code": "999999901"},
            "protected": True,
        }
        url = f"{identity.url}/v1/authz/decisions"
        answer = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"}).json()
        assert answer["allow"], answer
        wrk(url, 2, body=body, headers={"Authorization": f"Bearer {token}"})  # warm-up
        with CommandsPerOperation(identity.url) as counted:
            found = wrk(url, seconds, body=body, headers={"Authorization": f"Bearer {token}"})
        return found | {"commands": counted.per(found["requests"])}
    finally:
        identity.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    question = {"action": "contract.read", "resource": {"org_id": "0" * 32}, "protected": True}
    with provide_infra() as infra, tempfile.TemporaryDirectory() as tmp:
        print(
            f"infrastructure: {infra.source}; wrk {args.seconds} s, {CONNECTIONS} connections; "
            f"{os.cpu_count()} cores"
        )
        bare_proc, bare_url = start_bare(Path(__file__).parent, "/v1/authz/decisions")
        try:
            wrk(bare_url, 2, body=question)  # warm-up
            bare = wrk(bare_url, args.seconds, body=question)
        finally:
            bare_proc.terminate()
            bare_proc.wait()
        cached = identity_run(infra, tmp, args.seconds, "1")
        uncached = identity_run(infra, tmp, args.seconds, "0")
    for label, r in (
        ("bare FastAPI endpoint", bare),
        ("decisions (defaults)", cached),
        ("decisions, no cache", uncached),
    ):
        print(
            f"{label:24} {r['per_second']:8.0f}/s"
            f"  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
        )
    for label, r in (("defaults", cached), ("no cache", uncached)):
        ratio = r["per_second"] / bare["per_second"]
        print(f"{label}: ratio {ratio:.2f} (goal >= 0.50); p99 {r['p99_ms']:.2f} ms (goal < 1 ms)")
        print(f"{label}: database commands per decision {r['commands']:.3f}")
        summarise(
            "authz",
            f"decisions/s, {label}",
            f"{r['per_second']:,.0f}/s, p99 {r['p99_ms']:.2f} ms; "
            f"{r['commands']:.3f} commands each",
            baseline=f"bare endpoint {bare['per_second']:,.0f}/s, p99 {bare['p99_ms']:.2f} ms",
            ratio=ratio,
            goal="≥ 0.50; p99 < 1 ms",
            met=ratio >= 0.5 and r["p99_ms"] < 1,
        )


if __name__ == "__main__":
    main()
