"""X-02 for the pages a mailed link opens, through the real gateway: opening the link (a GET,
as a person or a mail scanner does) shows a confirmation page and consumes nothing; only that
page's POST, with the link's token in its body and the page's CSRF token (X-12, as every other
form of the portal), consumes it, once; and the token is in no log (the gateway's access log,
the services' logs).

Every link kind with ``?token=…``: identity's login link (dantai-net), e-mail-authentication
confirmation (dantai-net) and e-mail-change confirmation (nexi), enroll's kencom activation.
Identity and enroll run as processes; the tokens are read from the sealed links of their
events, opened as notify would."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from gateway_harness import GATEWAY_SECRET, curl, echo_server, running_gateway
from harness import Infra, Namespace, ServiceProcess, eventually, running_service
from identity_client import (
    NEW_PASSWORD,
    NOTIFY_PRIVATE,
    NOTIFY_PUBLIC,
    bearer,
    new_org,
    sealed_link,
    signed_in,
)
from pymongo import AsyncMongoClient

from contracts import SealedSecret, open_sealed

pytestmark = pytest.mark.integration

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Portal:
    gateway: Any
    identity: ServiceProcess
    identity_ns: Namespace
    enroll: ServiceProcess
    enroll_ns: Namespace


@pytest.fixture(scope="module")
def portal(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    logs = tmp_path_factory.mktemp("link-pages")
    with ExitStack() as stack:
        identity, identity_ns = stack.enter_context(
            running_service("identity", infra, logs, notify_public_key=NOTIFY_PUBLIC)
        )
        enroll, enroll_ns = stack.enter_context(
            running_service(
                "enroll", infra, logs, identity_url=identity.url, notify_public_key=NOTIFY_PUBLIC
            )
        )
        echo = stack.enter_context(echo_server())
        upstreams = {
            "identity": f"127.0.0.1:{identity.port}",
            "enroll": f"127.0.0.1:{enroll.port}",
            "certs": echo,
            "notify": echo,
            "audit": echo,
        }
        gateway = stack.enter_context(
            running_gateway(logs / "nginx", upstreams, "600r/m", ca_from=_certs(stack, infra, logs))
        )
        yield Portal(gateway, identity, identity_ns, enroll, enroll_ns)


def _certs(stack: ExitStack, infra: Infra, logs: Any) -> str:
    """A certs for the gateway's client CA (kihonet's server), which these tests do not use."""
    certs, _ = stack.enter_context(
        running_service("certs", infra, logs, gateway_secret=GATEWAY_SECRET)
    )
    return f"127.0.0.1:{certs.port}"


@dataclass(frozen=True)
class Link:
    """A mailed link's page and token, and what its POST answers when it did its work."""

    path: str
    token: str
    done: str
    session: str | None = None
    """The pending login's session: a login link works only in its browser (ID-MAIL-02)."""


async def login_link(portal: Portal, mongo: AsyncMongoClient[dict[str, Any]]) -> Link:
    session, user_id = await _auth_email_asked(portal)
    url = f"{portal.identity.url}/v1/realms/dantai-net"
    confirm = await sealed_link(
        mongo, portal.identity_ns, "dantai-net", user_id, "auth_email_confirmation"
    )
    confirmed = httpx.post(f"{url}/auth-email/confirm", json={"token": confirm}, timeout=30)
    assert confirmed.status_code == 200, confirmed.text
    token = await sealed_link(mongo, portal.identity_ns, "dantai-net", user_id, "login")
    return Link("/realms/dantai-net/login-link", token, "ログインを確認しました", session)


async def auth_email_link(portal: Portal, mongo: AsyncMongoClient[dict[str, Any]]) -> Link:
    _, user_id = await _auth_email_asked(portal)
    token = await sealed_link(
        mongo, portal.identity_ns, "dantai-net", user_id, "auth_email_confirmation"
    )
    return Link("/realms/dantai-net/auth-email/confirm", token, "本登録が完了しました")


async def _auth_email_asked(portal: Portal) -> tuple[str, str]:
    """A dantai-net admin past the forced password change who has asked for the
    e-mail-authentication address's confirmation: the pending session and the user."""
    url = portal.identity.url
    org = new_org(url, "dantai-net", f"XA3{uuid.uuid4().hex[:8]}")
    session = signed_in(url, "dantai-net", org["admin_login_id"], org["initial_password"])
    asked = httpx.post(
        f"{url}/v1/realms/dantai-net/login/auth-email",
        json={"email": f"auth-{uuid.uuid4().hex[:8]}@example.jp"},
        headers=bearer(session),
        timeout=30,
    )
    assert asked.status_code == 202, asked.text
    return session, org["admin_user_id"]


