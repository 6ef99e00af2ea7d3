"""団体情報の変更 (ID-USER-11, seed 000 Q3) in a real browser behind the gateway (WEB-01, WEB-05):
`dantai-net`'s admin opens it from the admin menu, sees the contact that stands in (the admin's
own), types a character outside JIS X 0208 and is told which (X-07), then changes the contact
through 確認する → 確定する; the completion mail reaches the new contact.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import pytest
from dantai_browser import dantai_login
from mail_catchers import new_address
from portal_browser import Browser, _stale, chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.integration

REALM = "dantai-net"


def follow_menu(browser: Browser, label: str, step: str) -> None:
    old = browser.driver.find_element(By.TAG_NAME, "html")
    browser.driver.find_element(By.LINK_TEXT, label).click()
    WebDriverWait(browser.driver, 15).until(lambda d: _stale(old))
    browser.step(step)


async def test_web_05_id_user_11_the_admin_changes_the_organisations_contact(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    old, new = new_address("tanto"), new_address("madoguchi")
    org = portal.open_org(REALM, profile={"email": old, "phone": "03-1111-2222"})
    with chromium(portal.url, request.node.name, "admin") as admin:
        await dantai_login(
            portal, admin, org["admin_login_id"], org["initial_password"], new_address("adm")
        )
        admin.open(f"/realms/{REALM}/home", "home-admin-menu")
        follow_menu(admin, "団体情報の変更", "org-info")
        assert admin.path == f"/realms/{REALM}/admin/org-info"
        assert old in admin.text and admin.driver.find_elements(By.ID, "org-info-fallback")
        admin.fill("name", "髙橋 一郎")
        admin.fill("email", "ｍａｄｏ@example.jp")
        admin.fill("postal_code", "100-001")
        admin.fill("address", "東京都千代田区千代田1-1")
        admin.press("確認する", "org-info-refused")
        assert admin.focused_id() == "error-summary"
        assert "「髙」は使用できない文字です" in admin.text and "半角数字7桁" in admin.text
        admin.fill("name", "日本 花子")
        admin.fill("email", new)
        admin.fill("phone", "03-9876-5432")
        admin.fill("postal_code", "1000001")
        admin.press("確認する", "org-info-confirm")
        assert "団体情報の変更（確認）" in admin.text
        assert "日本\u3000花子" in admin.text and "100-0001" in admin.text
        assert "東京都千代田区千代田１－１" in admin.text, "X-07: stored full-width"
        admin.press("確定する", "org-info-changed")
        assert admin.driver.find_elements(By.ID, "org-info-changed")
        assert new in admin.text and not admin.driver.find_elements(By.ID, "org-info-fallback")
        admin.press("確認する", "org-info-confirm-again")
        admin.press("確定する", "org-info-unchanged")
        assert admin.driver.find_elements(By.ID, "org-info-unchanged"), "nothing changed twice"

        def completed() -> bool:
            return any("団体情報変更完了" in str(m["Subject"]) for m in portal.mail.mails_to(new))

        WebDriverWait(admin.driver, 60, poll_frequency=1).until(lambda _: completed())
        assert len(portal.mail.mails_to(new)) == 1, "one mail for one change"

    with chromium(portal.url, request.node.name, "stranger") as stranger:
        stranger.open(f"/realms/{REALM}/admin/org-info", "stranger-to-login")
        assert stranger.path == f"/realms/{REALM}/login"
