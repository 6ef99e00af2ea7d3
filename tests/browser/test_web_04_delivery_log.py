"""The support console's delivery log (WEB-04, X-15, X-02) in a real browser behind the gateway:
the realm's support desk finds the mail it sent (a temporary password, ID-PW-05) by the day it
was sent (Tokyo) and by its organisation, with its kind and outcome, at desktop and phone width;
another realm's support, the organisation's admin and a stranger get the portal's refusal (or the
login) and nothing of the log; junk in the search form is a page, never a 500; the mailed
password is in no page.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from identity_client import signed_in, support_session
from mail_catchers import new_address
from portal_browser import Browser, chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By

from domainkit.tokyo import TOKYO
from servicekit.problems import ProblemCode

pytestmark = pytest.mark.integration

REALM = "demo"
NEW_PASSWORD = "Kaisha-Pass-2026"
PAGE = f"/realms/{REALM}/support/deliveries"
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def tls(portal: Portal) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(portal.gateway.trust_file))


def page(portal: Portal, session: str | None, path: str = PAGE, **query: str) -> httpx.Response:
    """The page as the gateway answers it for a browser with ``session`` (no redirect
    followed), with its status and type, which Chromium does not tell Selenium."""
    cookies = {"__Host-session": session} if session else None
    return httpx.get(
        f"{portal.url}{path}",
        params=query,
        headers={"Accept": HTML},
        cookies=cookies,
        verify=tls(portal),
        follow_redirects=False,
        timeout=30,
    )


def ask_temporary_password(portal: Portal, login_id: str, email: str) -> None:
    """ID-PW-05 through the gateway's API: the mail the support desk then looks up."""
    asked = httpx.post(
        f"{portal.url}/v1/realms/{REALM}/temporary-password",
        json={"login_id": login_id, "email": email},
        verify=tls(portal),
        timeout=30,
    )
    assert asked.status_code == 202, asked.text


def with_session(browser: Browser, session: str) -> None:
    """A browser holding ``session``, as its own login would have left it."""
    browser.driver.get(f"{browser.base_url}/healthz")
    browser.driver.add_cookie(
        {"name": "__Host-session", "value": session, "path": "/", "secure": True}
    )


def rows(browser: Browser) -> list[str]:
    return [r.text for r in browser.driver.find_elements(By.CSS_SELECTOR, "#deliveries tbody tr")]


def search(browser: Browser, step: str, **fields: str) -> None:
    """The search form, filled as typed (a date as its picker sets it), then 検索する."""
    for name, value in fields.items():
        if name == "day":
            browser.set_value(name, value)
        else:
            browser.fill(name, value)
    browser.press("検索する", step)
    results(browser, f"{step}-results")


def results(browser: Browser, step: str) -> None:
    """The step's screenshot with the results in view (below the form)."""
    found = browser.driver.find_elements(By.ID, "results-title")
    if found:
        browser.driver.execute_script("arguments[0].scrollIntoView();", found[0])
    browser.step(step)


def until_shown(browser: Browser, found: Callable[[list[str]], bool], step: str) -> None:
    """The page reloaded until its rows show what ``found`` looks for (the mail's outcome is
    recorded just after the SMTP server took it)."""
    deadline = time.monotonic() + 60
    while not found(rows(browser)):
        assert time.monotonic() < deadline, rows(browser)
        time.sleep(0.5)
        browser.driver.refresh()
    results(browser, step)


