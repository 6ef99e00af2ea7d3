"""The portal's top page per realm in a real browser behind the gateway (WEB-01, WEB-03,
WEB-05; ID-LOGIN-04): the menus of the seed portal the realm reproduces, each link answering
200 (a page of this platform, or the page that stands for a business screen outside it while
the settings name no address), ようこそ…様 where the profile has a name, 前回ログイン日時 after
a second login, nexi's protected menus leading to the OTP while it is owed, and the page
usable 390 pixels wide (seed 002).

kihonet's top is behind its client certificate (GW-03): it is read from identity directly.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import random
import re
import uuid

import httpx
import pytest
from harness import PROVISIONING_TOKEN, eventually
from identity_client import new_org, signed_in
from kencom_signup import Person
from mail_catchers import new_address
from mypage_members import registered_member
from portal_browser import Browser, chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from contracts.common import Role
from services.identity.domain import portal_menus

pytestmark = pytest.mark.integration

PASSWORD = "Kaisha-Pass-2026"
KENCOM_PASSWORD = "Kenko-Pass9"
PREVIOUS = re.compile(r"前回ログイン日時：\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}")

FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin"}).then(function (r) {
  done([r.status, new URL(r.url).pathname]);
}, function (e) { done([0, String(e)]); });
"""


def expected(realm: str, role: Role) -> list[str]:
    portal = portal_menus.portal(realm)
    items = [i for m in portal.menus[role] for i in m.items]
    return [i.label for i in (*items, *portal.guide)]


def menus_answer(browser: Browser, realm: str, role: Role, owed: bool = False) -> None:
    """The menus are the seed portal's, each leading where the domain says (no address is
    set: a business screen leads to the page standing for it), and every link answers 200
    where it says: a page that sends the browser elsewhere (the login, the OTP) fails."""
    portal = portal_menus.portal(realm)
    items = (*(i for m in portal.menus[role] for i in m.items), *portal.guide)
    shown = portal_menus.entries(realm, items, {}, owed)
    links = browser.driver.find_elements(By.CSS_SELECTOR, "section.menu a, nav.guide a")
    assert [a.text for a in links] == [e.label for e in shown]
    hrefs = [str(a.get_attribute("href")).removeprefix(browser.base_url) for a in links]
    assert hrefs == [e.href for e in shown]
    for href in dict.fromkeys(hrefs):
        if href.endswith("/support/"):
            continue  # the support console's home: its own pages and tests
        status, path = browser.driver.execute_async_script(FETCH, href)
        assert (status, path) == (200, href), f"{href} answered {status} at {path}"


def full_session(browser: Browser, realm: str, step: str) -> None:
    """The waiting screen completes the login by itself once the link was used (ID-MAIL-02)."""
    browser.open(f"/realms/{realm}/login/waiting", "waiting-screen")
    WebDriverWait(browser.driver, 15).until(lambda d: d.current_url.endswith("/home"))
    browser.step(step)


def at_390_pixels(browser: Browser, step: str) -> None:
    """The top page on a phone's screen (WEB-05): nothing wider than it."""
    browser.driver.set_window_size(390, 844)
    browser.open(browser.path, step)
    width = browser.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide at 390px"
    browser.driver.set_window_size(1200, 900)


def log_out(browser: Browser) -> None:
    browser.press("ログアウト", "logged-out")


