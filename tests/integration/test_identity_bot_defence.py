"""kencom's bot defence (ID-BOT-01..03, seed 003 【参考】) end to end: identity's app in this
process on the real database and Kafka, its clock moved, browsers at chosen client addresses
solving real ALTCHA challenges; a trusted gateway's forwarded header believed, anyone else's
ignored."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import altcha
import httpx
import pytest
from harness import Infra, Namespace, eventually, read_topic
from identity_client import identity_settings
from mail_events import PRIVATE_KEY, PUBLIC_KEY
from pymongo import AsyncMongoClient

from contracts import SealedSecret, open_sealed
from servicekit.clock import ManualClock, SystemClock
from services.identity.app import create_app
from services.identity.domain.realms import PRESETS
from services.identity.settings import IdentitySettings

pytestmark = pytest.mark.integration

REALM = "kencom"
NEW_PASSWORD = "Kaisha-Pass-2026"
BASE = IdentitySettings().challenge_base_max_number
APP_HEADER = "X-App-Client-Credential"


@dataclass
class Kencom:
    app: Any
    clock: ManualClock
    mongo: AsyncMongoClient[dict[str, Any]]
    ns: Namespace

    @asynccontextmanager
    async def browser(
        self, address: str = "198.51.100.7", forwarded: str | None = None
    ) -> AsyncIterator[httpx.AsyncClient]:
        """A browser whose connection comes from ``address`` (and that may send its own
        X-Forwarded-For)."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        headers = {"X-CSRF-Protection": "1"}
        if forwarded is not None:
            headers["X-Forwarded-For"] = forwarded
        async with httpx.AsyncClient(
            transport=transport, base_url="https://identity.test", headers=headers, timeout=60
        ) as client:
            yield client

    async def challenge(self, browser: httpx.AsyncClient) -> dict[str, Any]:
        answer = await browser.get(f"/v1/realms/{REALM}/login/challenge")
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        return dict(answer.json())

    async def solved(self, browser: httpx.AsyncClient) -> str:
        """What the ALTCHA widget sends after solving a challenge, solved here the same way."""
        made = altcha.Challenge.from_dict(await self.challenge(browser))
        solution = altcha.solve_challenge(made)
        assert solution is not None
        return altcha.Payload(made, solution).to_base64()

    async def log_in(
        self, browser: httpx.AsyncClient, login_id: str, password: str, challenge: str | None
    ) -> httpx.Response:
        body = {"login_id": login_id, "password": password}
        if challenge is not None:
            body["challenge"] = challenge
        return await browser.post(f"/v1/realms/{REALM}/login", json=body)

    async def member(self) -> tuple[str, str]:
        """A member the support desk registered, who logged in and made the forced change."""
        support = await self.app.state.identity.users.create_support_operator(
            PRESETS[REALM], f"desk-{uuid.uuid4().hex[:8]}@example.jp"
        )
        async with self.browser("192.0.2.200") as desk:
            token = await self.signed_in(desk, support.login_id, support.initial_password)
            login_id = f"member-{uuid.uuid4().hex[:8]}@example.jp"
            registered = await desk.post(
                f"/v1/realms/{REALM}/members",
                json={"login_id": login_id, "profile": {"email": login_id}},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert registered.status_code == 201, registered.text
            initial = await self.initial_password(registered.json()["user_id"])
            await self.signed_in(desk, login_id, initial)
        return registered.json()["user_id"], login_id

    async def signed_in(self, browser: httpx.AsyncClient, login_id: str, initial: str) -> str:
        login = await self.log_in(browser, login_id, initial, await self.solved(browser))
        assert login.status_code == 200, login.text
        token = login.cookies["__Host-session"]
        changed = await browser.post(
            f"/v1/realms/{REALM}/password",
            json={"current_password": initial, "new_password": NEW_PASSWORD},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert changed.status_code == 204, changed.text
        return str(changed.cookies["__Host-session"])  # rotated by the change (ID-SESS-03)

    async def events(self, user_id: str) -> list[dict[str, Any]]:
        commits = self.mongo[self.ns.database("identity")]["commits"]
        return [
            json.loads(e["json"])
            async for c in commits.find({"aggregate_id": f"user:{REALM}:{user_id}"}).sort("_id", 1)
            for e in c["events"]
        ]

    async def initial_password(self, user_id: str) -> str:
        [issued] = [e for e in await self.events(user_id) if e["type"] == "InitialPasswordIssued"]
        return open_sealed(SealedSecret.from_wire(issued["sealed_password"]), PRIVATE_KEY)


@asynccontextmanager
async def kencom(
    infra: Infra, ns: Namespace, trusted_proxies: str = "", **more: Any
) -> AsyncIterator[Kencom]:
    clock = ManualClock(SystemClock().now())
    settings = identity_settings(
        infra, ns, notify_public_key=PUBLIC_KEY, trusted_proxies=trusted_proxies, **more
    )
    app = create_app(settings, clock)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    try:
        async with app.router.lifespan_context(app):
            yield Kencom(app, clock, mongo, ns)
    finally:
        await mongo.close()


@pytest.fixture
async def portal(infra: Infra, ns: Namespace) -> AsyncIterator[Kencom]:
    async with kencom(infra, ns) as found:
        yield found


def max_number(challenge: dict[str, Any]) -> int:
    return int(challenge["parameters"]["data"]["maxNumber"])


async def test_id_bot_01_a_login_passes_a_challenge_checked_once_before_the_password(
    portal: Kencom,
) -> None:
    _, login_id = await portal.member()
    async with portal.browser() as browser:
        bare = await portal.log_in(browser, login_id, NEW_PASSWORD, None)
        assert (bare.status_code, bare.json()["code"]) == (403, "CHALLENGE_REQUIRED")
        solved = await portal.solved(browser)
        wrong = await portal.log_in(browser, login_id, "wrong-password-1", solved)
        assert (wrong.status_code, wrong.json()["code"]) == (401, "INVALID_CREDENTIALS")
        again = await portal.log_in(browser, login_id, NEW_PASSWORD, solved)
        assert (again.status_code, again.json()["code"]) == (403, "CHALLENGE_FAILED"), "used"
        assert "使用済み" in again.json()["detail"]
        ok = await portal.log_in(browser, login_id, NEW_PASSWORD, await portal.solved(browser))
        assert ok.status_code == 200, ok.text
    async with portal.browser("203.0.113.50") as elsewhere:
        made_for_another = await portal.log_in(elsewhere, login_id, NEW_PASSWORD, solved)
        assert made_for_another.json()["code"] == "CHALLENGE_FAILED"


async def test_id_bot_02_failures_the_challenge_stops_never_touch_the_users_lock_count(
    portal: Kencom,
) -> None:
    user_id, login_id = await portal.member()
    before = len(await portal.events(user_id))
    async with portal.browser("203.0.113.66") as attacker:
        for _ in range(10):
            stopped = await portal.log_in(attacker, login_id, "guess-123", None)
            assert stopped.json()["code"] == "CHALLENGE_REQUIRED"
            forged = await portal.log_in(attacker, login_id, "guess-123", "e30=")
            assert forged.json()["code"] == "CHALLENGE_FAILED"
    assert len(await portal.events(user_id)) == before, "nothing of the user was even read"
    async with portal.browser() as owner:
        logged_in = await portal.log_in(owner, login_id, NEW_PASSWORD, await portal.solved(owner))
        assert logged_in.status_code == 200, "twenty stopped failures locked nothing"


async def test_id_bot_02_difficulty_rises_with_failures_from_one_address_and_falls_after_the_window(
    portal: Kencom,
) -> None:
    async with portal.browser("203.0.113.77") as noisy, portal.browser("198.51.100.9") as calm:
        assert max_number(await portal.challenge(noisy)) == BASE
        for _ in range(6):
            await portal.log_in(noisy, f"nobody-{uuid.uuid4().hex[:6]}@example.jp", "x1!", None)
        raised = max_number(await portal.challenge(noisy))
        assert raised == BASE * 4**2, "six failures: two steps"
        assert max_number(await portal.challenge(calm)) == BASE, "per address, not for all"
        portal.clock.advance(timedelta(seconds=IdentitySettings().challenge_window_seconds))
        assert max_number(await portal.challenge(noisy)) == BASE, "the window slid past them"


async def test_id_bot_03_a_trusted_address_skips_the_challenge_until_its_failure_limit(
    portal: Kencom,
) -> None:
    _, login_id = await portal.member()
    support = await portal.app.state.identity.users.create_support_operator(
        PRESETS[REALM], f"desk-{uuid.uuid4().hex[:8]}@example.jp"
    )
    async with portal.browser("192.0.2.201") as desk:
        token = await portal.signed_in(desk, support.login_id, support.initial_password)
        entries = [{"organisation": "サンプル健康保険組合", "networks": ["198.51.100.0/24"]}]
        trusted = await desk.put(
            f"/v1/realms/{REALM}/trusted-addresses",
            json={"entries": entries},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert trusted.status_code == 200, trusted.text
    async with portal.browser("198.51.100.40") as office:
        ok = await portal.log_in(office, login_id, NEW_PASSWORD, None)
        assert ok.status_code == 200, "no challenge from the union's office"
        limit = IdentitySettings().trusted_failure_limit
        for _ in range(limit):
            failed = await portal.log_in(office, f"typo-{uuid.uuid4().hex[:6]}@x.jp", "x1!", None)
            assert failed.json()["code"] == "INVALID_CREDENTIALS"
        back = await portal.log_in(office, login_id, NEW_PASSWORD, None)
        assert (back.status_code, back.json()["code"]) == (403, "CHALLENGE_REQUIRED")
        solved = await portal.log_in(office, login_id, NEW_PASSWORD, await portal.solved(office))
        assert solved.status_code == 200
    async with portal.browser("192.0.2.99") as outside:
        assert (await portal.log_in(outside, login_id, NEW_PASSWORD, None)).status_code == 403
    changes = [
        json.loads(e["json"])
        async for c in portal.mongo[portal.ns.database("identity")]["commits"].find(
            {"aggregate_id": f"trusted:{REALM}"}
        )
        for e in c["events"]
    ]
    assert [c["type"] for c in changes] == ["TrustedAddressesChanged"]


async def test_id_bot_02_a_forged_forwarded_header_from_an_untrusted_peer_changes_nothing(
    infra: Infra,
) -> None:
    async with kencom(infra, Namespace()) as direct:
        async with direct.browser("203.0.113.88") as bot:
            for _ in range(3):
                await direct.log_in(bot, "nobody@example.jp", "x1!", None)
            hard = max_number(await direct.challenge(bot))
        assert hard > BASE
        async with direct.browser("203.0.113.88", forwarded="192.0.2.1") as forging:
            assert max_number(await direct.challenge(forging)) == hard, "still the same address"
    async with kencom(infra, Namespace(), trusted_proxies="10.0.0.0/8") as behind_gateway:
        async with behind_gateway.browser("10.0.0.2", forwarded="203.0.113.88") as via:
            for _ in range(3):
                await behind_gateway.log_in(via, "nobody@example.jp", "x1!", None)
            hard = max_number(await behind_gateway.challenge(via))
        async with behind_gateway.browser("10.0.0.2", forwarded="192.0.2.1") as another:
            assert max_number(await behind_gateway.challenge(another)) == BASE, "the gateway's word"
        forged = "203.0.113.88, 192.0.2.1"  # the client wrote the first, the gateway the second
        async with behind_gateway.browser("10.0.0.2", forwarded=forged) as hiding:
            assert max_number(await behind_gateway.challenge(hiding)) == BASE
        assert hard > BASE


async def test_x_14_used_challenges_and_quiet_addresses_go_with_the_clock(portal: Kencom) -> None:
    async with portal.browser("203.0.113.99") as browser:
        await portal.log_in(browser, "nobody@example.jp", "x1!", await portal.solved(browser))
    db = portal.mongo[portal.ns.database("identity")]
    assert await db["link_tokens"].count_documents({"_id": {"$regex": "^challenge:"}}) == 1
    portal.clock.advance(timedelta(seconds=IdentitySettings().challenge_seconds))
    purged = await portal.app.state.identity.upkeep.run_once()
    assert purged.link_tokens == 1
    assert await db["link_tokens"].count_documents({"_id": {"$regex": "^challenge:"}}) == 0


APP_CREDENTIAL = "kencom-app-" + "c" * 43
"""The client credential the realm issued to the kencom app; the setting holds its SHA-256."""


async def test_en_09_the_kencom_app_skips_the_challenge_and_its_logins_say_so(
    infra: Infra, ns: Namespace
) -> None:
    digest = hashlib.sha256(APP_CREDENTIAL.encode()).hexdigest()
    async with kencom(infra, ns, kencom_app_client_secret=digest) as portal:
        user_id, login_id = await portal.member()
        async with portal.browser("203.0.113.90") as app:
            body = {"login_id": login_id, "password": NEW_PASSWORD}
            for header in ({}, {APP_HEADER: "wrong-" + APP_CREDENTIAL}, {APP_HEADER: digest}):
                refused = await app.post(f"/v1/realms/{REALM}/login", json=body, headers=header)
                assert refused.json()["code"] == "CHALLENGE_REQUIRED", header
            headers = {APP_HEADER: APP_CREDENTIAL}
            wrong = await app.post(
                f"/v1/realms/{REALM}/login", json=body | {"password": "x1!"}, headers=headers
            )
            assert wrong.json()["code"] == "INVALID_CREDENTIALS", "the app skips only the challenge"
            ok = await app.post(f"/v1/realms/{REALM}/login", json=body, headers=headers)
            assert ok.status_code == 200, ok.text
        async with portal.browser("203.0.113.91") as page:
            form = await page.get(f"/realms/{REALM}/login")
            csrf = page.cookies.get("__Host-csrf") or ""
            posted = await page.post(
                f"/realms/{REALM}/login",
                data={"login_id": login_id, "password": NEW_PASSWORD, "csrf_token": csrf},
                headers=headers,
            )
            assert form.status_code == 200 and posted.status_code != 303
            assert "画像認証" in posted.text, "a page login never skips the challenge"

        async def announced() -> list[dict[str, Any]] | None:
            topic = ns.topic_prefix + "identity.events"
            records = await read_topic(infra.kafka_bootstrap_servers, topic, 10**6, timeout=2)
            mine = [json.loads(r.value) for r in records]
            mine = [e for e in mine if e["subject_id"] == user_id and e["type"].startswith("Login")]
            return mine if len(mine) >= 3 else None

        events = await eventually(announced, timeout=60, interval=0.5)
        channels = [(e["type"], e.get("channel")) for e in events]
        assert ("LoginFailed", "app") in channels and ("LoginSucceeded", "app") in channels
        assert ("LoginSucceeded", "browser") in channels, "the member's own browser logins"