async def test_web_04_x_15_support_finds_a_mailed_temporary_password_by_day_and_organisation(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    address = new_address("deliveries")
    org = portal.open_org(REALM, profile={"email": address})
    ask_temporary_password(portal, org["admin_login_id"], address)
    temporary = await portal.line_in_mail(address, "仮パスワード")
    desk = portal.support_operator(REALM)
    today = datetime.now(TOKYO).date()

    def mailed(found: list[str]) -> bool:
        return any(address in r and "送信済み" in r for r in found)

    with chromium(portal.url, request.node.name, "support") as support:
        support.log_in(REALM, desk["login_id"], desk["initial_password"], "forced-change")
        support.change_password(desk["initial_password"], NEW_PASSWORD, "home")
        support.open(PAGE, "delivery-log")
        assert support.driver.title == "メール送信履歴｜デモポータル"
        seen = [support.driver.page_source]

        search(support, "by-day", day=today.isoformat())
        assert support.path.startswith(f"{PAGE}?") and f"day={today.isoformat()}" in support.path
        until_shown(support, mailed, "by-day-sent")
        [mine] = [r for r in rows(support) if address in r]
        assert "仮パスワードのお知らせ" in mine and org["org_id"] in mine
        assert today.isoformat() in mine, "the time is Tokyo's, on the day searched"
        seen.append(support.driver.page_source)

        search(support, "by-day-before", day=(today - timedelta(days=1)).isoformat())
        assert not any(address in r for r in rows(support))

        support.set_value("day", "")
        search(support, "by-organisation", org=org["org_id"])
        found = rows(support)
        assert any(address in r and "送信済み" in r for r in found), found
        assert all(org["org_id"] in r for r in found), "only the organisation's mails"
        seen.append(support.driver.page_source)

        search(support, "by-address", org="", recipient=address)
        assert [r for r in rows(support) if address in r] == [mine]
        support.driver.find_element(By.LINK_TEXT, org["org_id"]).click()
        support.step("organisation-link")
        assert f"org={org['org_id']}" in support.path
        assert all(org["org_id"] in r for r in rows(support))
        seen.append(support.driver.page_source)

        support.driver.set_window_size(390, 844)
        support.open(f"{PAGE}?org={org['org_id']}&day={today.isoformat()}", "phone-width")
        width = support.driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, "the page fits a 390-pixel-wide phone (WEB-05)"
        seen.append(support.driver.page_source)

        for source in seen:
            assert temporary not in source, "no mailed secret on the page (X-02)"


async def test_web_04_x_15_another_realms_support_an_admin_and_a_stranger_see_nothing_of_the_log(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    address = new_address("refused")
    org = portal.open_org(REALM, profile={"email": address})
    ask_temporary_password(portal, org["admin_login_id"], address)
    await portal.line_in_mail(address, "仮パスワード")
    foreign, _ = support_session(portal.identity, "nexi")
    admin = signed_in(portal.identity.url, REALM, org["admin_login_id"], org["initial_password"])
    desk, _ = support_session(portal.identity, REALM)

    def holds_the_mail() -> bool:
        answer = page(portal, desk, recipient=address, status="sent")
        return address in answer.text

    deadline = time.monotonic() + 60
    while not holds_the_mail():
        assert time.monotonic() < deadline, "the demo support desk sees the mail"
        time.sleep(0.5)

    refused = {"another-realms-support": foreign, "the-organisations-admin": admin}
    for who, session in refused.items():
        for query in ({}, {"org": org["org_id"]}, {"recipient": address}):
            answer = page(portal, session, **query)
            assert answer.status_code == 403, (who, answer.text[:300])
            assert answer.headers["content-type"].startswith("text/html"), who
            assert "FORBIDDEN" in answer.text and address not in answer.text, who
            assert org["org_id"] not in answer.text and "deliveries" not in answer.text, who
        with chromium(portal.url, request.node.name, who) as browser:
            with_session(browser, session)
            browser.open(f"{PAGE}?org={org['org_id']}", "refused")
            title = ProblemCode.FORBIDDEN.title
            assert browser.driver.find_element(By.TAG_NAME, "h1").text == title
            assert "エラーコード：FORBIDDEN" in browser.text
            assert address not in browser.driver.page_source
            assert not browser.driver.find_elements(By.ID, "deliveries")

    for who, session in {"stranger": None, "junk-session": "x" * 43}.items():
        answer = page(portal, session, org=org["org_id"])
        assert answer.status_code == 303, (who, answer.text[:300])
        assert answer.headers["location"] == f"/realms/{REALM}/login", who
        assert address not in answer.text and org["org_id"] not in answer.text, who
        with chromium(portal.url, request.node.name, who) as browser:
            if session:
                with_session(browser, session)
            browser.open(f"{PAGE}?org={org['org_id']}", "sent-to-the-login")
            assert browser.path == f"/realms/{REALM}/login"
            assert address not in browser.driver.page_source


JUNK = "ｘ" * 300 + "\x00<script>"
FIELDS = ("org", "day", "status", "recipient", "page")
JUNK_VALUES = (
    JUNK,
    "x" * 2000,
    "<script>alert(1)</script>",
    "2026-02-30",
    "-1",
    "99999999999999999999",
    "' OR 1=1 --",
    '{"$gt": ""}',
    "\u202e",
)


def test_web_04_x_05_junk_in_the_search_form_is_a_page_never_a_500(portal: Portal) -> None:
    desk, _ = support_session(portal.identity, REALM)
    for name in FIELDS:
        for value in JUNK_VALUES:
            answer = page(portal, desk, **{name: value})
            assert answer.status_code in (200, 422), (name, value, answer.text[:300])
            assert answer.headers["content-type"].startswith("text/html"), (name, value)
            assert "<script>alert" not in answer.text, "typed text is escaped"
    every: dict[str, Any] = dict.fromkeys(FIELDS, "ｘ" * 30 + "\x00<script>")
    answer = page(portal, desk, **every)
    assert answer.status_code == 422 and "入力内容をご確認ください" in answer.text
    for name in ("org", "day", "recipient"):
        assert f'href="#{name}"' in answer.text, f"the summary links to {name}"
