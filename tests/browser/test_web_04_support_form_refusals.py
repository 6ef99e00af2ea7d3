"""The support console's forms of identity's members, business-ID requests and trusted networks
(and the dantai-net admin's forms of ID requests and 団体情報の変更) against what a stranger
sends (X-05, X-12, X-15), through the gateway, no browser: without the CSRF token each answers
403 CSRF_CHECK_FAILED as a page; with it, junk in every field (at the confirmation step and at
確定する) is a page, never a 500, and changes nothing; a session that is not the realm's support
desk is refused with a page, never JSON, whatever it sends."""

from __future__ import annotations

import asyncio
import itertools
import ssl
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from identity_client import bearer, change_password, log_in, rotated, token_of
from mail_catchers import new_address
from portal_stack import Portal

pytestmark = pytest.mark.integration

ID = "0" * 32
PASSWORD = "Kaisha-Pass-2026"
FORMS = [
    ("dantai-net", "admin", "/realms/dantai-net/admin/id-requests"),
    ("dantai-net", "admin", "/realms/dantai-net/admin/org-info"),
    ("dantai-net", "support", f"/realms/dantai-net/support/id-requests/{ID}/{ID}/approve"),
    ("dantai-net", "support", f"/realms/dantai-net/support/id-requests/{ID}/{ID}/refuse"),
    ("dantai-net", "support", f"/realms/dantai-net/support/orgs/{ID}/admin/browser"),
    ("dantai-net", "support", f"/realms/dantai-net/support/orgs/{ID}/admin/auth-email"),
    ("mypage", "support", "/realms/mypage/support/members"),
    ("mypage", "support", f"/realms/mypage/support/members/{ID}/initialise"),
    ("kencom", "support", "/realms/kencom/support/members"),
    ("kencom", "support", "/realms/kencom/support/trusted-networks"),
    ("kencom", "support", "/realms/kencom/support/trusted-networks/remove"),
]
JUNK = {
    name: "ｘ" * 300 + "\x00<script>"
    for name in (
        "login_id",
        "name",
        "department",
        "email",
        "phone",
        "postal_code",
        "address",
        "note",
        "organisation",
        "networks",
        "q",
        "token",
    )
}

#: Each client comes from an address of its own on loopback, apart from the other refusals
#: tests' (the gateway limits some routes per address, GW-04).
ADDRESSES = (f"127.78.{n // 200}.{n % 200 + 2}" for n in itertools.count())


def client(portal: Portal, session: str | None = None) -> httpx.Client:
    tls = ssl.create_default_context(cafile=str(portal.gateway.trust_file))
    cookies = {"__Host-session": session} if session else None
    transport = httpx.HTTPTransport(verify=tls, local_address=next(ADDRESSES))
    return httpx.Client(
        base_url=portal.url,
        transport=transport,
        timeout=30,
        follow_redirects=False,
        cookies=cookies,
    )


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def _full_dantai_session(portal: Portal, login_id: str, initial: str) -> str:
    """`dantai-net`'s first login through its API (ID-MAIL-01, -02), links read from the mail."""
    url, realm, address = portal.identity.url, "dantai-net", new_address("form")
    token = token_of(log_in(url, realm, login_id, initial))
    token = rotated(change_password(url, realm, token, initial, PASSWORD))
    api = f"{url}/v1/realms/{realm}"
    asked = httpx.post(f"{api}/login/auth-email", json={"email": address}, headers=bearer(token))
    assert asked.status_code == 202, asked.text
    confirm = _token((await portal.links_to(address, 1))[0])
    assert httpx.post(f"{api}/auth-email/confirm", json={"token": confirm}).status_code == 200
    link = _token((await portal.links_to(address, 2))[1])
    followed = httpx.post(f"{api}/login-link", json={"token": link}, headers=bearer(token))
    assert followed.status_code == 200, followed.text
    return token_of(httpx.post(f"{api}/login/complete", headers=bearer(token)))


def _signed_in(portal: Portal, realm: str, login_id: str, initial: str) -> str:
    url = portal.identity.url
    token = token_of(log_in(url, realm, login_id, initial))
    return rotated(change_password(url, realm, token, initial, PASSWORD))


@pytest.fixture(scope="module")
def sessions(portal: Portal) -> dict[tuple[str, str], str]:
    """The session each form is sent with: the realm's support desk, or `dantai-net`'s admin."""
    return asyncio.run(_sessions(portal))


