"""What identity's integration tests do over HTTP, as a portal's people would, in one place.

Each helper is one step a person or operator takes (log in, change the initial password, set up
an organisation, register a support operator), so a test reads as the story it proves.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from typing import Any

import altcha
import httpx
from harness import (
    PROVISIONING,
    PROVISIONING_TOKEN,
    Infra,
    Namespace,
    ServiceProcess,
    eventually,
    read_topic,
)
from pymongo import AsyncMongoClient

from contracts import SealedSecret, generate_keypair, open_sealed
from services.identity.settings import IdentitySettings

NEW_PASSWORD = "Kaisha-Pass-2026"

#: The tests stand in for notify: identity seals to this public key, and only the tests open.
NOTIFY_PUBLIC, NOTIFY_PRIVATE = generate_keypair()


def identity_settings(infra: Infra, ns: Namespace, **more: Any) -> IdentitySettings:
    """Settings of an identity app in the test's own process (whose clock the test moves), on
    the test's topics and database, opening organisations with the tests' provisioning token."""
    return IdentitySettings(
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        mongodb_uri=infra.mongodb_uri,
        kafka_topic_prefix=ns.topic_prefix,
        mongodb_database=ns.database("identity"),
        provisioning_token=PROVISIONING_TOKEN,
        **more,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def log_in(url: str, realm: str, login_id: str, password: str) -> httpx.Response:
    body = {"login_id": login_id, "password": password}
    if realm == "kencom":  # every kencom login passes the bot defence's challenge (ID-BOT-01)
        body["challenge"] = solved_challenge(url, realm)
    return httpx.post(f"{url}/v1/realms/{realm}/login", json=body, timeout=30)


def solved_challenge(url: str, realm: str) -> str:
    """What the ALTCHA widget sends after solving the realm's challenge, solved the same way."""
    asked = httpx.get(f"{url}/v1/realms/{realm}/login/challenge", timeout=30)
    asked.raise_for_status()
    made = altcha.Challenge.from_dict(asked.json())
    solution = altcha.solve_challenge(made)
    assert solution is not None, "a challenge of the realm's difficulty is solvable"
    return str(altcha.Payload(made, solution).to_base64())


def token_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.headers["set-cookie"].split(";")[0].split("=", 1)[1]


def change_password(url: str, realm: str, token: str, current: str, new: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/realms/{realm}/password",
        json={"current_password": current, "new_password": new},
        headers=bearer(token),
        timeout=30,
    )


def signed_in(url: str, realm: str, login_id: str, initial_password: str) -> str:
    """Log in with an initial password and make the forced change: a full session's token, the
    one the change rotated the session to (ID-SESS-03)."""
    token = token_of(log_in(url, realm, login_id, initial_password))
    return rotated(change_password(url, realm, token, initial_password, NEW_PASSWORD))


def rotated(response: httpx.Response) -> str:
    """The session's new token after a credential change it made (ID-SESS-03)."""
    assert response.status_code == 204, response.text
    return response.headers["set-cookie"].split(";")[0].split("=", 1)[1]


