"""A `nexi` portal for the tests of its OTP step-up and permission matrix (seed 004 chapters 1
and 5): identity's app in this process with a clock the test moves, beside notify as a real
process mailing through Mailpit when a test needs the mail. People hold bearer sessions; a
business user's initial password is opened from its sealed event with notify's key, as notify
would open it, and OTP codes are read from the real mails."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from harness import PROVISIONING_TOKEN, Infra, Namespace, eventually, no_cookie_jar
from mail_catchers import Mailpit, new_address
from mail_events import PRIVATE_KEY, PUBLIC_KEY
from pymongo import AsyncMongoClient

from contracts import SealedSecret, open_sealed
from servicekit.clock import ManualClock, SystemClock
from services.identity.app import create_app
from services.identity.settings import IdentitySettings

REALM = "nexi"
NEW_PASSWORD = "Kaisha-Pass-2026"
CODE = re.compile(r"ワンタイムパスワード：([0-9]{6})")


def nexi_id() -> str:
    """A `nexi` web user ID: 11 or 12 digits (ID-USER-02)."""
    return str(uuid.uuid4().int)[:12]


@dataclass
class Person:
    user_id: str
    login_id: str
    org_id: str
    email: str
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class NexiPortal:
    app: Any
    client: httpx.AsyncClient
    clock: ManualClock
    mail: Mailpit
    mongo: AsyncMongoClient[dict[str, Any]]
    ns: Namespace

    async def signed_in(self, person: Person, initial: str) -> Person:
        """Logs in with the initial password and makes the forced change: a full session."""
        login = await self.client.post(
            f"/v1/realms/{REALM}/login", json={"login_id": person.login_id, "password": initial}
        )
        assert login.status_code == 200, login.text
        person.token = login.cookies["__Host-session"]
        changed = await self.client.post(
            f"/v1/realms/{REALM}/password",
            json={"current_password": initial, "new_password": NEW_PASSWORD},
            headers=person.headers,
        )
        assert changed.status_code == 204, changed.text
        person.token = changed.cookies["__Host-session"]  # rotated by the change (ID-SESS-03)
        return person

    async def admin(self) -> Person:
        """An organisation opened by the back office, its admin logged in and changed."""
        email = new_address("admin")
        opened = await self.client.post(
            f"/v1/realms/{REALM}/orgs",
            json={
                "name": "テスト法人",
                "admin": {"login_id": nexi_id(), "profile": {"name": "管理 太郎", "email": email}},
            },
            headers={"Authorization": f"Bearer {PROVISIONING_TOKEN}"},
        )
        assert opened.status_code == 201, opened.text
        org = opened.json()
        admin = Person(org["admin_user_id"], org["admin_login_id"], org["org_id"], email)
        return await self.signed_in(admin, org["initial_password"])

    async def applicant(self, admin: Person, permissions: dict[str, Any] | None = None) -> Person:
        """A business user (Webユーザー（申込者）) the admin registers, logged in all the way."""
        email = new_address("applicant")
        body: dict[str, Any] = {"profile": {"name": "申込 花子", "email": email}}
        if permissions is not None:
            body["permissions"] = permissions
        created = await self.client.post(
            f"/v1/realms/{REALM}/orgs/{admin.org_id}/users", json=body, headers=admin.headers
        )
        assert created.status_code == 201, created.text
        answer = created.json()  # the login ID is the realm's next number (ID-USER-12)
        person = Person(answer["user_id"], answer["login_id"], admin.org_id, email)
        return await self.signed_in(person, await self.initial_password(person.user_id))

    async def events(self, aggregate: str, kind: str | None = None) -> list[dict[str, Any]]:
        """An aggregate's committed events in order, as the outbox publishes them."""
        commits = self.mongo[self.ns.database("identity")]["commits"]
        found = [
            json.loads(e["json"])
            async for c in commits.find({"aggregate_id": aggregate}).sort("_id", 1)
            for e in c["events"]
        ]
        return [e for e in found if kind is None or e["type"] == kind]

    async def initial_password(self, user_id: str) -> str:
        [issued] = await self.events(f"user:{REALM}:{user_id}", "InitialPasswordIssued")
        return open_sealed(SealedSecret.from_wire(issued["sealed_password"]), PRIVATE_KEY)

    async def decide(
        self, person: Person, action: str, protected: bool = True, **resource: str
    ) -> dict[str, Any]:
        answer = await self.client.post(
            "/v1/authz/decisions",
            json={
                "action": action,
                "resource": {"org_id": person.org_id, **resource},
                "protected": protected,
            },
            headers=person.headers,
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def switch_otp(self, admin: Person, enabled: bool) -> httpx.Response:
        return await self.client.put(
            f"/v1/realms/{REALM}/orgs/{admin.org_id}/otp-policy",
            json={"enabled": enabled},
            headers=admin.headers,
        )

    async def issue(self, person: Person) -> httpx.Response:
        return await self.client.post(f"/v1/realms/{REALM}/otp", headers=person.headers)

    async def enter(self, person: Person, code: str) -> httpx.Response:
        """Enters a code; a verified session replaces the person's token (ID-OTP-03)."""
        answer = await self.client.post(
            f"/v1/realms/{REALM}/otp/verify", json={"code": code}, headers=person.headers
        )
        if answer.status_code == 200:
            person.token = answer.cookies["__Host-session"]
        return answer

    async def codes_to(self, address: str, count: int) -> list[str]:
        """The codes of the first ``count`` OTP mails to ``address``, oldest first."""

        def mailed() -> list[str] | None:
            bodies = [
                str(m.get_body(("plain",)).get_content())  # type: ignore[union-attr]
                for m in self.mail.mails_to(address)
            ]
            codes = [c for b in bodies for c in CODE.findall(b)]
            return codes if len(codes) >= count else None

        found: list[str] = await eventually(mailed, timeout=60)
        return found


@asynccontextmanager
async def nexi_portal(infra: Infra, ns: Namespace) -> AsyncIterator[NexiPortal]:
    """Identity in this process (a moved clock), sealing mail secrets to notify's key; a test
    that reads mail starts notify in the same namespace beside it."""
    clock = ManualClock(SystemClock().now())
    settings = IdentitySettings(
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        mongodb_uri=infra.mongodb_uri,
        kafka_topic_prefix=ns.topic_prefix,
        mongodb_database=ns.database("identity"),
        notify_public_key=PUBLIC_KEY,
        provisioning_token=PROVISIONING_TOKEN,
        outbox_poll_seconds=0.2,
    )
    app = create_app(settings, clock)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            app.router.lifespan_context(app),
            no_cookie_jar(
                httpx.AsyncClient(transport=transport, base_url="https://identity.test", timeout=60)
            ) as client,
        ):
            yield NexiPortal(app, client, clock, Mailpit(infra.mailpit_url), mongo, ns)
    finally:
        await mongo.close()
