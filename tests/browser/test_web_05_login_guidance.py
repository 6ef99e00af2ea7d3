"""The login page's conventions from the seeds, in a real browser behind the gateway (WEB-05,
WEB-03): dantai-net's guidance below the form (seed 000 Q1, Q10, Q16, Q18), each guide a page;
kencom's 新規登録 link to the sign-up (EN-09); and a browser whose session another one ended
(a password change elsewhere, ID-SESS-03) told 「セッション情報の取得に失敗しました」 on the
login page it is sent to (seed 000 Q13), once.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import pytest
from portal_browser import chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.integration

SEED_000_GUIDES = [
    "ご利用推奨OS・ブラウザのご案内",
    "はじめてログインされる団体様へ",
    "パソコン入替や、担当者の交代がある団体様へ",
    "ご利用のブラウザの変更を希望される団体様へ",
    "1台のPCで複数IDを併用する団体様へ",
]
ENDED = "セッション情報の取得に失敗しました"


async def test_web_05_dantai_nets_login_page_links_the_seeds_guides_and_kencoms_its_sign_up(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    with chromium(portal.url, request.node.name) as browser:
        browser.open("/realms/dantai-net/login", "dantai-net-login")
        links = browser.driver.find_elements(By.CSS_SELECTOR, "#login-guides a")
        assert [link.text for link in links] == SEED_000_GUIDES
        hrefs = [str(link.get_attribute("href")).removeprefix(portal.url) for link in links]
        for href, title in zip(hrefs, SEED_000_GUIDES, strict=True):
            browser.open(href, f"guide-{href.rsplit('/', 1)[-1]}")
            assert browser.driver.find_element(By.TAG_NAME, "h1").text == title
        browser.open("/realms/dantai-net/guides/new-pc", "new-pc-again")
        steps = browser.driver.find_element(By.ID, "guide-steps").text
        assert "ブラウザ情報初期化" in steps, "what to do, step by step (seed 000 Q10, Q16)"
        browser.open("/realms/dantai-net/guides/nothing-here", "unknown-guide")
        assert "見つかりません" in browser.text or "404" in browser.text
        browser.open("/realms/mypage/login", "mypage-login")
        assert not browser.driver.find_elements(By.ID, "login-guides"), "seed 002 links none"
        assert "新規登録" not in browser.text

        browser.open("/realms/kencom/login", "kencom-login")
        browser.driver.find_element(By.LINK_TEXT, "新規登録はこちら").click()
        browser.step("kencom-sign-up")
        assert browser.path.startswith("/realms/kencom/signup")


async def test_web_05_a_session_ended_elsewhere_is_told_on_the_login_page_once(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    org = portal.open_org("demo")
    admin, first_password = org["admin_login_id"], "Kaisha-Pass-2026"
    name = request.node.name
    with chromium(portal.url, name, "office") as office, chromium(portal.url, name, "home") as home:
        office.log_in("demo", admin, org["initial_password"], "forced-change")
        office.change_password(org["initial_password"], first_password, "office-home")
        assert office.path == "/realms/demo/home"
        home.log_in("demo", admin, first_password, "home-logged-in")
        home.open("/realms/demo/password-change", "home-password-change")
        home.change_password(first_password, "Kaisha-Pass-2027", "home-changed")

        office.open("/realms/demo/home", "office-sent-to-login")
        assert office.path == "/realms/demo/login"
        assert office.driver.find_element(By.ID, "session-ended").text.startswith(ENDED)
        assert office.cookie("__Host-session") is None, "the dead cookie is forgotten"
        office.open("/realms/demo/login", "office-login-again")
        assert ENDED not in office.text, "said once"
