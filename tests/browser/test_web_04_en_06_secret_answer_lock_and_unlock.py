"""The secret answer's lock and the support desk's unlock in real browsers behind the gateway
(WEB-03, WEB-04; EN-06, seed 003): a member (signed up through the API, logged in through the
page's challenge) gets the 健診閲覧コード from the desk's console, verifies it, sets the secret
question through its confirmation, then answers wrongly until the answer locks and the page
says so; the desk finds the member, sees the answer locked, unlocks it through the
confirmation; the member answers rightly and is sent on to the checkup results. Every page is
checked at 390 px too where it is new to this walk.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import uuid

import httpx
import pytest
from harness import PROVISIONING_TOKEN, eventually
from portal_browser import Browser, chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.integration

REALM = "kencom"
CONSOLE = f"/realms/{REALM}/support/checkup-codes"
GATE = f"/realms/{REALM}/checkup"
OPERATOR_PASSWORD = "Kaisha-Pass-2026"
MEMBER_PASSWORD = "Kenko-Pass9"
ANSWER = "Sapporo"
TRIES = 5
"""EN-06's answer tries (``checkup_max_answer_tries``, the stack's default)."""
CARD = {
    "name_kana": "ケンコムハナコ",
    "birth_date": "1985-02-03",
    "symbol": "4321",
    "number": "7654321",
}


def api(portal: Portal, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{portal.enroll.url}/v1/realms/{REALM}{path}", json=body, timeout=30)


async def member_made(portal: Portal) -> str:
    """A union's roster with one member, who signs up through the API (what the sign-up pages
    do is walked elsewhere): the address, once eligible."""
    insurer = "06" + str(uuid.uuid4().int)[:6]
    line = {k: CARD[k] for k in ("symbol", "number", "name_kana", "birth_date")}
    imported = httpx.put(
        f"{portal.enroll.url}/v1/realms/{REALM}/rosters/{insurer}",
        json={"restrictions": {}, "members": [line | {"relationship": "本人"}]},
        headers={"Authorization": f"Bearer {PROVISIONING_TOKEN}"},
        timeout=30,
    )
    assert imported.status_code in (200, 201), imported.text
    email = f"lock-{uuid.uuid4().hex[:12]}@example.jp"
    typed = {"email": email, "email_confirmation": email, "password": MEMBER_PASSWORD}
    typed |= {"accept_terms": True, "accept_privacy": True}
    assert api(portal, "/signups", typed).status_code == 202
    [link] = await portal.links_to(email, 1)
    activated = api(portal, "/signups/activate", {"token": link.split("token=", 1)[1]})
    assert activated.status_code == 200, activated.text
    card = CARD | {"insurer_number": insurer, "signup_token": activated.json()["signup_token"]}
    eligible = api(portal, "/signups/eligibility", card)
    assert eligible.status_code == 200, eligible.text
    return email


def narrow(browser: Browser, step: str) -> None:
    """The page at a phone's 390 px (WEB-05): nothing wider than the screen, then back."""
    browser.driver.set_window_size(390, 844)
    browser.step(step)
    width = browser.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"{browser.path} is {width} px wide at 390 px"
    browser.driver.set_window_size(1200, 900)


def text_of(browser: Browser, element_id: str) -> str:
    return str(browser.driver.find_element(By.ID, element_id).text)


def desk_opens_the_member(desk: Browser, email: str, step: str) -> None:
    desk.open(CONSOLE, f"{step}-search")
    desk.fill("query", email)
    desk.press("検索する", step)
    assert text_of(desk, "member-login-id") == email, desk.text[:300]


async def test_web_04_en_06_the_answer_locks_after_wrong_tries_and_the_desk_unlocks_it(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    email = await member_made(portal)
    name = request.node.name
    with chromium(portal.url, name, "member") as member, chromium(portal.url, name, "desk") as desk:
        made = portal.support_operator(REALM)
        desk.log_in(REALM, made["login_id"], made["initial_password"], "operator-forced-change")
        desk.change_password(made["initial_password"], OPERATOR_PASSWORD, "operator-home")

        def logged_in() -> bool:  # the member exists once enroll's registration is through
            member.log_in(REALM, email, MEMBER_PASSWORD, "member-login")
            return member.path == f"/realms/{REALM}/home"

        await eventually(logged_in, timeout=60, interval=1)

        desk_opens_the_member(desk, email, "member-found")
        desk.press("発行を確認する", "issue-confirm")
        desk.press("確定する", "code-issued")
        code = text_of(desk, "issued-code")

        member.open(GATE, "checkup-code-form")
        member.fill("code", code)
        member.press("本人確認する", "identity-verified")
        member.driver.find_element(By.ID, "question_id").send_keys("出身地は？")
        member.fill("answer", ANSWER)
        member.press("確認", "question-to-confirm")
        assert ANSWER not in member.text, "the answer is never shown"
        member.press("設定完了", "question-set")
        assert "秘密の質問を設定しました" in member.text

        for attempt in range(1, TRIES):
            member.fill("answer", ANSWER.lower())  # case-sensitive: wrong
            member.press("次へ", f"wrong-answer-{attempt}")
            assert member.focused_id() == "error-summary", member.text[:300]
            assert not member.driver.find_elements(By.ID, "answer-locked")
        member.fill("answer", "Tokyo")
        member.press("次へ", "answer-locked")
        assert member.driver.find_elements(By.ID, "answer-locked"), member.text[:500]
        assert "入力回数が上限に達しました" in member.text and "お客様サポート" in member.text
        assert not member.driver.find_elements(By.ID, "answer"), "no answer form while locked"
        narrow(member, "answer-locked-390px")
        member.open(GATE, "still-locked")
        assert member.driver.find_elements(By.ID, "answer-locked"), "locked until the desk"

        desk_opens_the_member(desk, email, "locked-member-found")
        assert text_of(desk, "answer-state") == "ロック中"
        narrow(desk, "locked-member-390px")
        desk.press("ロック解除を確認する", "unlock-confirm")
        assert "ロックを解除します" in text_of(desk, "confirm-message")
        assert text_of(desk, "answer-state") == "ロック中", "nothing changed before 確定する"
        narrow(desk, "unlock-confirm-390px")
        desk.press("確定する", "unlocked")
        assert "ロックを解除しました" in desk.text
        assert text_of(desk, "answer-state") == f"利用可能（残り{TRIES}回）"
        desk_opens_the_member(desk, email, "unlocked-member-found")
        assert not desk.driver.find_elements(By.XPATH, "//button[.='ロック解除を確認する']")

        member.open(GATE, "answer-form-again")
        assert not member.driver.find_elements(By.ID, "answer-locked")
        member.fill("answer", ANSWER)
        member.press("次へ", "answered")
        assert "健診結果に関する注意事項" in member.text and "健診結果ページ" in member.text
