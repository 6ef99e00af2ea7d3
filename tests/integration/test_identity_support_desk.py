"""What the support console calls in identity, through the JSON API it shares with it (WEB-04):
`dantai-net`'s business-ID requests waiting for the desk and the desk's refusal (ID-USER-10),
the desk's search of members (ID-USER-03), and kencom's trusted networks changed one entry at
a time (ID-BOT-03). Each change is an event of its aggregate's commit (real Kafka and
database); every other caller is refused alike (X-15)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from harness import Namespace, ServiceProcess
from identity_client import (
    bearer,
    create_support_operator,
    create_user,
    new_org,
    ready_admin,
    ready_dantai_admin,
    signed_in,
    support_session,
    through_email_authentication,
)
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration

REALM = "dantai-net"


async def aggregate_events(
    mongo: AsyncMongoClient[dict[str, Any]], ns: Namespace, aggregate_id: str
) -> list[dict[str, Any]]:
    commits = mongo[ns.database("identity")]["commits"]
    return [
        json.loads(e["json"])
        async for c in commits.find({"aggregate_id": aggregate_id}).sort("_id", 1)
        for e in c["events"]
    ]


async def dantai_support(proc: ServiceProcess, mongo: AsyncMongoClient[dict[str, Any]]) -> str:
    operator = create_support_operator(proc, f"XA5{uuid.uuid4().hex[:8]}", realm=REALM)
    restricted = signed_in(proc.url, REALM, operator["login_id"], operator["initial_password"])
    full, _ = await through_email_authentication(
        proc, mongo, REALM, operator["user_id"], restricted, "desk@example.jp"
    )
    return full


async def test_id_user_10_support_lists_the_waiting_requests_and_refuses_one_freeing_its_id(
    identity: tuple[ServiceProcess, Namespace], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    contact = {"email": "madoguchi@example.jp", "phone": "03-1234-5678"}
    admin, org = await ready_dantai_admin(proc, mongo, profile=contact)
    org_id = org["org_id"]
    kept, refused = f"XA5{uuid.uuid4().hex[:8]}", f"XA5{uuid.uuid4().hex[:8]}"
    ids = {}
    for login_id in (kept, refused):
        asked = create_user(proc.url, REALM, org_id, admin, login_id)
        assert asked.status_code == 202, asked.text
        ids[login_id] = asked.json()["user_id"]
    events = await aggregate_events(mongo, ns, f"org:{REALM}:{org_id}")
    assert [(e["type"], e["login_id"], e["subject_id"]) for e in events] == [
        ("BusinessIdRequested", kept, ids[kept]),
        ("BusinessIdRequested", refused, ids[refused]),
    ]
    assert events[0]["actor"] == {"kind": "admin", "id": org["admin_user_id"]}

    base = f"{proc.url}/v1/realms/{REALM}"
    own = httpx.get(f"{base}/orgs/{org_id}/id-requests", headers=bearer(admin)).json()
    assert [r["login_id"] for r in own["requests"]] == [kept, refused] and own["left"] == 1
    assert httpx.get(f"{base}/id-requests", headers=bearer(admin)).json()["code"] == "FORBIDDEN"
    assert httpx.get(f"{base}/id-requests").json()["code"] == "SESSION_EXPIRED"

    support = await dantai_support(proc, mongo)
    waiting = httpx.get(f"{base}/id-requests", headers=bearer(support))
    assert waiting.status_code == 200, waiting.text
    mine = [w for w in waiting.json() if w["org_id"] == org_id]
    assert [(w["login_id"], w["admin_login_id"]) for w in mine] == [
        (kept, org["admin_login_id"]),
        (refused, org["admin_login_id"]),
    ]

    refuse = f"{base}/orgs/{org_id}/id-requests/{ids[refused]}/refuse"
    for junk in ({"note": ""}, {"note": "x" * 501}, {"why": "extra"}, [1]):
        answer = httpx.post(refuse, json=junk, headers=bearer(support))
        assert answer.status_code in (400, 422), (junk, answer.text)
    assert httpx.post(refuse, headers=bearer(admin)).json()["code"] == "FORBIDDEN"
    done = httpx.post(refuse, json={"note": "申込書に不備があるため"}, headers=bearer(support))
    assert done.status_code == 200 and done.json() == {"login_id": refused}, done.text
    assert httpx.post(refuse, headers=bearer(support)).json()["code"] == "NOT_FOUND", "once"

    [*_, refusal] = await aggregate_events(mongo, ns, f"org:{REALM}:{org_id}")
    assert (refusal["type"], refusal["login_id"], refusal["note"]) == (
        "BusinessIdRequestRefused",
        refused,
        "申込書に不備があるため",
    )
    assert refusal["actor"]["kind"] == "support" and refusal["subject_id"] == ids[refused]
    own = httpx.get(f"{base}/orgs/{org_id}/id-requests", headers=bearer(admin)).json()
    assert [r["login_id"] for r in own["requests"]] == [kept] and own["left"] == 2, "slot freed"
    again = create_user(proc.url, REALM, org_id, admin, refused)
    assert again.status_code == 202, "the refused ID is free again"


async def test_id_user_03_the_support_desk_searches_members_by_login_id(
    identity: tuple[ServiceProcess, Namespace],
) -> None:
    proc, _ = identity
    support, _ = support_session(proc, "mypage")
    tag = uuid.uuid4().hex[:8]
    for name in ("alpha", "beta"):
        made = httpx.post(
            f"{proc.url}/v1/realms/mypage/members",
            json={"login_id": f"{name}-{tag}", "profile": {"email": f"{name}@example.jp"}},
            headers=bearer(support),
        )
        assert made.status_code == 201, made.text
    members = f"{proc.url}/v1/realms/mypage/members"
    found = httpx.get(members, params={"q": tag.upper()}, headers=bearer(support))
    assert found.status_code == 200, found.text
    assert [m["login_id"] for m in found.json()] == [f"alpha-{tag}", f"beta-{tag}"]
    only = httpx.get(members, params={"q": f"beta-{tag}"}, headers=bearer(support)).json()
    assert [m["login_id"] for m in only] == [f"beta-{tag}"]
    nothing = httpx.get(members, params={"q": ".*("}, headers=bearer(support))
    assert nothing.status_code == 200 and nothing.json() == [], "typed text, never a pattern"
    assert httpx.get(members).json()["code"] == "SESSION_EXPIRED"
    admin, _ = ready_admin(proc.url)
    assert httpx.get(members, headers=bearer(admin)).json()["code"] == "FORBIDDEN"
    demo_support, _ = support_session(proc, "demo")
    demo = httpx.get(f"{proc.url}/v1/realms/demo/members", headers=bearer(demo_support))
    assert demo.json()["code"] == "NOT_FOUND", "a realm without members"


async def test_id_bot_03_the_desk_adds_and_removes_trusted_networks_one_entry_at_a_time(
    identity: tuple[ServiceProcess, Namespace], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    operator = create_support_operator(proc, f"desk-{uuid.uuid4().hex[:8]}@example.jp", "kencom")
    support = signed_in(proc.url, "kencom", operator["login_id"], operator["initial_password"])
    base = f"{proc.url}/v1/realms/kencom/trusted-addresses"
    before = httpx.get(base, headers=bearer(support)).json()["entries"]
    tag = uuid.uuid4().hex[:6]
    one = {"organisation": f"第一健康保険組合{tag}", "networks": ["198.51.100.0/24"]}
    two = {
        "organisation": f"第二健康保険組合{tag}",
        "networks": ["203.0.113.7/32", "2001:db8::/64"],
    }

    async def add(entry: dict[str, Any]) -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(f"{base}/entries", json=entry, headers=bearer(support))

    added = await asyncio.gather(add(one), add(two))  # two desks at once: both land
    assert all(a.status_code == 200 for a in added), [a.text for a in added]
    listed = httpx.get(base, headers=bearer(support)).json()["entries"]
    assert listed[: len(before)] == before and len(listed) == len(before) + 2
    assert one in listed and two in listed
    assert (await add(one)).status_code == 200, "the same entry again changes nothing"
    for junk in (
        {"organisation": "x", "networks": ["198.51.100.1/24"]},
        {"organisation": "x", "networks": []},
        {"organisation": "", "networks": ["198.51.100.0/24"]},
        {"organisation": "x", "networks": ["not-an-address"]},
    ):
        assert (await add(junk)).status_code == 422, junk
    assert httpx.post(f"{base}/entries", json=one).json()["code"] == "SESSION_EXPIRED"

    removed = httpx.post(f"{base}/entries/remove", json=one, headers=bearer(support))
    assert removed.status_code == 200 and one not in removed.json()["entries"]
    assert two in removed.json()["entries"]
    again = httpx.post(f"{base}/entries/remove", json=one, headers=bearer(support))
    assert again.status_code == 200, "already gone: nothing changes"

    changes = await aggregate_events(mongo, ns, "trusted:kencom")
    assert [c["type"] for c in changes][-3:] == ["TrustedAddressesChanged"] * 3
    assert changes[-1]["entries"] == [*before, two] and changes[-1]["actor"]["kind"] == "support"


async def test_web_04_organisations_opened_before_the_directory_are_found_after_its_backfill(
    identity: tuple[ServiceProcess, Namespace], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """An organisation whose directory entry is missing (opened before the console existed)
    is recorded by the operator's backfill command, once however often it runs; members and
    staff of the realm are not organisations."""
    proc, ns = identity
    directory = mongo[ns.database("identity")]["org_directory"]
    older = new_org(proc.url, "nexi", str(uuid.uuid4().int)[:11])
    create_support_operator(proc, f"SUP{uuid.uuid4().hex[:8]}", "nexi")  # staff, no organisation
    entry_id = f"nexi:{older['org_id']}"
    assert (await directory.delete_one({"_id": entry_id})).deleted_count == 1

    def backfill(*realms: str) -> dict[str, int]:
        out = subprocess.run(
            [sys.executable, "-m", "services.identity", "backfill-org-directory", *realms],
            env=proc.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))

    first = backfill("nexi")
    assert list(first) == ["nexi"] and first["nexi"] >= 1
    entry = await directory.find_one({"_id": entry_id})
    assert entry is not None
    assert (entry["name"], entry["admin_login_id"]) == ("テスト団体", older["admin_login_id"])
    assert backfill("nexi") == first, "idempotent: the same organisations again"
    assert await directory.count_documents({"org_id": older["org_id"]}) == 1
    everywhere = backfill()
    assert everywhere["mypage"] == 0 and everywhere["nexi"] == first["nexi"]
    refused = subprocess.run(
        [sys.executable, "-m", "services.identity", "backfill-org-directory", "nowhere"],
        env=proc.env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0 and "unknown realm" in refused.stderr
