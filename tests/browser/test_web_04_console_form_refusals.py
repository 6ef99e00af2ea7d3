"""The support console's identity forms against what a stranger sends (X-05, X-12, WEB-04),
through the gateway, no browser: without the CSRF token each answers 403 CSRF_CHECK_FAILED,
and with it junk in every field is a page, never a 500 and never a change (no organisation
opened, no operator made, the admin neither locked nor initialised)."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest
from portal_stack import Portal

pytestmark = pytest.mark.integration

UNKNOWN = "0" * 32
PASSWORD = "Kaisha-Pass-2026"
JUNK_NAME = "ｘ" * 300 + "\x00<script>"
JUNK = {
    name: JUNK_NAME
    for name in ("name", "login_id", "admin_name", "email", "phone", "key", "note", "q")
} | {"note": "ｎ" * 501}


def client(portal: Portal, session: str | None = None) -> httpx.Client:
    tls = ssl.create_default_context(cafile=str(portal.gateway.trust_file))
    return httpx.Client(
        base_url=portal.url,
        verify=tls,
        timeout=30,
        follow_redirects=False,
        cookies={"__Host-session": session} if session else None,
    )


def signed_in(portal: Portal, realm: str, login_id: str, initial: str) -> str:
    with client(portal) as api:
        login = {"login_id": login_id, "password": initial}
        token = api.post(f"/v1/realms/{realm}/login", json=login).cookies["__Host-session"]
        changed = api.post(
            f"/v1/realms/{realm}/password",
            json={"current_password": initial, "new_password": PASSWORD},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert changed.status_code == 204, changed.text
        return str(changed.cookies["__Host-session"])


@pytest.fixture(scope="module")
def desk(portal: Portal) -> dict[str, Any]:
    """A support session per realm, and an organisation of `demo` whose admin has logged in."""
    sessions = {}
    for realm in ("demo", "nexi"):
        operator = portal.support_operator(realm)
        sessions[realm] = signed_in(
            portal, realm, operator["login_id"], operator["initial_password"]
        )
    org = portal.open_org("demo")
    signed_in(portal, "demo", org["admin_login_id"], org["initial_password"])
    return {"sessions": sessions, "org": org}


def forms(org_id: str) -> list[tuple[str, str]]:
    return [
        ("demo", "/realms/demo/support/orgs/new"),
        ("demo", "/realms/demo/support/orgs/open"),
        ("demo", "/realms/demo/support/operators/new"),
        ("demo", "/realms/demo/support/operators"),
        ("demo", f"/realms/demo/support/orgs/{org_id}/admin/lock"),
        ("demo", f"/realms/demo/support/orgs/{org_id}/admin/unlock"),
        ("demo", f"/realms/demo/support/orgs/{org_id}/admin/anything"),
        ("demo", f"/realms/demo/support/orgs/{UNKNOWN}/admin/initialise"),
        ("demo", "/realms/demo/support/orgs/not-an-id/admin/initialise"),
        ("nexi", f"/realms/nexi/support/orgs/{UNKNOWN}/admin/reset"),
        ("demo", f"/realms/demo/support/orgs/{UNKNOWN}/admin/reset"),
    ]


def test_x_12_the_consoles_forms_without_their_token_are_refused(
    portal: Portal, desk: dict[str, Any]
) -> None:
    for realm, path in forms(desk["org"]["org_id"]):
        with client(portal, desk["sessions"][realm]) as browser:
            answer = browser.post(path, data={"login_id": "x", "name": "x"})
        assert answer.status_code in (403, 422), (path, answer.text[:300])
        assert answer.headers["content-type"].startswith("text/html"), path
        if answer.status_code == 403:
            assert "エラーコード：CSRF_CHECK_FAILED" in answer.text, path


def test_x_05_junk_in_every_field_of_the_console_never_answers_500_nor_changes_anything(
    portal: Portal, desk: dict[str, Any]
) -> None:
    org = desk["org"]
    for realm, path in forms(org["org_id"]):
        with client(portal, desk["sessions"][realm]) as browser:
            browser.get(f"/realms/{realm}/support/")
            token = browser.cookies.get("__Host-csrf")
            assert token, "the console's pages set the form token"
            answer = browser.post(path, data=JUNK | {"csrf_token": token})
        assert answer.status_code < 500, (path, answer.status_code, answer.text[:300])
        assert answer.status_code >= 400, (path, "junk changes nothing", answer.text[:300])
        assert answer.headers["content-type"].startswith("text/html"), path

    with client(portal, desk["sessions"]["demo"]) as browser:
        found = browser.get("/realms/demo/support/orgs", params={"q": JUNK_NAME[:50]})
        assert found.status_code == 200 and "0件" in found.text, "no organisation opened"
        page = browser.get(f"/realms/demo/support/orgs/{org['org_id']}")
        assert "ロック中" not in page.text, "the admin was not locked"
    with client(portal) as api:
        login = {"login_id": org["admin_login_id"], "password": PASSWORD}
        again = api.post("/v1/realms/demo/login", json=login)
        assert again.status_code == 200, "nor initialised: the password it had"
        assert again.json()["password_change_required"] is False


@pytest.mark.parametrize(
    "path",
    [
        "/realms/demo/support/",
        "/realms/demo/support/orgs",
        "/realms/demo/support/operators",
        f"/realms/demo/support/orgs/{UNKNOWN}",
    ],
)
def test_x_15_the_console_sends_a_stranger_to_the_login(portal: Portal, path: str) -> None:
    with client(portal) as browser:
        answer = browser.get(path)
    assert answer.status_code == 303, (path, answer.text[:300])
    assert answer.headers["location"] == "/realms/demo/login"


def test_gw_02_the_support_operators_api_is_routed_for_a_session_only(
    portal: Portal, desk: dict[str, Any]
) -> None:
    """``POST /v1/realms/{realm}/support-operators``, the console's API twin: the gateway
    refuses it without a session before identity is asked, and routes it with one."""
    path = "/v1/realms/demo/support-operators"
    with client(portal) as api:
        refused = api.post(path, json={"login_id": "SUPstranger"})
        assert (refused.status_code, refused.json()["code"]) == (401, "SESSION_EXPIRED")
    made = portal.call("POST", path, desk["sessions"]["demo"], json={"login_id": "ＳＵＰ"})
    assert (made.status_code, made.json()["code"]) == (422, "HALF_WIDTH_REQUIRED"), made.text
