"""kencom's STEP2 consent and a union under kencom maintenance in a real browser behind the
gateway (WEB-03, WEB-04; EN-09, EN-10, seed 003): the sign-up with an invitation code, its
confirmation refusing to send before the 会員規約 and the プライバシーポリシー are ticked (the error
summary focused), then sent; the support desk marks the member's union under maintenance from
the roster page (確認する → 確定する); the member's card check answers A3 原因③'s guidance and
counts no try; once the maintenance ends, the same card is eligible. The consent step and the
maintenance message are also checked at 390 px.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import uuid

import httpx
import pytest
from harness import PROVISIONING_TOKEN, eventually
from portal_browser import Browser, chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

pytestmark = pytest.mark.integration

REALM = "kencom"
CONSOLE = f"/realms/{REALM}/support"
MEMBER_PASSWORD = "Kenko-Pass9"
OPERATOR_PASSWORD = "Kaisha-Pass-2026"
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
        json={"members": [line | {"relationship": "本人"}]},
        headers={"Authorization": f"Bearer {PROVISIONING_TOKEN}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return insurer


def maintenance(portal: Portal, insurer: str, on: bool) -> None:
    answer = httpx.put(
        f"{portal.enroll.url}/v1/realms/{REALM}/rosters/{insurer}/maintenance",
        json={"under_maintenance": on},
        headers={"Authorization": f"Bearer {PROVISIONING_TOKEN}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def narrow(browser: Browser, step: str) -> None:
    """The page at a phone's 390 px (WEB-05): nothing wider than the screen, then back."""
    browser.driver.set_window_size(390, 844)
    browser.step(step)
    width = browser.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"{browser.path} is {width} px wide at 390 px"
    browser.driver.set_window_size(1200, 900)


def card_typed(browser: Browser, insurer: str) -> None:
    for name in ("name_kana", "symbol", "number"):
        browser.fill(name, CARD[name])
    browser.fill("insurer_number", insurer)
    browser.set_value("birth_date", CARD["birth_date"])


async def test_web_04_en_09_en_10_consent_at_step2_and_a_union_under_maintenance(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    insurer = roster(portal)
    email = f"consent-{uuid.uuid4().hex[:12]}@example.jp"
    name = request.node.name
    with chromium(portal.url, name, "member") as member, chromium(portal.url, name, "desk") as desk:
        member.open(f"/realms/{REALM}/signup", "signup-form")
        member.fill("email", email)
        member.fill("email_confirmation", email)
        member.fill("password", MEMBER_PASSWORD)
        member.fill("invitation_code", "FRIEND2026")
        member.press("確認画面へ", "signup-confirm-with-consent")
        assert member.driver.find_element(By.ID, "confirm-invitation-code").text == "FRIEND2026"
        terms = member.driver.find_element(By.ID, "terms-link")
        assert terms.get_attribute("href") and "kencom会員規約" in terms.text
        assert "プライバシーポリシー" in member.driver.find_element(By.ID, "privacy-link").text
        narrow(member, "signup-confirm-390px")
        member.press("仮登録メールを送信する", "consent-missing")
        assert "kencom会員規約に同意してください" in member.text
        assert member.focused_id() == "error-summary"
        member.driver.execute_script("document.getElementById('consent').scrollIntoView()")
        member.step("consent-checkboxes-with-the-error")
        member.tick("accept_terms")
        member.press("仮登録メールを送信する", "privacy-consent-missing")
        assert "プライバシーポリシーに同意してください" in member.text
        member.tick("accept_terms")
        member.tick("accept_privacy")
        member.press("仮登録メールを送信する", "mail-sent")
        assert "仮登録メールを送信しました" in member.text

        desk_account = portal.support_operator(REALM)
        desk.log_in(REALM, desk_account["login_id"], desk_account["initial_password"], "desk-login")
        desk.change_password(desk_account["initial_password"], OPERATOR_PASSWORD, "desk-home")
        desk.open(f"{CONSOLE}/rosters", "roster-page")
        desk.fill("maintenance_insurer_number", insurer)
        Select(desk.driver.find_element(By.ID, "under_maintenance")).select_by_value("on")
        desk.press("確認する", "maintenance-confirm")
        assert desk.driver.find_element(By.ID, "maintenance-after").text == "メンテナンス中"
        desk.press("確定する", "maintenance-set")
        assert "メンテナンス中にしました" in desk.text

        [link] = await portal.links_to(email, 1)
        member.open(link, "activation-page")
        member.press("本登録に進む", "insurance-card-form")
        card_typed(member, insurer)
        member.press("利用資格を照会する", "union-under-maintenance")
        assert "kencomメンテナンスを実施している" in member.text
        assert "まずはお客様サポートにお問い合わせ下さい。" in member.text
        assert member.focused_id() == "error-summary"
        narrow(member, "union-under-maintenance-390px")

        maintenance(portal, insurer, False)

        def eligible() -> bool:
            """Pressed again (the form kept the card, no try was counted) until the end of the
            maintenance is in force for checks (``ROSTER_CACHE_SECONDS``)."""
            member.press("利用資格を照会する", "card-checked-again")
            return "利用資格が確認できました" in member.text

        await eventually(eligible, timeout=30, interval=1)
        member.step("eligible-after-maintenance")
