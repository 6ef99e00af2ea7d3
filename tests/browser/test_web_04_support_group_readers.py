"""nexi's group-wide read-only IDs in the support console (WEB-04, WEB-05; ID-USER-09, 全社閲覧用ID)
in a real Chromium behind the gateway: nexi's support operator, from the login page through the
top page's サポートコンソール link, issues one ID reading two organisations (確認する → 確定する,
the initial password shown once on the result page only), then finds it listed with both
on the form's page (the newest first); the reader logs in, changes the initial password, and
reads both organisations through the API, a third one and any change refused. Anyone but
nexi's support gets the portal's 403 page; junk to the form is a page, never a 500, and
issues nothing. axe on every step; the support's walk at a phone's 390 px.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from portal_browser import Browser, chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from servicekit.problems import ProblemCode

pytestmark = pytest.mark.integration

REALM = "nexi"
FORM = f"/realms/{REALM}/support/group-readers"
NEW_PASSWORD = "Kaisha-Pass-2026"


def follow(browser: Browser, link: str, step: str) -> None:
    """Click a link as a person would, wait for the next page, record the step."""
    old = browser.driver.find_element(By.TAG_NAME, "html")
    browser.driver.find_element(By.LINK_TEXT, link).click()
    WebDriverWait(browser.driver, 15).until(lambda d: _replaced(old))
    browser.step(step)


def _replaced(element: object) -> bool:
    try:
        element.is_enabled()  # type: ignore[attr-defined]
    except Exception:  # the next page replaced it
        return True
    return False


def support_at_console(portal: Portal, browser: Browser, realm: str = REALM) -> None:
    """The realm's support operator, made on the command line, from the login page: the forced
    change of its initial password, the portal's top page, its サポートコンソール link."""
    operator = portal.support_operator(realm)
    browser.log_in(realm, operator["login_id"], operator["initial_password"], "forced-change")
    browser.change_password(operator["initial_password"], NEW_PASSWORD, "top-page")
    assert browser.path == f"/realms/{realm}/home", "a login ends on the portal's top page"
    follow(browser, "サポートコンソール", "console-home")
    assert browser.path == f"/realms/{realm}/support/"


def nexi_id() -> str:
    """A login ID in nexi's shape: 11 digits."""
    return f"{uuid.uuid4().int % 10**11:011d}"


def nexi_org(portal: Portal) -> dict[str, Any]:
    return portal.open_org(REALM, login_id=nexi_id(), profile={"email": "soumu@example.jp"})


def fits_390(browser: Browser) -> None:
    width = browser.driver.execute_script("return document.documentElement.scrollWidth")
    inner = browser.driver.execute_script("return window.innerWidth")
    assert width <= inner, f"{browser.path} scrolls sideways at 390 px ({width} > {inner})"


def session_token(browser: Browser) -> str:
    cookie = browser.cookie("__Host-session")
    assert cookie, "a logged-in browser holds its session"
    return str(cookie["value"])


