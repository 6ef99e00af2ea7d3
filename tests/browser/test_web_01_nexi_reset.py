"""nexi's 「リセット」 in a real browser behind the gateway (WEB-01, WEB-03, WEB-05; ID-PW-06,
ID-LOCK-04, seed 004 4-7): an applicant locked by three wrong passwords; the admin opens the
applicant on Webユーザー（申込者）情報照会・追加・変更, presses 「リセット」, is asked the seed's
「パスワードをリセットします。よろしいですか？」 and confirms; the new password goes by mail to
the admin (not the applicant), the lock is lifted, and the applicant logs in with it and must
change it.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import random

import pytest
from mail_catchers import new_address
from portal_browser import chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.integration

REALM = "nexi"
ADMIN_PASSWORD = "Kaisha-Pass-2026"
APPLICANT_PASSWORD = "Shinsei-Pass-2026"


def web_user_id(last: str) -> str:
    return str(random.randrange(10**10, 10**11)) + last


async def test_web_03_nexi_reset_mails_the_admin_a_new_password_and_unlocks(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    admin, admin_mail = web_user_id("0"), new_address("nexi-admin")
    applicant_mail = new_address("nexi-applicant")
    org = portal.open_org(REALM, login_id=admin, profile={"email": admin_mail})
    name = request.node.name
    with chromium(portal.url, name, "admin") as boss, chromium(portal.url, name, "user") as user:
        boss.log_in(REALM, admin, org["initial_password"], "forced-change")
        boss.change_password(org["initial_password"], ADMIN_PASSWORD, "user-page")
        boss.driver.find_element(By.LINK_TEXT, "Webユーザー（申込者）情報照会・追加・変更").click()
        boss.step("applicants")
        boss.fill("new_name", "貿易 花子")
        boss.fill("new_email", applicant_mail)
        boss.press("確認する", "applicant-confirm")
        assert "管理者のメールアドレスへお送りします" in boss.text
        boss.press("確定する", "applicant-created")
        applicant = boss.driver.find_element(By.ID, "created-login-id").text  # ID-USER-12
        initial = await portal.line_in_mail(admin_mail, "初期パスワード")

        user.log_in(REALM, applicant, initial, "applicant-forced-change")
        user.change_password(initial, APPLICANT_PASSWORD, "applicant-user-page")
        for attempt in (1, 2, 3):
            user.log_in(REALM, applicant, f"wrong-{attempt}", f"wrong-password-{attempt}")
        assert "アカウントロックの解除後、再度ログインしてください" in user.text

        boss.open(f"/realms/{REALM}/admin/users", "applicants-locked")
        assert "ロック中" in boss.text
        boss.driver.find_element(By.LINK_TEXT, applicant).click()
        boss.step("applicant-page")
        boss.press("リセット", "reset-asked")
        assert "パスワードをリセットします。よろしいですか？" in boss.text
        boss.driver.find_element(By.LINK_TEXT, "戻る").click()
        boss.step("reset-not-confirmed")
        assert "ロック中" in boss.text, "nothing changed before 「確定する」"
        boss.press("リセット", "reset-asked-again")
        boss.press("確定する", "reset-done")
        assert "パスワードをリセットしました" in boss.text
        assert "ロック中" not in boss.text
        new_password = await portal.line_in_mail(admin_mail, "新しいパスワード")
        assert not [
            m for m in portal.mail.mails_to(applicant_mail) if "パスワード再発行" in m["subject"]
        ], "the reset's password goes to the admin, who passes it on"

        user.log_in(REALM, applicant, new_password, "applicant-with-the-new-password")
        assert user.path == f"/realms/{REALM}/password-change"
        user.change_password(new_password, "Shinsei-Pass-2027", "applicant-changed-it")
        assert user.path == f"/realms/{REALM}/home"
