"""nexi's OTP step-up in a real browser behind the gateway (WEB-01, WEB-03; ID-OTP-01..03,
seed 004 chapter 5): the admin switches 「ワンタイムパスワード利用」 on, the user page says the
protected menus need it, 「ワンタイムパスワードの発行」 mails a code, a wrong one is announced
with the entries left, the right one verifies the session (a new cookie).

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import random

import pytest
from mail_catchers import new_address
from portal_browser import chromium
from portal_stack import Portal

pytestmark = pytest.mark.integration

REALM = "nexi"
NEW_PASSWORD = "Kaisha-Pass-2026"


async def test_web_03_nexi_otp_step_up_from_the_user_page(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    address = new_address("otp")
    admin = str(random.randrange(10**10, 10**11)) + "0"
    org = portal.open_org(REALM, login_id=admin, profile={"email": address})
    with chromium(portal.url, request.node.name) as browser:
        browser.log_in(REALM, admin, org["initial_password"], "forced-change")
        browser.change_password(org["initial_password"], NEW_PASSWORD, "user-page")
        browser.tick("enabled")
        browser.press("設定する", "otp-switched-on")
        assert "ワンタイムパスワードにより保護されています" in browser.text
        before = browser.cookie("__Host-session")

        browser.press("ワンタイムパスワードの発行", "otp-entry")
        assert "発行後10分間に限り有効です" in browser.text
        code = await portal.line_in_mail(address, "ワンタイムパスワード")
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        browser.fill("code", wrong)
        browser.press("認証", "otp-wrong")
        assert "ワンタイムパスワードに誤りがあります（あと1回誤ると失効します）" in browser.text
        assert browser.focused_id() == "error-summary"
        browser.fill("code", code)
        browser.press("認証", "otp-verified")
        assert "ワンタイムパスワード：認証済み" in browser.text
        after = browser.cookie("__Host-session")
        assert before and after and before["value"] != after["value"]