def test_web_04_id_user_09_nexi_support_issues_a_group_reader_who_reads_both_organisations(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    org_a, org_b, org_c = nexi_org(portal), nexi_org(portal), nexi_org(portal)
    with (
        chromium(portal.url, request.node.name, "support") as support,
        chromium(portal.url, request.node.name, "reader") as reader,
    ):
        support.driver.set_window_size(390, 844)
        support_at_console(portal, support, REALM)
        follow(support, "全社閲覧用ID", "group-readers-form")
        assert support.path == FORM
        fits_390(support)

        support.press("確認する", "form-refused")
        assert support.focused_id() == "error-summary", "the errors are announced and focused"
        assert "ログインIDを入力してください" in support.text
        assert "閲覧する団体の団体IDを入力してください" in support.text
        fits_390(support)

        login_id = nexi_id()
        support.fill("login_id", login_id)
        support.fill("org_ids", f"{org_a['org_id']}\n{org_b['org_id']}\n")
        support.press("確認する", "confirm")
        assert login_id in support.text
        assert org_a["org_id"] in support.text and org_b["org_id"] in support.text
        assert "テスト団体" in support.text
        fits_390(support)

        support.press("確定する", "issued")
        assert support.driver.find_element(By.ID, "reader-login-id").text == login_id
        password = support.driver.find_element(By.ID, "initial-password").text
        assert password and "この画面でのみ表示されます" in support.text
        assert password not in support.path, "never in an address"
        fits_390(support)

        support.open(FORM, "form-with-the-reader-listed")
        assert password not in support.text, "shown once, on the result page only"
        rows = support.driver.find_elements(By.CSS_SELECTOR, "#group-readers tbody tr")
        assert rows, "the issued readers are listed"
        newest = rows[0]
        assert newest.find_element(By.TAG_NAME, "th").text == login_id, "the newest first"
        orgs = [a.get_attribute("href") for a in newest.find_elements(By.CSS_SELECTOR, "td a")]
        assert orgs == [
            f"{support.base_url}/realms/{REALM}/support/orgs/{org['org_id']}"
            for org in (org_a, org_b)
        ], "with the organisations it reads, each linked to its page"
        fits_390(support)

        reader.log_in(REALM, login_id, password, "reader-forced-change")
        assert reader.path == f"/realms/{REALM}/password-change"
        reader.change_password(password, NEW_PASSWORD, "reader-top-page")
        assert reader.path == f"/realms/{REALM}/home"
        assert "各種保険契約の一元照会" in reader.text
        token = session_token(reader)

        me = portal.call("GET", "/v1/sessions/current", token).json()
        assert me["role"] == "group_reader"
        assert sorted(me["readable_org_ids"]) == sorted([org_a["org_id"], org_b["org_id"]])
        for org in (org_a, org_b):
            read = portal.call("GET", f"/v1/realms/{REALM}/orgs/{org['org_id']}", token)
            assert read.status_code == 200, read.text
            assert read.json()["org_id"] == org["org_id"]
            users = portal.call("GET", f"/v1/realms/{REALM}/orgs/{org['org_id']}/users", token)
            assert users.status_code == 200, users.text
        other = portal.call("GET", f"/v1/realms/{REALM}/orgs/{org_c['org_id']}", token)
        assert other.json()["code"] == "FORBIDDEN", "not in its group"
        write = portal.call(
            "POST",
            f"/v1/realms/{REALM}/orgs/{org_a['org_id']}/users",
            token,
            json={"login_id": nexi_id(), "profile": {"email": "x@example.jp"}},
        )
        assert (write.status_code, write.json()["code"]) == (403, "FORBIDDEN"), "read-only"

        reader.open(FORM, "reader-refused")
        assert reader.driver.find_element(By.TAG_NAME, "h1").text == ProblemCode.FORBIDDEN.title
        assert "エラーコード：FORBIDDEN" in reader.text


_JUNK = "ｘ" * 300 + "\x00<script>"

#: Junk bodies posted with the form's token from the page itself (fetch, same origin).
_POST_ALL = """
const [action, bodies, done] = arguments;
const token = document.querySelector('input[name=csrf_token]').value;
Promise.all(bodies.map(async (fields) => {
  const form = new URLSearchParams({csrf_token: token, ...fields});
  const answer = await fetch(action, {method: 'POST', body: form, redirect: 'manual'});
  return [answer.status, answer.headers.get('content-type') || ''];
})).then(done, (e) => done(String(e)));
"""


def test_web_04_x_05_junk_to_the_group_reader_form_is_a_page_and_issues_nothing(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    org = nexi_org(portal)
    login_id = nexi_id()
    unknown = "0" * 32
    bodies = [
        {"step": step, "login_id": login, "org_ids": orgs}
        for step in ("confirm", "commit", "ｘ" * 30)
        for login, orgs in (
            (_JUNK, _JUNK),
            (login_id, _JUNK),
            (login_id, unknown),
            (login_id, f"{org['org_id']} {unknown}"),
            (login_id, "a" * 8001),
            ("１２３４５６７８９０１", org["org_id"]),
            (login_id, " ".join([org["org_id"]] * 3 + [f"{n:032x}" for n in range(201)])),
        )
    ] + [{"step": "commit"}, {"login_id": login_id}, {"org_ids[]": org["org_id"]}]
    with chromium(portal.url, request.node.name, "support") as support:
        support_at_console(portal, support, REALM)
        follow(support, "全社閲覧用ID", "group-readers-form")
        answers = support.driver.execute_async_script(_POST_ALL, FORM, bodies)
        assert isinstance(answers, list), answers
        for body, (status, kind) in zip(bodies, answers, strict=True):
            assert status < 500, (status, body)
            assert status >= 400, ("junk is refused", status, body)
            assert kind.startswith("text/html"), ("a page, never JSON", kind, body)

        support.fill("login_id", _JUNK)
        support.fill("org_ids", _JUNK)
        support.press("確認する", "junk-refused")
        assert support.focused_id() == "error-summary"
        support.fill("login_id", login_id)
        support.fill("org_ids", unknown)
        support.press("確認する", "unknown-org-refused")
        assert "見つかりません" in support.text

        support.fill("org_ids", org["org_id"])
        support.press("確認する", "confirm")
        support.press("確定する", "issued")
        assert support.driver.find_element(By.ID, "reader-login-id").text == login_id, (
            "the junk claimed no login ID"
        )


def test_web_04_x_15_the_group_reader_pages_refuse_everyone_but_nexis_support(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    with chromium(portal.url, request.node.name, "stranger") as stranger:
        stranger.open(FORM, "stranger-sent-to-the-login")
        assert stranger.path == f"/realms/{REALM}/login"
    with chromium(portal.url, request.node.name, "demo-support") as other:
        support_at_console(portal, other, "demo")
        other.open(FORM, "other-realms-support-refused")
        assert other.driver.find_element(By.TAG_NAME, "h1").text == ProblemCode.FORBIDDEN.title
        other.open("/realms/demo/support/group-readers", "demo-has-no-group-readers")
        assert other.driver.find_element(By.TAG_NAME, "h1").text == ProblemCode.NOT_FOUND.title