async def email_change_link(portal: Portal, mongo: AsyncMongoClient[dict[str, Any]]) -> Link:
    url = portal.identity.url
    org = new_org(url, "nexi", f"{uuid.uuid4().int % 10**11:011d}", {"email": "old@example.jp"})
    session = signed_in(url, "nexi", org["admin_login_id"], org["initial_password"])
    asked = httpx.post(
        f"{url}/v1/realms/nexi/email-change",
        json={"current_password": NEW_PASSWORD, "new_email": "new@example.jp"},
        headers=bearer(session),
        timeout=30,
    )
    assert asked.status_code == 202, asked.text
    token = await sealed_link(
        mongo, portal.identity_ns, "nexi", org["admin_user_id"], "email_change_confirmation"
    )
    return Link("/realms/nexi/email-change/confirm", token, "メールアドレスの変更が完了しました")


async def activation_link(portal: Portal, mongo: AsyncMongoClient[dict[str, Any]]) -> Link:
    """A kencom sign-up's activation link, from its ``SignupStarted`` (EN-02)."""
    email = f"member-{uuid.uuid4().hex[:12]}@example.jp"
    started = httpx.post(
        f"{portal.enroll.url}/v1/realms/kencom/signups",
        json={
            "email": email,
            "email_confirmation": email,
            "password": "Kenko-Pass9",
            "accept_terms": True,
            "accept_privacy": True,
        },
        timeout=30,
    )
    assert started.status_code == 202, started.text
    commits = mongo[portal.enroll_ns.database("enroll")]["commits"]

    async def sealed() -> str | None:
        async for commit in commits.find({}):
            for event in commit["events"]:
                found = json.loads(event["json"])
                if found["type"] == "SignupStarted" and found["email"] == email:
                    return str(found["sealed_activation_link"])
        return None

    link = open_sealed(SealedSecret.from_wire(await eventually(sealed)), NOTIFY_PRIVATE)
    return Link("/realms/kencom/activate", link.split("token=", 1)[1], "保険証情報の入力")


LINKS: dict[str, Callable[[Portal, AsyncMongoClient[dict[str, Any]]], Awaitable[Link]]] = {
    "login link": login_link,
    "e-mail-authentication confirmation": auth_email_link,
    "e-mail-change confirmation": email_change_link,
    "kencom activation": activation_link,
}


def opened(portal: Portal, link: Link) -> tuple[int, str, str]:
    """The link opened in a browser: the page's status, its HTML and its form's CSRF token
    (also the ``__Host-csrf`` cookie the page set)."""
    gw = portal.gateway
    status, _, page = curl(gw, f"{gw.url}{link.path}?token={link.token}", *cookies(link))
    found = CSRF_FIELD.search(page)
    return status, page, found.group(1) if found else ""


def posted(portal: Portal, link: Link, csrf: str | None) -> tuple[int, str]:
    """The page's form sent: the link's token in the body, with the CSRF token or without."""
    gw = portal.gateway
    form = [f"token={link.token}"] + ([f"csrf_token={csrf}"] if csrf else [])
    status, _, body = curl(
        gw, f"{gw.url}{link.path}", *cookies(link, csrf), "-X", "POST",
        "--data", "&".join(form),
    )  # fmt: skip
    return status, body


def cookies(link: Link, csrf: str | None = None) -> list[str]:
    jar = [f"__Host-session={link.session}"] if link.session else []
    jar += [f"__Host-csrf={csrf}"] if csrf else []
    return ["-H", f"Cookie: {'; '.join(jar)}"] if jar else []


@pytest.mark.parametrize("kind", LINKS)
async def test_x_02_a_links_get_consumes_nothing_only_its_pages_csrf_checked_post_does(
    portal: Portal, mongo: AsyncMongoClient[dict[str, Any]], kind: str
) -> None:
    link = await LINKS[kind](portal, mongo)
    for _ in range(2):  # a mail scanner's prefetch, then the person
        status, page, csrf = opened(portal, link)
        assert status == 200 and 'method="post"' in page, page
        assert f'name="token" value="{link.token}"' in page, "the POST carries the token"
        assert csrf, "the page's form carries its CSRF token"
        assert link.done not in page, "opening the link did nothing"

    status, body = posted(portal, link, None)
    assert status == 403 and "エラーコード：CSRF_CHECK_FAILED" in body, (status, body)  # a page

    status, body = posted(portal, link, csrf)
    assert status == 200 and link.done in body, "the token was still unused"
    status, body = posted(portal, link, csrf)
    assert status in (404, 410) and link.done not in body, "the POST consumed it, once"

    logs = {
        "the gateway's access log": portal.gateway.access_log,
        "identity's log": portal.identity.log_path,
        "enroll's log": portal.enroll.log_path,
    }
    for name, log in logs.items():
        assert link.token not in log.read_text(), f"{name} holds the link's token"
