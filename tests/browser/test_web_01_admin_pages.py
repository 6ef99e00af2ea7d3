"""The admin's pages in a real browser behind the gateway (WEB-01, WEB-03; ID-USER-01,
ID-LOCK-01, -04, ID-PW-06, ID-USER-06, X-07): a business user created with its initial
password shown once, locked by three wrong passwords in another browser, unlocked by the
admin's パスワード初期化; then its profile (a character outside JIS X 0208 refused, named) and
a password the admin sets.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import uuid

import pytest
from portal_browser import chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.integration

REALM = "demo"
ADMIN_PASSWORD = "Kaisha-Pass-2026"
USER_PASSWORD = "Gyomu-Pass-2026"
FORCED_PASSWORD = "Kyosei-Pass-2026"


async def test_web_03_an_admin_unlocks_a_business_user_locked_by_three_wrong_passwords(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    org = portal.open_org(REALM)
    business = f"XA5{uuid.uuid4().hex[:8]}"
    name = request.node.name
    with chromium(portal.url, name, "admin") as admin, chromium(portal.url, name, "user") as user:
        admin.log_in(REALM, org["admin_login_id"], org["initial_password"], "forced-change")
        admin.change_password(org["initial_password"], ADMIN_PASSWORD, "home")
        assert admin.path == f"/realms/{REALM}/home"
        admin.open(f"/realms/{REALM}/admin/users", "user-list-empty")
        admin.fill("new_login_id", business)
        admin.fill("new_name", "日本 太郎")
        admin.press("確認する", "business-user-confirm")
        assert "業務用IDの作成（確認）" in admin.text, "nothing created before 確定する"
        assert business in admin.text and "日本\u3000太郎" in admin.text, "as it will be kept"
        admin.press("確定する", "business-user-created")
        initial = admin.driver.find_element(By.ID, "created-password").text
        assert business in admin.text and initial

        user.log_in(REALM, business, "wrong-1", "first-failure")
        assert "利用者IDまたはパスワードに誤りがあります" in user.text
        user.log_in(REALM, business, "wrong-2", "second-failure")
        user.log_in(REALM, business, "wrong-3", "locked")
        assert "アカウントロックの解除後、再度ログインしてください" in user.text
        assert user.focused_id() == "error-summary"

        admin.open(f"/realms/{REALM}/admin/users", "user-list-locked")
        assert "ロック中" in admin.text
        admin.press("パスワード初期化（ロック解除）", "unlocked")
        assert "アカウントロックも解除されました" in admin.text and "ロック中" not in admin.text

        user.log_in(REALM, business, initial, "initial-password-after-unlock")
        assert user.path == f"/realms/{REALM}/password-change"
        user.change_password(initial, USER_PASSWORD, "business-user-home")
        assert "ログインしました" in user.text

        # the profile as the admin keeps it, then パスワード強制変更 (ID-PW-06)
        admin.driver.find_element(By.LINK_TEXT, business).click()
        admin.step("business-user-page")
        admin.fill("title", "課長㈱")
        admin.press("確認する", "profile-refused")
        assert "㈱" in admin.text and admin.focused_id() == "error-summary"
        admin.fill("title", "課長")
        admin.press("確認する", "profile-confirm")  # seed 004 4-6: 確認する → 確定する (WEB-05)
        assert "課長" in admin.text and "登録情報を変更しました" not in admin.text
        admin.press("確定する", "profile-changed")
        assert "登録情報を変更しました" in admin.text
        admin.fill("new_password", FORCED_PASSWORD)
        admin.fill("new_password_again", FORCED_PASSWORD)
        admin.press("パスワードを変更する", "password-forced")
        assert "パスワードを変更しました" in admin.text
        user.log_in(REALM, business, FORCED_PASSWORD, "forced-password-login")
        assert user.path != f"/realms/{REALM}/login"
