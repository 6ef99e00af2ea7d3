"""My Page on a phone (WEB-05, seed 002: スマートフォンに最適化): every page a member meets, from
the login to the change screen and the forgotten password, at a 390-pixel-wide window in
Chromium: nothing wider than the screen, and axe finds no serious or critical violation on each.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import pytest
from mail_catchers import new_address
from mypage_members import NEW_PASSWORD, registered_member
from portal_browser import Browser, chromium
from portal_stack import Portal

pytestmark = pytest.mark.integration

REALM = "mypage"
PHONE = (390, 844)


def fits(browser: Browser) -> None:
    """The page is no wider than the phone's screen (no sideways scrolling)."""
    width = browser.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"{browser.path} is {width} px wide at {PHONE[0]} px"


async def test_web_05_every_page_a_mypage_member_meets_fits_a_390_pixel_screen(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    email = new_address("phone")
    login_id = registered_member(portal, email)
    initial = await portal.line_in_mail(email, "初期パスワード")
    with chromium(portal.url, request.node.name) as browser:
        browser.driver.set_window_size(*PHONE)
        for path, step in (
            (f"/realms/{REALM}/login", "login"),
            (f"/realms/{REALM}/forgotten-password", "forgotten-password"),
            (f"/realms/{REALM}/forgotten-login-id", "forgotten-login-id"),
        ):
            browser.open(path, step)
            fits(browser)
        browser.log_in(REALM, login_id, initial, "forced-change")
        fits(browser)
        browser.change_password(initial, NEW_PASSWORD, "home")
        assert browser.path == f"/realms/{REALM}/home" and "ようこそ" in browser.text
        fits(browser)
        for path, step in (
            (f"/realms/{REALM}/account", "change-screen"),
            (f"/realms/{REALM}/password-change", "password-change"),
            (f"/realms/{REALM}/home", "home-again"),
        ):
            browser.open(path, step)
            fits(browser)
        browser.open(f"/realms/{REALM}/account", "change-screen-again")
        browser.fill("phone", "０３")
        browser.press("電話番号を変更する", "phone-refused")
        assert browser.focused_id() == "error-summary"
        fits(browser)
