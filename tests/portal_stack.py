"""The real portal behind the real gateway, for the browser tests (WEB-03): identity, notify
(mailing through Mailpit) and audit as processes in one namespace, nginx in front of them.

Module-scoped in the tests that use it: starting it costs a few seconds, a flow none."""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from gateway_harness import GATEWAY_SECRET, running_gateway
from harness import PROVISIONING_TOKEN, REPO, Infra, Namespace, ServiceProcess, eventually
from mail_catchers import Mailpit
from mail_events import PRIVATE_KEY, PUBLIC_KEY

LINK = re.compile(r"https://\S+?\?token=[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Portal:
    gateway: Any
    identity: ServiceProcess
    notify: ServiceProcess
    audit: ServiceProcess
    certs: ServiceProcess
    enroll: ServiceProcess
    mail: Mailpit

    @property
    def url(self) -> str:
        return str(self.gateway.url)

    def call(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        """The API through the gateway, with a bearer (the back office's, or a session's)."""
        return httpx.request(
            method,
            f"{self.url}{path}",
            headers={"Authorization": f"Bearer {token}"},
            verify=ssl.create_default_context(cafile=str(self.gateway.trust_file)),
            timeout=30,
            **kwargs,
        )

    def open_org(self, realm: str, **admin: Any) -> dict[str, Any]:
        """An organisation with its admin (``admin`` overrides its login ID, adds a profile),
        as the back office opens it."""
        answer = self.call(
            "POST",
            f"/v1/realms/{realm}/orgs",
            PROVISIONING_TOKEN,
            json={
                "name": "テスト団体",
                "admin": {"login_id": f"XA3{uuid.uuid4().hex[:8]}", **admin},
            },
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def support_operator(self, realm: str) -> dict[str, str]:
        """The realm's support desk, made as operators make it (identity's command): its login
        ID and initial password."""
        made = subprocess.run(
            [
                sys.executable,
                "-m",
                "services.identity",
                "create-support-operator",
                realm,
                f"SUP{uuid.uuid4().hex[:8]}",
            ],
            cwd=REPO,
            env=self.identity.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return dict(json.loads(made.stdout.strip().splitlines()[-1]))

    async def line_in_mail(self, address: str, label: str) -> str:
        """The value after ``label：`` in the last mail to ``address`` that has one."""

        def mailed() -> str | None:
            for m in reversed(self.mail.mails_to(address)):
                body = m.get_body(("plain",))
                found = re.search(
                    rf"^{label}：(\S+)", str(body.get_content()) if body else "", re.M
                )
                if found:
                    return found[1]
            return None

        value: str = await eventually(mailed, timeout=60)
        return value

    async def links_to(self, address: str, count: int) -> list[str]:
        """The first ``count`` links mailed to ``address``, as paths on the gateway (the mails
        name the realm's production host; the path and its token are what a person opens)."""

        def mailed() -> list[str] | None:
            bodies = [
                str(body.get_content())
                for m in self.mail.mails_to(address)
                if (body := m.get_body(("plain",))) is not None
            ]
            links = [link for b in bodies for link in LINK.findall(b)]
            return links if len(links) >= count else None

        found: list[str] = await eventually(mailed, timeout=60)
        return [f"{urlsplit(link).path}?{urlsplit(link).query}" for link in found]


@contextmanager
def running_portal(infra: Infra, logs: Path) -> Iterator[Portal]:
    ns = Namespace()
    with ExitStack() as stack:

        def start(service: str, **settings: str) -> ServiceProcess:
            proc = ServiceProcess(service, infra, ns, logs, **settings).start()
            stack.callback(proc.stop)
            return proc

        # kencom's logins pass the bot defence's easiest challenge: the browser solves it
        identity = start(
            "identity",
            notify_public_key=PUBLIC_KEY,
            trusted_proxies="127.0.0.1/32",
            challenge_base_max_number="1000",
            challenge_max_steps="0",
        )
        notify = start("notify", notify_private_key=PRIVATE_KEY, identity_url=identity.url)
        audit = start("audit", identity_url=identity.url)
        certs = start("certs", gateway_secret=GATEWAY_SECRET, identity_url=identity.url)
        enroll = start("enroll", notify_public_key=PUBLIC_KEY, identity_url=identity.url)
        upstreams = {
            "identity": f"127.0.0.1:{identity.port}",
            "notify": f"127.0.0.1:{notify.port}",
            "audit": f"127.0.0.1:{audit.port}",
            "certs": f"127.0.0.1:{certs.port}",
            "enroll": f"127.0.0.1:{enroll.port}",
        }
        gateway = stack.enter_context(running_gateway(logs / "nginx", upstreams, "600r/m"))
        yield Portal(gateway, identity, notify, audit, certs, enroll, Mailpit(infra.mailpit_url))
