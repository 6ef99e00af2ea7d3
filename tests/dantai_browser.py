"""`dantai-net`'s first login in a real browser, as its people make it (ID-MAIL-01, -02): for
the browser tests whose people must first get all the way in."""

from __future__ import annotations

from portal_browser import Browser
from portal_stack import Portal

NEW_PASSWORD = "Kaisha-Pass-2026"


async def dantai_login(
    portal: Portal, browser: Browser, login_id: str, initial: str, address: str
) -> None:
    """`dantai-net`'s first login as its people make it: the forced change, the e-mail
    authentication address and the login link (ID-MAIL-01, -02), without JavaScript's help."""
    realm = "dantai-net"
    browser.log_in(realm, login_id, initial, "forced-change")
    browser.change_password(initial, NEW_PASSWORD, "auth-email-form")
    browser.fill("email", address)
    browser.press("登録する", "auth-email-mailed")
    browser.open((await portal.links_to(address, 1))[0], "auth-email-confirm-page")
    browser.press("本登録する", "auth-email-confirmed")
    browser.open((await portal.links_to(address, 2))[1], "login-link-page")
    browser.press("ログインを完了する", "login-link-confirmed")
    browser.open(f"/realms/{realm}/login/waiting", "waiting-screen-ready")
    if browser.path.endswith("/login/waiting"):
        browser.press("ログインを完了する", "home")
    assert "ログインしました" in browser.text, browser.text
