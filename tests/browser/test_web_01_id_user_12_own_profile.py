"""nexi's own profile pages in a real browser behind the gateway (WEB-01, WEB-03, WEB-05;
ID-USER-12, ID-EMAIL-01, seed 004 3-3, 4-2 and 4-4): the admin opens 「Webユーザー情報照会」 from
the user page, goes on to 「Webユーザー（管理者）情報変更」, 確認する → the confirmation, 修正する
back to the form with what it typed, 確認する → 確定する → 「Webユーザー（管理者）情報変更完了」;
then a new e-mail address: the confirmation asks the current password, the completion says
the link went to the new address, and the address changes only when that link is followed.
An applicant the admin registers gets the realm's next number as its ID and sees its own
permissions, read-only.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import random

import pytest
from mail_catchers import new_address
from portal_browser import Browser, chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.integration

REALM = "nexi"
ADMIN_PASSWORD = "Kaisha-Pass-2026"
APPLICANT_PASSWORD = "Shinsei-Pass-2026"
DONE = "Webユーザー（管理者）情報変更完了"


def shown(browser: Browser, label: str) -> str:
    """The value of a row of the page's table, by its label."""
    row = browser.driver.find_element(By.XPATH, f"//tr[th[normalize-space()='{label}']]/td")
    return str(row.text)


def at_390_pixels(browser: Browser, step: str) -> None:
    """The page on a phone's screen (WEB-05): nothing wider than it."""
    browser.driver.set_window_size(390, 844)
    browser.open(browser.path, step)
    width = browser.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide at 390px"
    browser.driver.set_window_size(1200, 900)


async def test_web_01_id_user_12_the_admin_reads_and_changes_its_own_profile(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    admin, admin_mail = str(random.randrange(10**10, 10**11)) + "0", new_address("profile")
    new_mail = new_address("profile-new")
    org = portal.open_org(REALM, login_id=admin, profile={"name": "管理 太郎", "email": admin_mail})
    name = request.node.name
    with chromium(portal.url, name, "admin") as boss:
        boss.log_in(REALM, admin, org["initial_password"], "forced-change")
        boss.change_password(org["initial_password"], ADMIN_PASSWORD, "user-page")
        boss.driver.find_element(By.LINK_TEXT, "Webユーザー情報照会").click()
        boss.step("own-profile")
        assert boss.path == f"/realms/{REALM}/profile"
        assert (shown(boss, "ログインID"), shown(boss, "氏名")) == (admin, "管理　太郎")
        assert shown(boss, "区分") == "Webユーザー（管理者）"
        assert shown(boss, "入力・申込権限") == "入力・申込", "the admin's maximum"
        at_390_pixels(boss, "own-profile-390px")

        boss.driver.find_element(By.LINK_TEXT, "Webユーザー（管理者）情報変更").click()
        boss.step("change-form")
        boss.fill("name", "日本 太郎")
        boss.fill("department", "見本事業部")
        boss.fill("title", "課長")
        boss.fill("phone", "03-1234-5678")
        boss.press("確認する", "change-confirm")
        assert "Webユーザー（管理者）情報変更確認" in boss.text
        assert shown(boss, "役職名") == "課長"
        assert not boss.driver.find_elements(By.ID, "current_password"), "the e-mail is the same"
        boss.press("修正する", "back-to-the-form")
        assert boss.driver.find_element(By.ID, "department").get_attribute("value") == "見本事業部"
        boss.fill("title", "事業部長")
        boss.press("確認する", "change-confirm-again")
        boss.press("確定する", "change-done")
        assert boss.driver.find_element(By.TAG_NAME, "h1").text == DONE
        assert "確認用メール" not in boss.text
        boss.open(f"/realms/{REALM}/profile", "profile-changed")
        assert (shown(boss, "氏名"), shown(boss, "役職名")) == ("日本　太郎", "事業部長")

        boss.open(f"/realms/{REALM}/profile/change", "email-form")
        boss.fill("email", new_mail)
        boss.press("確認する", "email-confirm")
        assert boss.driver.find_elements(By.ID, "email-change-notice")
        boss.press("確定する", "email-password-missing")
        assert "現在のパスワードが必要です" in boss.text
        assert boss.focused_id() == "error-summary"
        boss.fill("current_password", ADMIN_PASSWORD)
        boss.press("確定する", "email-done")
        assert boss.driver.find_element(By.TAG_NAME, "h1").text == DONE
        assert "24時間以内" in boss.text
        boss.open(f"/realms/{REALM}/profile", "email-awaiting-its-link")
        assert shown(boss, "メールアドレス").startswith(admin_mail), "not before the link"
        [link] = await portal.links_to(new_mail, 1)
        boss.open(link, "email-link")
        boss.press("変更を完了する", "email-changed")
        assert "メールアドレスの変更が完了しました" in boss.text
        boss.open(f"/realms/{REALM}/profile", "profile-new-email")
        assert shown(boss, "メールアドレス") == new_mail

        boss.open(f"/realms/{REALM}/admin/users", "applicants")
        assert not boss.driver.find_elements(By.ID, "new_login_id"), "the ID is not typed"
        boss.fill("new_name", "貿易 花子")
        boss.fill("new_email", new_address("profile-applicant"))
        boss.press("確認する", "applicant-confirm")
        assert "確定時にシステムが付与します" in boss.text
        boss.press("確定する", "applicant-created")
        applicant = boss.driver.find_element(By.ID, "created-login-id").text
        assert applicant == "00000000001" or (len(applicant) == 11 and applicant.isdigit())
    initial = await portal.line_in_mail(new_mail, "初期パスワード")
    with chromium(portal.url, name, "applicant") as user:
        user.log_in(REALM, applicant, initial, "applicant-forced-change")
        user.change_password(initial, APPLICANT_PASSWORD, "applicant-user-page")
        assert "Webユーザー（管理者）情報変更" not in user.text
        user.driver.find_element(By.LINK_TEXT, "Webユーザー情報照会").click()
        user.step("applicant-profile")
        assert (shown(user, "ログインID"), shown(user, "区分")) == (
            applicant,
            "Webユーザー（申込者）",
        )
        assert shown(user, "入力・申込権限") == "なし", "read-only, as the admin set it"
        assert not user.driver.find_elements(By.LINK_TEXT, "Webユーザー（管理者）情報変更")
        user.open(f"/realms/{REALM}/profile/change", "applicant-refused")
        assert user.driver.find_element(By.TAG_NAME, "h1").text != "Webユーザー（管理者）情報変更"
