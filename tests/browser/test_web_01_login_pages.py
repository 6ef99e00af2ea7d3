"""The login screens in a real browser behind the gateway (WEB-01, WEB-03; seed 000 Q10-Q19):
dantai-net's first login through the forced change, the e-mail-authentication address and the
login link to a full session, the waiting screen completing itself (server-sent events), a
second browser refused, and 「次回ログインからIDの入力を省略」.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import pytest
from mail_catchers import new_address
from portal_browser import chromium
from portal_stack import Portal
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.integration

REALM = "dantai-net"
NEW_PASSWORD = "Kaisha-Pass-2026"


async def test_web_03_dantai_net_first_login_through_the_link_and_a_second_browser_refused(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    org = portal.open_org(REALM)
    admin, address = org["admin_login_id"], new_address("auth")
    name = request.node.name
    with chromium(portal.url, name, "first") as first:
        first.log_in(REALM, admin, org["initial_password"], "forced-password-change", True)
        assert first.path == f"/realms/{REALM}/password-change"
        first.change_password(org["initial_password"], NEW_PASSWORD, "auth-email-registration")
        assert first.path == f"/realms/{REALM}/login/waiting"
        first.fill("email", address)
        first.press("登録する", "auth-email-mailed")
        assert "本登録依頼のメールを送信しました" in first.text

        first.open((await portal.links_to(address, 1))[0], "auth-email-confirm-page")
        first.press("本登録する", "auth-email-confirmed")
        assert "本登録が完了しました" in first.text
        first.open(f"/realms/{REALM}/login/waiting", "waiting-screen")
        assert "本画面は閉じずに、10分以内にログインしてください" in first.text

        # The link, opened in another tab of the same browser; the waiting screen, listening
        # to its server-sent events, completes the login by itself.
        waiting = first.driver.current_window_handle
        first.driver.switch_to.new_window("tab")
        first.open((await portal.links_to(address, 2))[1], "login-link-page")
        first.press("ログインを完了する", "login-link-confirmed")
        assert "ログインを確認しました" in first.text
        first.driver.switch_to.window(waiting)
        WebDriverWait(first.driver, 10).until(lambda d: d.current_url.endswith("/home"))
        first.step("full-session")
        assert "ログインしました" in first.text and admin in first.text
        assert first.cookie(f"__Host-browser-{REALM}") is not None
        assert first.cookie("__Host-remember-id") is not None

    with chromium(portal.url, name, "second") as second:
        second.log_in(REALM, admin, NEW_PASSWORD, "second-browser-refused")
        assert "登録されているブラウザ情報と異なります" in second.text
        assert second.focused_id() == "error-summary"
        assert second.path == f"/realms/{REALM}/login"


async def test_web_01_the_login_form_remembers_the_id_and_announces_errors(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    """ID-LOGIN-02, -03: a wrong password in section 7's words, focused; the remembered ID
    filled in on the next visit, forgotten once the box is left unticked."""
    org = portal.open_org(REALM)
    admin = org["admin_login_id"]
    with chromium(portal.url, request.node.name) as browser:
        browser.log_in(REALM, admin, "wrong-password-1", "wrong-password")
        assert "利用者IDまたはパスワードに誤りがあります" in browser.text
        assert browser.focused_id() == "error-summary"
        browser.log_in(REALM, admin, org["initial_password"], "logged-in-with-remember-id", True)
        browser.open(f"/realms/{REALM}/login", "login-form-remembered")
        field = browser.driver.find_element("id", "login_id")
        assert field.get_attribute("value") == admin
        assert browser.driver.find_element("id", "remember_id").is_selected()
        browser.fill("password", org["initial_password"])
        browser.tick("remember_id", on=False)
        browser.press("ログイン", "logged-in-without-remember-id")
        browser.open(f"/realms/{REALM}/login", "login-form-forgotten")
        assert browser.driver.find_element("id", "login_id").get_attribute("value") == ""


async def test_web_01_a_forgotten_password_is_replaced_by_a_mailed_temporary_one(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    """ID-PW-05, ID-PW-03 on the pages: the same answer whatever is typed, the temporary
    password from the mail logs in once and must be changed; ID-LOGIN-05's guidance."""
    address = new_address("forgot")
    org = portal.open_org("demo", profile={"email": address})
    admin = org["admin_login_id"]
    with chromium(portal.url, request.node.name) as browser:
        browser.open("/realms/demo/login", "login-form")
        browser.driver.find_element("link text", "パスワードを忘れた方はこちら").click()
        browser.step("forgotten-password-form")
        browser.fill("login_id", admin)
        browser.fill("email", address)
        browser.press("仮パスワードを発行する", "temporary-password-sent")
        assert "ご登録のメールアドレスに仮パスワードを送信しました" in browser.text
        temporary = await portal.line_in_mail(address, "仮パスワード")
        browser.log_in("demo", admin, temporary, "temporary-password-login")
        assert browser.path == "/realms/demo/password-change"
        browser.change_password(temporary, NEW_PASSWORD, "home")
        assert "ログインしました" in browser.text
        browser.open("/realms/demo/forgotten-login-id", "forgotten-login-id")
        assert "お問い合わせください" in browser.text


async def test_web_01_the_waiting_screen_works_without_javascript(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    """ID-MAIL-01..03 with the browser's JavaScript off: the waiting screen reloads itself, and
    after the link the person presses 「ログインを完了する」."""
    org = portal.open_org(REALM)
    admin, address = org["admin_login_id"], new_address("nojs")
    with chromium(portal.url, request.node.name, javascript=False) as browser:
        browser.log_in(REALM, admin, org["initial_password"], "forced-change")
        browser.change_password(org["initial_password"], NEW_PASSWORD, "address-form")
        browser.fill("email", address)
        browser.press("登録する", "address-mailed")
        browser.open((await portal.links_to(address, 1))[0], "address-confirm-page")
        browser.press("本登録する", "address-confirmed")
        browser.open(f"/realms/{REALM}/login/waiting", "waiting-screen")
        assert 'http-equiv="refresh"' in browser.driver.page_source
        browser.open((await portal.links_to(address, 2))[1], "login-link-page")
        browser.press("ログインを完了する", "login-link-confirmed")
        browser.open(f"/realms/{REALM}/login/waiting", "waiting-screen-ready")
        assert "メール認証が完了しました" in browser.text
        browser.press("ログインを完了する", "full-session")
        assert browser.path == f"/realms/{REALM}/home" and "ログインしました" in browser.text
