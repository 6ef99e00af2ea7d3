"""The support console's pages of identity's members, business-ID requests and trusted networks
in a real browser behind the gateway (WEB-04, WEB-03, WEB-05): `dantai-net`'s admin asks for
business IDs and the support desk approves one (the password notice mailed to the contact) and
refuses the other (ID-USER-10, seed 000 Q4); `mypage`'s desk registers a member (the initial
password mailed), finds them and initialises their locked password (ID-USER-03, ID-PW-06);
kencom's desk adds and removes a trusted network (ID-BOT-03). Every change passes its
confirmation step (確認する → 確定する); anyone but the realm's desk is refused with a page.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import uuid

import pytest
from dantai_browser import NEW_PASSWORD, dantai_login
from mail_catchers import new_address
from portal_browser import Browser, _stale, chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.integration


def press_in_row(browser: Browser, row_text: str, label: str, step: str) -> None:
    """The button ``label`` in the table row whose header is ``row_text``."""
    old = browser.driver.find_element(By.TAG_NAME, "html")
    row = browser.driver.find_element(By.XPATH, f"//tr[th[normalize-space()='{row_text}']]")
    row.find_element(By.XPATH, f".//button[normalize-space()='{label}']").click()
    WebDriverWait(browser.driver, 15).until(lambda d: _stale(old))
    browser.step(step)


def fill_in_row(browser: Browser, row_text: str, value: str) -> None:
    row = browser.driver.find_element(By.XPATH, f"//tr[th[normalize-space()='{row_text}']]")
    field = row.find_element(By.XPATH, ".//input[starts-with(@id, 'note-')]")
    field.clear()
    field.send_keys(value)


async def test_web_04_dantai_net_business_ids_asked_by_the_admin_approved_or_refused_by_support(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    realm = "dantai-net"
    contact = new_address("madoguchi")
    org = portal.open_org(realm, profile={"email": contact, "phone": "03-1234-5678"})
    desk = portal.support_operator(realm)
    approved, refused = f"XA5{uuid.uuid4().hex[:8]}", f"XA5{uuid.uuid4().hex[:8]}"
    name = request.node.name
    with chromium(portal.url, name, "admin") as admin, chromium(portal.url, name, "desk") as sup:
        await dantai_login(
            portal, admin, org["admin_login_id"], org["initial_password"], new_address("adm")
        )
        admin.open(f"/realms/{realm}/admin/id-requests", "id-requests-empty")
        assert "あと3件申込めます" in admin.text
        admin.fill("login_id", "XA3wrong")
        admin.press("確認する", "id-request-refused-format")
        assert admin.focused_id() == "error-summary" and "XA5" in admin.text
        for login_id, person in ((approved, "日本 一郎"), (refused, "日本 二郎")):
            admin.fill("login_id", login_id)
            admin.fill("name", person)
            admin.press("確認する", "id-request-confirm")
            assert "業務用IDの追加申込（確認）" in admin.text and login_id in admin.text
            admin.press("確定する", "id-request-sent")
            assert f"業務用ID {login_id} の追加を申込みました" in admin.text
        assert "あと1件申込めます" in admin.text

        admin.open(f"/realms/{realm}/support/id-requests", "admin-refused-from-console")
        assert "エラーコード：FORBIDDEN" in admin.text and approved not in admin.text

        await dantai_login(
            portal, sup, desk["login_id"], desk["initial_password"], new_address("d")
        )
        sup.open(f"/realms/{realm}/support/id-requests", "waiting-requests")
        assert approved in sup.text and refused in sup.text and org["admin_login_id"] in sup.text
        press_in_row(sup, approved, "承認する", "approve-confirm")
        assert "業務用ID追加申込の承認（確認）" in sup.text and "日本　一郎" in sup.text
        sup.press("確定する", "approved")
        assert approved in sup.driver.find_element(By.ID, "approved-login-id").text
        assert "ID通知書" in sup.text
        fill_in_row(sup, refused, "申込書の記載に不備があるため")
        press_in_row(sup, refused, "却下する", "refuse-confirm")
        assert "申込書の記載に不備があるため" in sup.text
        sup.press("確定する", "refused")
        assert f"業務用ID {refused} の追加申込を却下しました" in sup.text
        rows = sup.driver.find_elements(By.XPATH, "//tbody/tr/th")
        assert approved not in [r.text for r in rows] and refused not in [r.text for r in rows]

        def notice() -> bool:
            return any(
                "ご利用開始情報連絡" in str(m["Subject"]) for m in portal.mail.mails_to(contact)
            )

        WebDriverWait(sup.driver, 60, poll_frequency=1).until(lambda _: notice())

        admin.open(f"/realms/{realm}/admin/id-requests", "admin-after-decisions")
        assert "承認待ちの申込はありません" in admin.text and "あと2件申込めます" in admin.text
        admin.open(f"/realms/{realm}/admin/users", "business-user-created")
        assert approved in admin.text and refused not in admin.text

    with chromium(portal.url, name, "stranger") as stranger:
        stranger.open(f"/realms/{realm}/support/id-requests", "stranger-to-login")
        assert stranger.path == f"/realms/{realm}/login"


async def test_web_04_mypage_support_registers_finds_and_initialises_a_member(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    realm = "mypage"
    desk = portal.support_operator(realm)
    login_id, email = f"kyosai-{uuid.uuid4().hex[:8]}", new_address("member")
    name = request.node.name
    with chromium(portal.url, name, "desk") as sup, chromium(portal.url, name, "member") as member:
        sup.log_in(realm, desk["login_id"], desk["initial_password"], "forced-change")
        sup.change_password(desk["initial_password"], NEW_PASSWORD, "home")
        sup.open(f"/realms/{realm}/support/members", "members")
        sup.fill("login_id", login_id)
        sup.fill("name", "共済 太郎")
        sup.press("確認する", "register-refused-no-email")
        assert sup.focused_id() == "error-summary" and "メールアドレスを入力" in sup.text
        sup.fill("email", email)
        sup.press("確認する", "register-confirm")
        assert "会員の登録（確認）" in sup.text and email in sup.text
        sup.press("確定する", "registered")
        assert "初期パスワードは" in sup.text and login_id in sup.text
        initial = await portal.line_in_mail(email, "初期パスワード")

        for n in range(3):
            member.log_in(realm, login_id, f"wrong-{n}-Password", f"wrong-{n}")
        assert "アカウントロックの解除後" in member.text

        sup.fill("q", login_id[-6:])
        sup.press("検索する", "search")
        assert login_id in sup.text and "ロック中" in sup.text
        press_in_row(sup, login_id, "パスワード初期化", "initialise-confirm")
        assert "パスワード初期化（確認）" in sup.text
        sup.press("確定する", "initialised")
        assert "アカウントロックも解除されました" in sup.text

        member.log_in(realm, login_id, initial, "initial-password-again")
        assert member.path == f"/realms/{realm}/password-change"
        member.open(f"/realms/{realm}/support/members", "member-refused-from-console")
        assert member.path == f"/realms/{realm}/password-change" or "FORBIDDEN" in member.text


async def test_web_04_kencom_support_adds_and_removes_a_trusted_network(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    realm = "kencom"
    desk = portal.support_operator(realm)
    union = f"サンプル健康保険組合{uuid.uuid4().hex[:4]}"
    with chromium(portal.url, request.node.name, "desk") as sup:
        sup.log_in(realm, desk["login_id"], desk["initial_password"], "forced-change")
        sup.change_password(desk["initial_password"], NEW_PASSWORD, "home")
        sup.open(f"/realms/{realm}/support/trusted-networks", "trusted-networks")
        sup.fill("organisation", union)
        sup.fill("networks", "198.51.100.7/24")
        sup.press("確認する", "network-refused")
        assert sup.focused_id() == "error-summary" and "198.51.100.7/24" in sup.text
        sup.fill("networks", "198.51.100.0/24, 203.0.113.9")
        sup.press("確認する", "add-confirm")
        assert "対象外IPアドレスの登録（確認）" in sup.text
        sup.press("確定する", "added")
        assert f"{union} のネットワークを登録しました" in sup.text
        assert "198.51.100.0/24 203.0.113.9/32" in sup.text
        press_in_row(sup, union, "削除する", "remove-confirm")
        assert "対象外IPアドレスの削除（確認）" in sup.text
        sup.press("確定する", "removed")
        assert f"{union} の登録を削除しました" in sup.text
        rows = [r.text for r in sup.driver.find_elements(By.XPATH, "//tbody/tr/th")]
        assert union not in rows

        sup.open(f"/realms/{realm}/support/members", "kencom-members")
        member = f"member-{uuid.uuid4().hex[:8]}@example.jp"
        sup.fill("login_id", member)
        sup.fill("email", member)
        sup.press("確認する", "kencom-register-confirm")
        sup.press("確定する", "kencom-registered")
        assert member in sup.text

    with chromium(portal.url, request.node.name, "narrow") as narrow:
        narrow.driver.set_window_size(390, 844)
        narrow.log_in(realm, desk["login_id"], NEW_PASSWORD, "narrow-home")
        narrow.open(f"/realms/{realm}/support/trusted-networks", "narrow-networks")
        width = narrow.driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, "usable at a phone's width (WEB-05)"
