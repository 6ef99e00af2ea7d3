"""A `dantai-net` portal for the tests of its login (seed 000 Q10-Q19): identity's app in this
process with a clock the test moves, notify as a real process mailing through Mailpit, and
browsers as cookie jars. Links are read from the real mails."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from harness import PROVISIONING_TOKEN, Infra, Namespace, ServiceProcess, eventually
from identity_client import identity_settings
from mail_catchers import Mailpit, new_address
from mail_events import PUBLIC_KEY

from servicekit.clock import ManualClock, SystemClock
from services.identity.app import create_app
from services.identity.domain.realms import PRESETS

REALM = "dantai-net"
NEW_PASSWORD = "Kaisha-Pass-2026"
LINK = re.compile(r"https://\S+?\?token=([A-Za-z0-9_-]+)")


@dataclass
class Browser:
    """One browser profile: its own cookie jar (session, binding cookie) on identity's app."""

    client: httpx.AsyncClient
    session: str | None = None

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.post(path, headers=self._headers(), **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.put(path, headers=self._headers(), **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, headers=self._headers(), **kwargs)

    def _headers(self) -> dict[str, str]:
        return {"X-CSRF-Protection": "1"}

    async def log_in(self, login_id: str, password: str) -> httpx.Response:
        answer = await self.post(
            f"/v1/realms/{REALM}/login", json={"login_id": login_id, "password": password}
        )
        if answer.status_code == 200:
            self.session = answer.cookies["__Host-session"]
        return answer

    async def progress(self) -> dict[str, str]:
        answer = await self.get(f"/v1/realms/{REALM}/login/progress")
        assert answer.status_code == 200, answer.text
        return {s["step"]: s["state"] for s in answer.json()["steps"]}

    async def follow(self, link_token: str) -> httpx.Response:
        """The link's confirmation page, then its form's POST, as a person clicks through."""
        page = await self.get(f"/realms/{REALM}/login-link", params={"token": link_token})
        assert page.status_code == 200 and "ログインを完了する" in page.text
        return await self.post(f"/v1/realms/{REALM}/login-link", json={"token": link_token})

    async def complete(self) -> httpx.Response:
        return await self.post(f"/v1/realms/{REALM}/login/complete")

    @property
    def binding(self) -> str | None:
        return self.client.cookies.get(f"__Host-browser-{REALM}")


@dataclass
class Portal:
    app: Any
    clock: ManualClock
    mail: Mailpit
    ns: Namespace
    browsers: list[Browser] = field(default_factory=list)

    @asynccontextmanager
    async def browser(self) -> AsyncIterator[Browser]:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="https://identity.test", timeout=60
        ) as client:
            yield Browser(client)

    async def open_org(self, browser: Browser, email: str | None = None) -> dict[str, Any]:
        """An organisation with its admin (as the back office opens it)."""
        answer = await browser.client.post(
            f"/v1/realms/{REALM}/orgs",
            json={"name": "テスト団体", "admin": {"login_id": f"XA3{uuid.uuid4().hex[:8]}"}},
            headers={"Authorization": f"Bearer {PROVISIONING_TOKEN}"},
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def links_to(self, address: str, count: int) -> list[str]:
        """The tokens of the first ``count`` links mailed to ``address``, oldest first."""

        def mailed() -> list[str] | None:
            bodies = [
                str(m.get_body(("plain",)).get_content()) for m in self.mail.mails_to(address)
            ]  # type: ignore[union-attr]
            tokens = [t for b in bodies for t in LINK.findall(b)]
            return tokens if len(tokens) >= count else None

        found: list[str] = await eventually(mailed, timeout=60)
        return found

    def texts_to(self, address: str) -> list[str]:
        """The plain-text bodies of the mails to ``address``, oldest first."""
        bodies = [m.get_body(("plain",)) for m in self.mail.mails_to(address)]
        return [str(b.get_content()) for b in bodies if b is not None]

    def subjects_to(self, address: str) -> list[str]:
        return [str(m["Subject"]) for m in self.mail.mails_to(address)]

    async def first_login(self, browser: Browser) -> tuple[dict[str, Any], str]:
        """An admin who logged in with the initial password and made the forced change: the
        organisation and the e-mail-authentication address it will register."""
        org = await self.open_org(browser)
        await self.changed_initial_password(browser, org["admin_login_id"], org["initial_password"])
        return org, new_address("auth")

    async def changed_initial_password(self, browser: Browser, login_id: str, initial: str) -> None:
        first = await browser.log_in(login_id, initial)
        assert first.status_code == 200, first.text
        changed = await browser.post(
            f"/v1/realms/{REALM}/password",
            json={"current_password": initial, "new_password": NEW_PASSWORD},
        )
        assert changed.status_code == 204, changed.text

    async def fully_logged_in(self, browser: Browser) -> tuple[dict[str, Any], str]:
        """The whole first login: forced change, address confirmed, link followed, completed."""
        org, address = await self.first_login(browser)
        await self.last_steps(browser, address)
        return org, address

    async def last_steps(self, browser: Browser, address: str, links_before: int = 0) -> None:
        """Register ``address``, confirm it from its mail, follow the login link, complete."""
        asked = await browser.post(f"/v1/realms/{REALM}/login/auth-email", json={"email": address})
        assert asked.status_code == 202, asked.text
        confirm = (await self.links_to(address, links_before + 1))[-1]
        confirmed = await browser.post(
            f"/v1/realms/{REALM}/auth-email/confirm", json={"token": confirm}
        )
        assert confirmed.status_code == 200, confirmed.text
        login = (await self.links_to(address, links_before + 2))[-1]
        assert (await browser.follow(login)).status_code == 200
        done = await browser.complete()
        assert done.status_code == 200, done.text

    async def support_desk(self, browser: Browser) -> None:
        """A support operator of the realm, logged in all the way in ``browser``."""
        operator = await self.app.state.identity.users.create_support_operator(
            PRESETS[REALM], f"XA5{uuid.uuid4().hex[:8]}"
        )
        await self.changed_initial_password(browser, operator.login_id, operator.initial_password)
        await self.last_steps(browser, new_address("desk"))


@asynccontextmanager
async def dantai_portal(
    infra: Infra, ns: Namespace, notify: ServiceProcess
) -> AsyncIterator[Portal]:
    """Identity in this process (a moved clock), beside the running notify."""
    del notify  # running: it mails what identity publishes under the same topic prefix
    clock = ManualClock(SystemClock().now())
    settings = identity_settings(infra, ns, notify_public_key=PUBLIC_KEY, outbox_poll_seconds=0.2)
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        yield Portal(app, clock, Mailpit(infra.mailpit_url), ns)
