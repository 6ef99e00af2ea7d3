"""kencom's 「パスワードを忘れた方はこちら」 in a real browser behind the gateway (ID-PW-08,
WEB-01, WEB-03; seed 003 Q3 原因①): from the login page's link to the mailed link's page, a
new password refused by kencom's policy then set, the used link refused, and the login with the
new password; the request's page answers an unknown address the same.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import httpx
import pytest
from identity_client import change_password, log_in, rotated, token_of
from mail_catchers import new_address
from portal_browser import chromium
from portal_stack import Portal

from services.identity.domain.password_reset import MAIL_SENT_ANSWER

pytestmark = pytest.mark.integration

REALM = "kencom"
NEW_PASSWORD = "Mori-Kaze-2027"


def registered_member(portal: Portal) -> str:
    """A member kencom's support desk registered: its login ID is its address."""
    desk = portal.support_operator(REALM)
    token = token_of(log_in(portal.identity.url, REALM, desk["login_id"], desk["initial_password"]))
    token = rotated(
        change_password(
            portal.identity.url, REALM, token, desk["initial_password"], "Kaisha-Pass-2026"
        )
    )
    address = new_address("forgot")
    registered = httpx.post(
        f"{portal.identity.url}/v1/realms/{REALM}/members",
        json={"login_id": address, "profile": {"email": address}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert registered.status_code == 201, registered.text
    return address


async def test_id_pw_08_web_03_a_member_resets_its_password_through_the_mailed_link(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    address = registered_member(portal)
    with chromium(portal.url, request.node.name) as browser:
        browser.open(f"/realms/{REALM}/login", "login-form")
        browser.driver.find_element("link text", "パスワードを忘れた方はこちら").click()
        browser.step("reset-request-form")
        assert browser.path == f"/realms/{REALM}/password-reset-request"
        browser.press("送信する", "address-missing")
        assert browser.focused_id() == "error-summary"
        browser.fill("email", new_address("nobody"))
        browser.press("送信する", "unknown-address-answered")
        unknown_answer = browser.text
        assert MAIL_SENT_ANSWER in unknown_answer

        browser.open(f"/realms/{REALM}/password-reset-request", "reset-request-again")
        browser.fill("email", address)
        browser.press("送信する", "mail-sent")
        assert browser.text == unknown_answer, "the same page whether or not it is registered"

        link = (await portal.links_to(address, 1))[0]
        assert link.startswith(f"/realms/{REALM}/password-reset?token=")
        browser.open(link, "new-password-form")
        browser.fill("new_password", NEW_PASSWORD)
        browser.fill("new_password_again", NEW_PASSWORD + "x")
        browser.press("パスワードを再設定する", "passwords-differ")
        assert "確認用と一致しません" in browser.text
        assert browser.focused_id() == "error-summary"
        browser.fill("new_password", "abc12345")
        browser.fill("new_password_again", "abc12345")
        browser.press("パスワードを再設定する", "policy-refused")
        assert "推測されやすいパスワード" in browser.text
        browser.fill("new_password", NEW_PASSWORD)
        browser.fill("new_password_again", NEW_PASSWORD)
        browser.press("パスワードを再設定する", "password-reset")
        assert "パスワードの再設定が完了しました" in browser.text

        browser.open(link, "link-used")
        assert "このリンクは無効です" in browser.text
        browser.log_in(REALM, address, NEW_PASSWORD, "logged-in-with-the-new-password")
        assert browser.path == f"/realms/{REALM}/home"


async def test_id_pw_08_other_realms_keep_their_own_forgotten_password_route(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    with chromium(portal.url, request.node.name) as browser:
        browser.open("/realms/demo/login", "demo-login-form")
        browser.driver.find_element("link text", "パスワードを忘れた方はこちら").click()
        browser.step("demo-forgotten-password")
        assert browser.path == "/realms/demo/forgotten-password"
        browser.open("/realms/demo/password-reset-request", "no-reset-link-in-demo")
        assert "エラーコード：NOT_FOUND" in browser.text
        browser.open(f"/realms/{REALM}/forgotten-password", "kencom-old-bookmark")
        assert browser.path == f"/realms/{REALM}/password-reset-request"
