"""A kencom portal for the tests of its sign-up (seed 003, EN-01…08): enroll's app in this
process with a clock the test moves, identity and notify as real processes on the same topics
(identity holds the credential and makes the member, notify mails through Mailpit). Links are
read from the real mails; the member logs in through identity's HTTP API."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import (
    ENROLMENT_TOKEN,
    PROVISIONING,
    PROVISIONING_TOKEN,
    Infra,
    Namespace,
    ServiceProcess,
    eventually,
)
from identity_client import log_in
from mail_catchers import Mailpit
from mail_events import PRIVATE_KEY, PUBLIC_KEY

from servicekit.clock import ManualClock, SystemClock
from services.enroll.app import create_app
from services.enroll.settings import EnrollSettings

REALM = "kencom"
PASSWORD = "Kenko-Pass9"
"""A kencom password: 6–20 characters, letters, digits and a symbol, nothing guessable."""
LINK = re.compile(r"/realms/kencom/activate\?token=([0-9a-f]{32}\.[A-Za-z0-9_-]{43})")
API = f"/v1/realms/{REALM}"
EASY_CHALLENGES = {
    "notify_public_key": PUBLIC_KEY,
    "challenge_base_max_number": "1000",
    "challenge_max_steps": "0",
}
"""Identity for these tests: kencom's logins pass the bot defence's challenge (ID-BOT-01), which
the tests solve as the widget does; the easiest one, however many logins the tests make."""


CONSENT = {"accept_terms": True, "accept_privacy": True}
"""STEP2's consent to the 会員規約 and the プライバシーポリシー: every sign-up needs it (EN-09)."""
TICKED = {"accept_terms": "on", "accept_privacy": "on"}
"""The same consent as the confirmation page's two checkboxes send it."""


def new_insurer() -> str:
    """An insurer number (保険者番号) no other test uses: 06 + 6 digits."""
    return "06" + str(uuid.uuid4().int)[:6]


def new_email(tag: str = "member") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.jp"


@dataclass(frozen=True)
class Person:
    """One line of a union's roster, and the card its person types."""

    insurer_number: str
    symbol: str = "1234"
    number: str = "2345678"
    name_kana: str = "ケンコムタロウ"
    birth_date: date = date(1980, 5, 17)
    relationship: str = "本人"
    email: str = field(default_factory=new_email)

    def roster_line(self) -> dict[str, str]:
        return {
            "symbol": self.symbol,
            "number": self.number,
            "name_kana": self.name_kana,
            "birth_date": self.birth_date.isoformat(),
            "relationship": self.relationship,
        }

    def card(self, **typed: Any) -> dict[str, Any]:
        return {
            "name_kana": self.name_kana,
            "birth_date": self.birth_date.isoformat(),
            "insurer_number": self.insurer_number,
            "symbol": self.symbol,
            "number": self.number,
        } | typed

    def but(self, **changes: Any) -> Person:
        return replace(self, **changes)