def new_org(
    url: str, realm: str, admin_login_id: str, profile: dict[str, str] | None = None
) -> dict[str, Any]:
    r = httpx.post(
        f"{url}/v1/realms/{realm}/orgs",
        headers=PROVISIONING,
        json={
            "name": "テスト団体",
            "admin": {"login_id": admin_login_id, "profile": profile or {}},
        },
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def ready_admin(
    url: str,
    realm: str = "demo",
    prefix: str = "XA3",
    login_id: str | None = None,
    profile: dict[str, str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """An organisation whose admin has logged in and changed the initial password."""
    org = new_org(url, realm, login_id or f"{prefix}{uuid.uuid4().hex[:8]}", profile)
    return signed_in(url, realm, org["admin_login_id"], org["initial_password"]), org


def create_user(
    url: str, realm: str, org_id: str, token: str, login_id: str | None
) -> httpx.Response:
    """A business user; ``login_id`` None where the realm assigns it (nexi, ID-USER-12)."""
    return httpx.post(
        f"{url}/v1/realms/{realm}/orgs/{org_id}/users",
        json={} if login_id is None else {"login_id": login_id},
        headers=bearer(token),
        timeout=30,
    )


def create_support_operator(
    proc: ServiceProcess, login_id: str, realm: str = "demo"
) -> dict[str, str]:
    """The operator command, run as an operator would, against the service's database."""
    out = subprocess.run(
        [sys.executable, "-m", "services.identity", "create-support-operator", realm, login_id],
        env=proc.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def support_session(proc: ServiceProcess, realm: str = "demo") -> tuple[str, dict[str, str]]:
    """A support operator of ``realm`` who has made the forced change: token and operator."""
    operator = create_support_operator(proc, f"SUP{uuid.uuid4().hex[:8]}", realm)
    return signed_in(proc.url, realm, operator["login_id"], operator["initial_password"]), operator


async def user_events(
    mongo: AsyncMongoClient[dict[str, Any]],
    ns: Namespace,
    realm: str,
    user_id: str,
    event_type: str | None = None,
) -> list[dict[str, Any]]:
    """A user's committed events in order, as the outbox publishes them."""
    commits = mongo[ns.database("identity")]["commits"]
    events = [
        json.loads(e["json"])
        async for c in commits.find({"aggregate_id": f"user:{realm}:{user_id}"}).sort("_id", 1)
        for e in c["events"]
    ]
    return [e for e in events if event_type is None or e["type"] == event_type]


def opened(event: dict[str, Any], field: str) -> str:
    """What notify would read from a sealed field (X-02): only the tests' key opens it."""
    return open_sealed(SealedSecret.from_wire(event[field]), NOTIFY_PRIVATE)


async def everything_identity_wrote(
    mongo: AsyncMongoClient[dict[str, Any]], ns: Namespace, infra: Infra, proc: ServiceProcess
) -> list[str]:
    """Every stored document, every published event and the service log, as text: where no
    secret may be in clear (X-02). Waits for the outbox to drain so every event is on Kafka."""
    db = mongo[ns.database("identity")]

    async def outbox_empty() -> bool:
        return await db["outbox"].count_documents({}) == 0

    await eventually(outbox_empty, timeout=30)
    stored = [
        json.dumps(doc, default=str, ensure_ascii=False)
        for name in await db.list_collection_names()
        async for doc in db[name].find({})
    ]
    published = await read_topic(
        infra.kafka_bootstrap_servers, ns.topic_prefix + "identity.events", 10**6, timeout=5
    )
    assert published, "the events were published"
    return stored + [r.value.decode() for r in published] + [proc.log_path.read_text()]


async def sealed_link(
    mongo: AsyncMongoClient[dict[str, Any]], ns: Namespace, realm: str, user_id: str, purpose: str
) -> str:
    """The token of the user's latest mailed link for ``purpose``, opened as notify would."""
    links = [
        e
        for e in await user_events(mongo, ns, realm, user_id, "EmailLinkIssued")
        if e["purpose"] == purpose
    ]
    assert links, f"a {purpose} link was issued"
    return opened(links[-1], "sealed_link").split("token=", 1)[1]


async def through_email_authentication(
    proc: ServiceProcess,
    mongo: AsyncMongoClient[dict[str, Any]],
    realm: str,
    user_id: str,
    token: str,
    address: str = "auth@example.jp",
) -> tuple[str, str]:
    """A `dantai-net` login's last steps as its waiting browser takes them (ID-MAIL-01, -02,
    ID-BIND-01): register and confirm the e-mail-authentication address if it must, follow the
    login link, complete. Answers the full session's token and the browser's binding cookie."""
    ns = Namespace(proc.env["KAFKA_TOPIC_PREFIX"].rstrip("."))
    url, headers = f"{proc.url}/v1/realms/{realm}", bearer(token)
    steps = httpx.get(f"{url}/login/progress", headers=headers, timeout=30).json()["steps"]
    if any(s["step"] == "auth_email_address" and s["state"] != "done" for s in steps):
        asked = httpx.post(
            f"{url}/login/auth-email", json={"email": address}, headers=headers, timeout=30
        )
        assert asked.status_code == 202, asked.text
        link = await sealed_link(mongo, ns, realm, user_id, "auth_email_confirmation")
        confirmed = httpx.post(f"{url}/auth-email/confirm", json={"token": link}, timeout=30)
        assert confirmed.status_code == 200, confirmed.text
    link = await sealed_link(mongo, ns, realm, user_id, "login")
    followed = httpx.post(f"{url}/login-link", json={"token": link}, headers=headers, timeout=30)
    assert followed.status_code == 200, followed.text
    done = httpx.post(f"{url}/login/complete", headers=headers, timeout=30)
    assert done.status_code == 200, done.text
    return token_of(done), done.cookies[f"__Host-browser-{realm}"]


async def ready_dantai_admin(
    proc: ServiceProcess,
    mongo: AsyncMongoClient[dict[str, Any]],
    profile: dict[str, str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """A `dantai-net` organisation whose admin has logged in all the way: initial password,
    forced change, e-mail-authentication address, login link, registered browser."""
    org = new_org(proc.url, "dantai-net", f"XA3{uuid.uuid4().hex[:8]}", profile)
    token = signed_in(proc.url, "dantai-net", org["admin_login_id"], org["initial_password"])
    full, _ = await through_email_authentication(
        proc, mongo, "dantai-net", org["admin_user_id"], token
    )
    return full, org