async def test_web_01_demo_top_page_menus_and_the_previous_login(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    realm = "demo"
    org = portal.open_org(realm, profile={"name": "山田 太郎"})
    with chromium(portal.url, request.node.name) as browser:
        browser.log_in(realm, org["admin_login_id"], org["initial_password"], "forced-change")
        browser.change_password(org["initial_password"], PASSWORD, "home")
        assert browser.path == f"/realms/{realm}/home"
        assert "ようこそ山田\u3000太郎様" in browser.text
        assert "前回ログイン日時" not in browser.text, "the first login has no previous one"
        menus_answer(browser, realm, Role.ADMIN)
        at_390_pixels(browser, "home-390px")
        log_out(browser)
        browser.log_in(realm, org["admin_login_id"], PASSWORD, "second-login")
        assert PREVIOUS.search(browser.text), browser.text


async def test_web_01_mypage_top_page_greets_the_member_by_name(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    realm, email = "mypage", new_address("home")
    login_id = registered_member(portal, email)
    initial = await portal.line_in_mail(email, "初期パスワード")
    with chromium(portal.url, request.node.name) as browser:
        browser.log_in(realm, login_id, initial, "forced-change")
        browser.change_password(initial, PASSWORD, "my-page")
        assert "ようこそ共済\u3000太郎様" in browser.text and "マイページ" in browser.text
        menus_answer(browser, realm, Role.MEMBER)
        browser.driver.find_element(By.LINK_TEXT, "コースの変更").click()
        browser.step("business-screen-outside")
        assert "業務システムの画面です" in browser.text and "course-change" in browser.text
        at_390_pixels(browser, "my-page-390px")
        browser.open(f"/realms/{realm}/home", "my-page-again")
        log_out(browser)
        browser.log_in(realm, login_id, PASSWORD, "second-login")
        assert PREVIOUS.search(browser.text), browser.text


async def signed_up_kencom_member(portal: Portal) -> str:
    """A union's member signed up through enroll's API (EN-01..05): the roster line, the
    sign-up, the mailed link, the insurance card; the member's e-mail (their login ID)."""
    person = Person(insurer_number="06" + str(uuid.uuid4().int)[:6])
    enroll = f"{portal.enroll.url}/v1/realms/kencom"
    back_office = {"Authorization": f"Bearer {PROVISIONING_TOKEN}"}
    async with httpx.AsyncClient(timeout=30) as client:
        listed = await client.put(
            f"{enroll}/rosters/{person.insurer_number}",
            json={"restrictions": {}, "members": [person.roster_line()]},
            headers=back_office,
        )
        assert listed.status_code in (200, 201), listed.text
        email = person.email
        body = {"email": email, "email_confirmation": email, "password": KENCOM_PASSWORD}
        body |= {"accept_terms": True, "accept_privacy": True}
        started = await client.post(f"{enroll}/signups", json=body | {"channel": "pc"})
        assert started.status_code == 202, started.text
        link = (await portal.links_to(email, 1))[0]
        opened = await client.post(
            f"{enroll}/signups/activate", json={"token": link.split("token=", 1)[1]}
        )
        assert opened.status_code == 200, opened.text
        step = opened.json()["signup_token"]
        checked = await client.post(
            f"{enroll}/signups/eligibility", json={"signup_token": step} | person.card()
        )
        assert checked.status_code == 200, checked.text
    return email


async def test_web_01_kencom_top_page_for_a_member(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    realm = "kencom"
    email = await signed_up_kencom_member(portal)
    with chromium(portal.url, request.node.name) as browser:

        def logged_in() -> bool:  # once enroll's registration reached identity
            browser.log_in(realm, email, KENCOM_PASSWORD, "home")
            return browser.path == f"/realms/{realm}/home"

        await eventually(logged_in, timeout=30, interval=1)
        assert "ホーム" in browser.text
        menus_answer(browser, realm, Role.MEMBER)
        at_390_pixels(browser, "home-390px")
        log_out(browser)
        browser.log_in(realm, email, KENCOM_PASSWORD, "second-login")
        assert PREVIOUS.search(browser.text), browser.text


async def test_web_01_nexi_user_page_protected_menus_lead_to_the_otp(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    realm = "nexi"
    admin = str(random.randrange(10**10, 10**11)) + "0"
    org = portal.open_org(realm, login_id=admin, profile={"email": new_address("nexi-home")})
    with chromium(portal.url, request.node.name) as browser:
        browser.log_in(realm, admin, org["initial_password"], "forced-change")
        browser.change_password(org["initial_password"], PASSWORD, "user-page")
        assert "ユーザーページ" in browser.text
        menus_answer(browser, realm, Role.ADMIN)
        browser.tick("enabled")
        browser.press("設定する", "otp-switched-on")
        locked = browser.driver.find_element(By.LINK_TEXT, "保険の申込み")
        assert str(locked.get_attribute("href")).endswith(f"/realms/{realm}/otp")
        free = browser.driver.find_element(By.LINK_TEXT, "保険料試算（詳細版）")
        assert "/links/premium-estimate" in str(free.get_attribute("href"))
        menus_answer(browser, realm, Role.ADMIN, owed=True)
        locked.click()
        browser.step("protected-menu-needs-the-otp")
        assert "ワンタイムパスワード" in browser.text and browser.path == f"/realms/{realm}/otp"
        at_390_pixels(browser, "otp-390px")


async def test_web_01_dantai_net_admin_top_page_after_a_second_login(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    realm = "dantai-net"
    org = portal.open_org(realm)
    admin, address = org["admin_login_id"], new_address("dantai-home")
    with chromium(portal.url, request.node.name) as browser:
        browser.log_in(realm, admin, org["initial_password"], "forced-change")
        browser.change_password(org["initial_password"], PASSWORD, "auth-email-registration")
        browser.fill("email", address)
        browser.press("登録する", "auth-email-mailed")
        browser.open((await portal.links_to(address, 1))[0], "auth-email-confirm-page")
        browser.press("本登録する", "auth-email-confirmed")
        browser.open((await portal.links_to(address, 2))[1], "login-link-page")
        browser.press("ログインを完了する", "login-link-confirmed")
        full_session(browser, realm, "top-page")
        assert browser.path == f"/realms/{realm}/home", browser.text
        menus_answer(browser, realm, Role.ADMIN)
        log_out(browser)

        browser.log_in(realm, admin, PASSWORD, "second-login-waiting")
        browser.open((await portal.links_to(address, 3))[2], "second-login-link")
        browser.press("ログインを完了する", "second-login-confirmed")
        full_session(browser, realm, "top-page-again")
        assert PREVIOUS.search(browser.text), browser.text
        at_390_pixels(browser, "top-page-390px")


def test_web_01_kihonet_top_page_links_the_certificate_screens(portal: Portal) -> None:
    realm = "kihonet"
    admin = f"XA3{uuid.uuid4().hex[:8]}"
    org = new_org(portal.identity.url, realm, admin)  # the gateway asks kihonet for a cert
    token = signed_in(portal.identity.url, realm, admin, org["initial_password"])
    page = httpx.get(
        f"{portal.identity.url}/realms/{realm}/home",
        cookies={"__Host-session": token},
        timeout=30,
    )
    assert page.status_code == 200, page.text
    hrefs = re.findall(r'<a href="([^"]+)"', page.text)
    for path in ("certificate-renewal", "certificate-status", "certificate-issue"):
        assert f"/realms/{realm}/{path}" in hrefs
    assert f"/realms/{realm}/links/contracts" in hrefs


async def test_web_04_the_support_desk_top_page_links_the_console(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    realm = "mypage"
    desk = portal.support_operator(realm)
    with chromium(portal.url, request.node.name) as browser:
        browser.log_in(realm, desk["login_id"], desk["initial_password"], "forced-change")
        browser.change_password(desk["initial_password"], PASSWORD, "top-page")
        console = browser.driver.find_element(By.LINK_TEXT, "サポートコンソール")
        assert console.get_attribute("href") == f"{portal.url}/realms/{realm}/support/"
        menus_answer(browser, realm, Role.SUPPORT)