@dataclass
class Kencom:
    app: Any
    clock: ManualClock
    mail: Mailpit
    identity: ServiceProcess
    ns: Namespace
    client: httpx.AsyncClient

    async def roster(
        self, insurer: str, people: list[Person], restrictions: dict[str, Any] | None = None
    ) -> httpx.Response:
        """The back office imports a union's roster through the API (EN-07)."""
        return await self.client.put(
            f"{API}/rosters/{insurer}",
            json={
                "restrictions": restrictions or {},
                "members": [p.roster_line() for p in people],
            },
            headers=PROVISIONING,
        )

    async def sign_up(
        self, email: str, channel: str = "pc", password: str = PASSWORD, **more: Any
    ) -> httpx.Response:
        body = {"email": email, "email_confirmation": email, "password": password} | CONSENT
        return await self.client.post(f"{API}/signups", json=body | {"channel": channel} | more)

    async def links(self, email: str, count: int) -> list[str]:
        """The tokens of the first ``count`` activation links mailed to ``email``."""

        def mailed() -> list[str] | None:
            tokens = [t for text in self.texts_to(email) for t in LINK.findall(text)]
            return tokens if len(tokens) >= count else None

        found: list[str] = await eventually(mailed, timeout=60)
        return found

    def texts_to(self, email: str) -> list[str]:
        bodies = [m.get_body(("plain",)) for m in self.mail.mails_to(email)]
        return [str(b.get_content()) for b in bodies if b is not None]

    def subjects_to(self, email: str) -> list[str]:
        return [str(m["Subject"]) for m in self.mail.mails_to(email)]

    async def activate(self, token: str) -> httpx.Response:
        return await self.client.post(f"{API}/signups/activate", json={"token": token})

    async def check(self, step: str, card: dict[str, Any]) -> httpx.Response:
        return await self.client.post(
            f"{API}/signups/eligibility", json={"signup_token": step} | card
        )

    async def progress(self, step: str) -> dict[str, Any]:
        answer = await self.client.post(f"{API}/signups/progress", json={"signup_token": step})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def activated(self, person: Person, channel: str = "pc") -> str:
        """Signed up and activated from the mail's link: the insurance-card step's token."""
        started = await self.sign_up(person.email, channel)
        assert started.status_code == 202, started.text
        [token] = await self.links(person.email, 1)
        opened = await self.activate(token)
        assert opened.status_code == 200, opened.text
        return str(opened.json()["signup_token"])

    async def registered(self, step: str) -> dict[str, Any]:
        async def done() -> dict[str, Any] | None:
            found = await self.progress(step)
            return found if found["status"] == "registered" else None

        found: dict[str, Any] = await eventually(done, timeout=60)
        return found

    async def enrolled(self, person: Person, channel: str = "pc") -> tuple[str, str]:
        """The whole sign-up to ``MemberRegistered``: the step token and the member's id."""
        step = await self.activated(person, channel)
        checked = await self.check(step, person.card())
        assert checked.status_code == 200, checked.text
        return step, str((await self.registered(step))["user_id"])

    def log_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return log_in(self.identity.url, REALM, email, password)


@contextmanager
def kencom_services(infra: Infra, log_dir: Path) -> Iterator[tuple[ServiceProcess, Namespace]]:
    """Identity and notify as processes on one namespace, for a module's tests."""
    ns = Namespace()
    identity = ServiceProcess("identity", infra, ns, log_dir, **EASY_CHALLENGES)
    notify = ServiceProcess("notify", infra, ns, log_dir, notify_private_key=PRIVATE_KEY)
    identity.start()
    try:
        notify.start()
        try:
            yield identity, ns
        finally:
            notify.stop()
    finally:
        identity.stop()


def enroll_settings(infra: Infra, ns: Namespace, identity_url: str, **more: Any) -> EnrollSettings:
    return EnrollSettings(
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        mongodb_uri=infra.mongodb_uri,
        kafka_topic_prefix=ns.topic_prefix,
        mongodb_database=ns.database("enroll"),
        notify_public_key=PUBLIC_KEY,
        provisioning_token=PROVISIONING_TOKEN,
        enrolment_token=ENROLMENT_TOKEN,
        identity_url=identity_url,
        outbox_poll_seconds=0.2,
        **more,
    )


@asynccontextmanager
async def kencom_portal(
    infra: Infra, ns: Namespace, identity: ServiceProcess, **settings: Any
) -> AsyncIterator[Kencom]:
    """Enroll in this process (a moved clock), beside the running identity and notify."""
    clock = ManualClock(SystemClock().now())
    app = create_app(enroll_settings(infra, ns, identity.url, **settings), clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="https://enroll.test", timeout=60
        ) as client:
            yield Kencom(app, clock, Mailpit(infra.mailpit_url), identity, ns, client)


@pytest.fixture(scope="module")
def platform(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServiceProcess, Namespace]]:
    """Identity and notify for a module's tests (import it into the module)."""
    with kencom_services(infra, tmp_path_factory.mktemp("kencom")) as started:
        yield started


@pytest.fixture
async def kencom(infra: Infra, platform: tuple[ServiceProcess, Namespace]) -> AsyncIterator[Kencom]:
    """Enroll in this process with its own moved clock, on the module's identity and notify."""
    identity, ns = platform
    async with kencom_portal(infra, ns, identity) as portal:
        yield portal
