"""The member's change screen in a real browser behind the gateway (WEB-01, WEB-03;
ID-USER-03, ID-USER-08, ID-EMAIL-01, seed 002): a My Page member registered by the support
desk logs in with the mailed initial password, changes it, then the phone, the e-mail address
(through the link mailed to the new one) and the login ID, and logs in with the new ID.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import uuid

import pytest
from mail_catchers import new_address
from mypage_members import NEW_PASSWORD, registered_member
from portal_browser import chromium
from portal_stack import Portal

pytestmark = pytest.mark.integration

REALM = "mypage"


async def test_web_01_a_member_changes_phone_e_mail_and_login_id_on_the_change_screen(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    email, new_email = new_address("member"), new_address("moved")
    login_id = registered_member(portal, email)
    initial = await portal.line_in_mail(email, "初期パスワード")
    with chromium(portal.url, request.node.name) as browser:
        browser.log_in(REALM, login_id, initial, "forced-change")
        browser.change_password(initial, NEW_PASSWORD, "home")
        browser.driver.find_element("link text", "登録情報の変更").click()
        browser.step("change-screen")

        browser.fill("phone", "０３")
        browser.press("電話番号を変更する", "phone-refused")
        assert browser.focused_id() == "error-summary"
        browser.fill("phone", "03-1234-5678")
        browser.press("電話番号を変更する", "phone-changed")
        assert "電話番号を変更しました" in browser.text

        browser.fill("new_email", new_email)
        browser.fill("email_password", "not-my-password")
        browser.press("メールアドレスを変更する", "email-wrong-password")
        assert "利用者IDまたはパスワードに誤りがあります" in browser.text, "counted (ID-LOCK-05)"
        browser.fill("new_email", new_email)
        browser.fill("email_password", NEW_PASSWORD)
        browser.press("メールアドレスを変更する", "email-link-sent")
        assert "確認用のリンクを送信しました" in browser.text
        browser.open((await portal.links_to(new_email, 1))[0], "email-change-confirm-page")
        browser.press("変更を完了する", "email-changed")
        assert "メールアドレスの変更が完了しました" in browser.text
        assert "ログアウトしました" not in browser.text, "this browser's session went on, rotated"

        renamed = f"kyosai-{uuid.uuid4().hex[:8]}"
        browser.open(f"/realms/{REALM}/account", "change-screen-again")
        browser.fill("login_id", renamed)
        browser.fill("current_password", NEW_PASSWORD)
        browser.press("ログインIDを変更する", "login-id-changed")
        assert "ログインIDを変更しました" in browser.text
    with chromium(portal.url, request.node.name, "next-day") as browser:
        browser.log_in(REALM, renamed, NEW_PASSWORD, "login-with-the-new-id")
        assert "ログインしました" in browser.text and renamed in browser.text