async def _sessions(portal: Portal) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for realm in ("mypage", "kencom"):
        desk = portal.support_operator(realm)
        found[(realm, "support")] = _signed_in(
            portal, realm, desk["login_id"], desk["initial_password"]
        )
    desk = portal.support_operator("dantai-net")
    found[("dantai-net", "support")] = await _full_dantai_session(
        portal, desk["login_id"], desk["initial_password"]
    )
    org = portal.open_org("dantai-net", profile={"email": "m@example.jp", "phone": "03-1"})
    found[("dantai-net", "admin")] = await _full_dantai_session(
        portal, org["admin_login_id"], org["initial_password"]
    )
    found[("demo", "admin")] = _signed_in(
        portal, "demo", (o := portal.open_org("demo"))["admin_login_id"], o["initial_password"]
    )
    return found


def _state(portal: Portal, sessions: dict[tuple[str, str], str]) -> dict[str, Any]:
    """What the forms could change, as the desk's API reads it."""

    def get(realm: str, path: str) -> Any:
        token = sessions[(realm, "support")]
        answer = portal.call("GET", f"/v1/realms/{realm}{path}", token)
        assert answer.status_code == 200, answer.text
        return answer.json()

    return {
        "requests": get("dantai-net", "/id-requests"),
        "mypage": get("mypage", "/members?q=%EF%BD%98"),
        "kencom": get("kencom", "/members?q=%EF%BD%98"),
        "trusted": get("kencom", "/trusted-addresses"),
    }


@pytest.mark.parametrize(("realm", "who", "path"), FORMS)
def test_x_12_a_console_form_without_its_token_is_refused(
    portal: Portal, sessions: dict[tuple[str, str], str], realm: str, who: str, path: str
) -> None:
    with client(portal, sessions[(realm, who)]) as browser:
        answer = browser.post(path, data={"login_id": "x", "step": "commit"})
    assert answer.status_code == 403, (path, answer.text)
    assert answer.headers["content-type"].startswith("text/html"), "a page's refusal (WEB-04)"
    assert "エラーコード：CSRF_CHECK_FAILED" in answer.text, (path, answer.text)


@pytest.mark.parametrize(("realm", "who", "path"), FORMS)
def test_x_05_junk_in_every_console_field_never_answers_500_and_changes_nothing(
    portal: Portal, sessions: dict[tuple[str, str], str], realm: str, who: str, path: str
) -> None:
    before = _state(portal, sessions)
    with client(portal, sessions[(realm, who)]) as browser:
        browser.get(f"/realms/{realm}/login")
        token = browser.cookies.get("__Host-csrf")
        assert token, "every page sets the form token"
        for step in ("confirm", "commit", "ｘ" * 30):
            junk = JUNK | {"csrf_token": token, "step": step}
            answer = browser.post(path, data=junk)
            assert answer.status_code < 500, (path, answer.status_code, answer.text[:300])
            assert answer.headers["content-type"].startswith("text/html"), (path, answer.text)
            wrong = {"csrf_token": token, "step": step, "networks": "198.51.100.1/24"}
            assert browser.post(path, data=wrong | {"organisation": "x"}).status_code < 500
    assert _state(portal, sessions) == before, "junk changed nothing"


@pytest.mark.parametrize(
    "path",
    [
        "/realms/dantai-net/support/id-requests",
        "/realms/mypage/support/members",
        "/realms/kencom/support/members",
        "/realms/kencom/support/trusted-networks",
    ],
)
@pytest.mark.parametrize("who", [("dantai-net", "admin"), ("demo", "admin"), ("mypage", "support")])
def test_x_15_the_console_refuses_everyone_but_the_realms_desk_with_a_page(
    portal: Portal, sessions: dict[tuple[str, str], str], path: str, who: tuple[str, str]
) -> None:
    realm = path.split("/")[2]
    if who == (realm, "support"):
        return  # the realm's own desk: the page itself
    with client(portal, sessions[who]) as browser:
        page = browser.get(path)
        browser.get(f"/realms/{realm}/login")
        token = browser.cookies.get("__Host-csrf") or ""
        form = {"csrf_token": token, "step": "commit", "login_id": f"x-{uuid.uuid4().hex}"}
        target = f"{path}/{ID}/{ID}/refuse" if path.endswith("id-requests") else path
        posted = browser.post(target, data=form)
    for answer in (page, posted):
        assert answer.status_code == 403, (path, who, answer.text[:300])
        assert answer.headers["content-type"].startswith("text/html"), "a page, never JSON"
        assert "エラーコード：FORBIDDEN" in answer.text


def test_x_15_a_browser_without_a_session_is_sent_to_the_login(portal: Portal) -> None:
    with client(portal) as browser:
        answer = browser.get("/realms/mypage/support/members")
    assert answer.status_code in (302, 303) and answer.headers["location"].endswith("/login")
