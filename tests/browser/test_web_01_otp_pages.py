"""nexi's OTP step-up in a real browser behind the gateway (WEB-01, WEB-03; ID-OTP-01..03,
seed 004 chapters 1 and 5): the admin switches 「ワンタイムパスワード利用」 on, the user
page says the protected menus need it, an admin page leads to the OTP page (ID-OTP-05), whose
「ワンタイムパスワードの発行」 mails a code, a wrong one
is announced with the entries left, the right one verifies the session (a new cookie); then
the admin sets an applicant's permission matrix (ID-PERM-01), riders required for 対象特約のみ.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import random

import pytest
from mail_catchers import new_address
from portal_browser import chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

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
        # an admin page is protected (ID-OTP-05): the gateway leads to the OTP page
        browser.open(f"/realms/{REALM}/admin/users", "admin-page-needs-the-otp")
        assert browser.path == f"/realms/{REALM}/otp"
        assert "この操作を行うには、ワンタイムパスワードの入力が必要です" in browser.text

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

        # the permission matrix of an applicant the admin registers (ID-PERM-01)
        browser.open(f"/realms/{REALM}/admin/users", "user-list")
        browser.fill("new_email", new_address("applicant"))
        browser.press("確認する", "applicant-confirm")
        browser.press("確定する", "applicant-created")
        browser.driver.find_element(By.LINK_TEXT, "権限設定").click()
        browser.step("permission-matrix")
        Select(browser.driver.find_element(By.ID, "input_right")).select_by_value("input")
        Select(browser.driver.find_element(By.ID, "contract_scope")).select_by_value("riders")
        Select(browser.driver.find_element(By.ID, "application_scope")).select_by_value("own")
        browser.press("確認する", "riders-missing")
        assert "特約コードを入力してください" in browser.text
        browser.fill("rider_codes", "999999901, 999999902")
        browser.press("確認する", "permissions-confirm")  # seed 004 4-6 (WEB-05)
        assert "999999901、999999902" in browser.text and "権限を設定しました" not in browser.text
        browser.press("確定する", "permissions-set")
        assert "権限を設定しました" in browser.text
        assert "対象特約のみ参照可能（999999901, 999999902）" in browser.text
