"""ログイン・操作履歴 in a real browser behind the gateway (AU-07, WEB-01, WEB-03, WEB-05; seed
002: after a suspected leak, check what happened, then change the password).

Someone else tries a My Page member's ID with a wrong password from another browser; the member
logs in, makes the forced change, opens ログイン・操作履歴 from My Page's menu and finds its
login, its change and the stranger's failed attempt (with the stranger's browser), newest
first, with the notice and the way to the password change; the page is read at 1200 and at
390 pixels; the JSON API answers the same through the gateway; after logging out the page
leads to the login.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import uuid

import pytest
from harness import eventually
from identity_client import signed_in
from mail_catchers import new_address
from portal_browser import Browser, chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.integration

REALM = "mypage"
PASSWORD = "Kyosai-Pass-2026"
NOTICE = "身に覚えのない操作がある場合は、すぐにパスワードを変更してください"

FETCH_JSON = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin"}).then(function (r) {
  return r.json().then(function (body) { done([r.status, body]); });
}, function (e) { done([0, String(e)]); });
"""


def at_both_widths(browser: Browser, step: str) -> None:
    """The page as it is, at 1200 and at 390 pixels (WEB-05: nothing wider than the phone)."""
    browser.step(f"{step}-1200px")
    browser.driver.set_window_size(390, 844)
    browser.driver.refresh()
    browser.step(f"{step}-390px")
    width = browser.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide at 390px"
    browser.driver.set_window_size(1200, 900)
    browser.driver.refresh()


def rows(browser: Browser) -> list[list[str]]:
    """日時, 操作, who did it if not the member (or ""), IPアドレス, ブラウザ."""
    found = browser.driver.find_elements(By.CSS_SELECTOR, "#own-history tbody tr")
    cells = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in found]
    return [[at, *[*what.split("\n"), ""][:2], ip, agent] for at, what, ip, agent in cells]


async def test_au_07_web_01_a_member_checks_its_own_history_and_is_led_to_the_password_change(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    email = new_address("history")
    desk = portal.support_operator(REALM)
    token = signed_in(portal.identity.url, REALM, desk["login_id"], desk["initial_password"])
    login_id = f"kyosai-{uuid.uuid4().hex[:8]}"
    made = portal.call(
        "POST",
        f"/v1/realms/{REALM}/members",
        token,
        json={"login_id": login_id, "profile": {"name": "共済 太郎", "email": email}},
    )
    assert made.status_code == 201, made.text
    initial = await portal.line_in_mail(email, "初期パスワード")

    with chromium(portal.url, request.node.name, profile="stranger") as stranger:
        stranger.log_in(REALM, login_id, "Guessed-Pass-1", "wrong-password")
        assert "/login" in stranger.path
        strangers_browser = stranger.driver.execute_script("return navigator.userAgent")

    with chromium(portal.url, request.node.name) as browser:
        browser.log_in(REALM, login_id, initial, "forced-change")
        browser.change_password(initial, PASSWORD, "my-page")
        browser.driver.find_element(By.LINK_TEXT, "ログイン・操作履歴").click()
        assert browser.path == f"/realms/{REALM}/my-history"

        def arrived() -> bool:
            operations = [r[1] for r in rows(browser)]
            if not {"ログイン", "パスワード変更", "ログイン失敗"} <= set(operations):
                browser.driver.refresh()
                return False
            return True

        await eventually(arrived, timeout=60, interval=1)
        at_both_widths(browser, "my-history")
        headers = browser.driver.find_elements(By.CSS_SELECTOR, "#own-history th")
        assert [h.text for h in headers] == ["日時", "操作", "IPアドレス", "ブラウザ"]
        assert NOTICE in browser.text
        shown = rows(browser)
        assert sorted(r[1:] for r in shown[-2:]) == [
            ["WebユーザーID登録", "（サポート窓口による操作）", "—", "—"],
            ["初期パスワード発行", "（サポート窓口による操作）", "—", "—"],
        ], "newest first: the desk's registration is last, and its address is not shown"
        [failed] = [r for r in shown if r[1] == "ログイン失敗"]
        assert failed[2] == "" and failed[3] not in ("", "—"), "the stranger's address"
        assert ("Google Chrome" in failed[4]) == ("Chrome/" in strangers_browser)

        status, body = browser.driver.execute_async_script(
            FETCH_JSON, f"/v1/realms/{REALM}/my-history"
        )
        assert status == 200, body
        assert [r["operation_label"] for r in body["rows"]] == [r[1] for r in shown]

        browser.driver.find_element(By.ID, "password-change").click()
        browser.step("password-change")
        assert browser.path == f"/realms/{REALM}/password-change"

        browser.open(f"/realms/{REALM}/home", "my-page-again")
        browser.press("ログアウト", "logged-out")
        browser.open(f"/realms/{REALM}/my-history", "my-history-without-a-session")
        assert browser.path == f"/realms/{REALM}/login"
