"""kencom's sign-up to the checkup question in a real browser behind the gateway (WEB-01,
WEB-03; EN-01..06, ID-BOT-01, seed 003): 新規登録 and its confirmation (戻る keeps the address,
never the password), the mail-sent page and 仮登録メールの再送信,
the last link's 本登録, the insurance card (a wrong number answered with the seed's guidance on
the same form, then the right one) with its eligibility answer, the login that solves
the bot defence's challenge in the page, then the 健診閲覧コード and the secret question
confirmed before 「設定完了」.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import uuid

import httpx
import pytest
from harness import PROVISIONING_TOKEN, eventually
from identity_client import change_password, log_in, rotated, token_of
from portal_browser import Browser, chromium
from portal_stack import Portal

pytestmark = pytest.mark.integration

REALM = "kencom"
PASSWORD = "Kenko-Pass9"
CARD = {
    "name_kana": "ケンコムタロウ",
    "birth_date": "1980-05-17",
    "symbol": "1234",
    "number": "2345678",
}


def roster(portal: Portal) -> str:
    """The back office imports a union's roster with one member (EN-07)."""
    insurer = "06" + str(uuid.uuid4().int)[:6]
    line = {k: CARD[k] for k in ("symbol", "number", "name_kana", "birth_date")}
    answer = httpx.put(
        f"{portal.enroll.url}/v1/realms/{REALM}/rosters/{insurer}",
        json={"restrictions": {}, "members": [line | {"relationship": "本人"}]},
        headers={"Authorization": f"Bearer {PROVISIONING_TOKEN}"},
        timeout=30,
    )
    assert answer.status_code in (200, 201), answer.text
    return insurer


def checkup_code(portal: Portal, member_session: str) -> str:
    """kencom's support desk issues the member's 健診閲覧コード (printed on the postcard)."""
    member = httpx.get(
        f"{portal.identity.url}/v1/sessions/current",
        headers={"Authorization": f"Bearer {member_session}"},
        timeout=30,
    ).json()
    desk = portal.support_operator(REALM)
    token = token_of(log_in(portal.identity.url, REALM, desk["login_id"], desk["initial_password"]))
    changed = change_password(
        portal.identity.url, REALM, token, desk["initial_password"], "Kaisha-Pass-2026"
    )
    token = rotated(changed)  # the change rotated the session (ID-SESS-03)
    issued = httpx.post(
        f"{portal.enroll.url}/v1/realms/{REALM}/members/{member['user_id']}/checkup-code",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert issued.status_code == 201, issued.text
    return str(issued.json()["code"])


def member_logs_in(browser: Browser, email: str) -> bool:
    """The login form with its challenge solved in the page; the member exists once enroll's
    registration is through (asynchronous)."""
    browser.log_in(REALM, email, PASSWORD, "member-login")
    return browser.path == f"/realms/{REALM}/home"


async def test_web_03_kencom_sign_up_to_the_checkup_question(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    insurer = roster(portal)
    email = f"member-{uuid.uuid4().hex[:12]}@example.jp"
    with chromium(portal.url, request.node.name) as browser:
        browser.open(f"/realms/{REALM}/signup", "signup-form")
        browser.fill("email", email)
        browser.fill("email_confirmation", email)
        browser.fill("password", PASSWORD)
        browser.press("確認画面へ", "signup-confirm")
        assert browser.driver.find_element("id", "confirm-email").text == email
        assert PASSWORD not in browser.driver.page_source, "the password is never shown"
        browser.press("戻る", "signup-form-again")
        assert browser.driver.find_element("id", "email").get_attribute("value") == email
        assert browser.driver.find_element("id", "password").get_attribute("value") == ""
        browser.fill("password", PASSWORD)
        browser.press("確認画面へ", "signup-confirm-again")
        browser.tick("accept_terms")
        browser.tick("accept_privacy")
        browser.press("仮登録メールを送信する", "mail-sent")
        assert "仮登録メールを送信しました" in browser.text
        browser.press("仮登録メールの再送信", "mail-sent-again")

        link = (await portal.links_to(email, 2))[1]
        browser.open(link, "activation-page")
        browser.press("本登録に進む", "insurance-card-form")
        for name in ("name_kana", "symbol", "number"):
            browser.fill(name, CARD[name])
        browser.fill("insurer_number", insurer)
        browser.set_value("birth_date", CARD["birth_date"])
        browser.fill("number", "1")
        browser.press("利用資格を照会する", "card-not-matched")
        assert "入力内容に誤り" in browser.text and browser.focused_id() == "error-summary"
        browser.fill("number", CARD["number"])
        browser.press("利用資格を照会する", "eligible")
        assert "利用資格が確認できました" in browser.text

        await eventually(lambda: member_logs_in(browser, email), timeout=30, interval=1)
        session = browser.cookie("__Host-session")
        assert session is not None
        code = checkup_code(portal, session["value"])

        browser.open(f"/realms/{REALM}/checkup", "checkup-code-form")
        browser.fill("code", code)
        browser.press("本人確認する", "identity-verified")
        assert "本人確認が完了しました" in browser.text
        browser.driver.find_element("id", "question_id").send_keys("出身地は？")
        browser.fill("answer", "Sapporo")
        browser.press("確認", "question-to-confirm")
        assert "出身地は？" in browser.text and "Sapporo" not in browser.text
        browser.press("設定完了", "question-set")
        assert "秘密の質問を設定しました" in browser.text
        browser.fill("answer", "Sapporo")
        browser.press("次へ", "question-answered")
        assert "健診結果に関する注意事項" in browser.text
