"""A refused browser route answers the portal's page, never raw JSON (WEB-04, WEB-03, X-15), in
a real Chromium behind the gateway: an organisation's admin who opens the ops dashboard is
refused it (403 FORBIDDEN) the same whatever it holds; the ops space's unknown address and an
unknown page are 404 NOT_FOUND. Each page has the problem's Japanese title (the tab's and the
heading), its code, and a link back to the portal's top, which leads there; axe on every step.
The API keeps problem+json for the same refusals.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``."""

from __future__ import annotations

import ssl

import httpx
import pytest
from portal_browser import Browser, chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By

from servicekit.problems import ProblemCode
from webkit.pages import BACK_LABEL

pytestmark = pytest.mark.integration

REALM = "demo"
NEW_PASSWORD = "Kaisha-Pass-2026"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def assert_refusal_page(browser: Browser, code: ProblemCode) -> None:
    """The page Chromium shows: the problem's title in the tab and as the only heading, its
    code, the realm's portal, and the link back to the portal's top; no JSON."""
    assert browser.driver.title == f"{code.title}｜デモポータル"
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == code.title
    assert f"エラーコード：{code.name}" in browser.text
    assert '"code"' not in browser.driver.page_source
    back = browser.driver.find_element(By.LINK_TEXT, BACK_LABEL)
    assert back.get_attribute("href") == f"{browser.base_url}/realms/{REALM}/home"


def answered(portal: Portal, path: str, session: str, accept: str) -> httpx.Response:
    """What the gateway answers for ``path`` with the browser's session: its status and type,
    which Chromium does not tell Selenium."""
    tls = ssl.create_default_context(cafile=str(portal.gateway.trust_file))
    return httpx.get(
        f"{portal.url}{path}",
        headers={"Accept": accept, "Cookie": f"__Host-session={session}"},
        verify=tls,
        follow_redirects=False,
        timeout=30,
    )


def test_web_04_x_15_an_admin_refused_the_ops_dashboard_sees_the_portals_page_not_json(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    org = portal.open_org(REALM)
    with chromium(portal.url, request.node.name, "admin") as admin:
        admin.log_in(REALM, org["admin_login_id"], org["initial_password"], "forced-change")
        admin.change_password(org["initial_password"], NEW_PASSWORD, "home")
        session = admin.cookie("__Host-session")
        assert session is not None

        refusals = [
            ("/realms/demo/ops/dashboard", ProblemCode.FORBIDDEN, "dashboard-refused"),
            ("/realms/demo/ops/", ProblemCode.NOT_FOUND, "ops-space-unknown"),
            ("/realms/demo/no-such-page", ProblemCode.NOT_FOUND, "unknown-page"),
        ]
        for path, code, step in refusals:
            admin.open(path, step)
            assert_refusal_page(admin, code)
            page = answered(portal, path, session["value"], BROWSER_ACCEPT)
            assert page.status_code == code.status, (path, page.text[:300])
            assert page.headers["content-type"].startswith("text/html"), path

        admin.driver.find_element(By.LINK_TEXT, BACK_LABEL).click()
        admin.step("back-at-the-top")
        assert admin.path == f"/realms/{REALM}/home", "the link back leads to the portal's top"


def test_web_04_the_api_keeps_problem_json_for_the_same_refusals(portal: Portal) -> None:
    """A program on a page's address that asks for JSON, and the API's unknown address."""
    org = portal.open_org(REALM)
    login = {"login_id": org["admin_login_id"], "password": org["initial_password"]}
    tls = ssl.create_default_context(cafile=str(portal.gateway.trust_file))
    with httpx.Client(base_url=portal.url, verify=tls, timeout=30) as api:
        session = api.post(f"/v1/realms/{REALM}/login", json=login).cookies["__Host-session"]
    for path, code in (
        ("/realms/demo/ops/", ProblemCode.NOT_FOUND),
        ("/v1/realms/demo/no-such-thing", ProblemCode.NOT_FOUND),
    ):
        answer = answered(portal, path, session, "application/json")
        assert answer.status_code == code.status, (path, answer.text[:300])
        assert answer.headers["content-type"].startswith("application/problem+json"), path
        assert (answer.json()["code"], answer.json()["title"]) == (code.name, code.title)
