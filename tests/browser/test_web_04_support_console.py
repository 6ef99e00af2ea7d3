"""The support console's identity operations (WEB-04, WEB-05, WEB-03) in a real Chromium
behind the gateway, as a support operator starting from the login page: the console's home
and its menu; an organisation opened with its admin (the initial password shown once, on the
result page only); the search by name, org id and admin's login ID; the admin's lock, unlock
and password initialisation, each with its confirmation (確認する → 確定する), each felt by the
admin at its next login; a support operator creating another, then finding it in the realm's
list of operators (the newest first, its last login once it has logged in). Anyone else is
refused the console with the portal's page. axe on every step, and the console at a phone's
390 px.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``."""

from __future__ import annotations

import uuid

import pytest
from portal_browser import Browser, chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from servicekit.problems import ProblemCode

pytestmark = pytest.mark.integration

REALM = "demo"
NEW_PASSWORD = "Kaisha-Pass-2026"
ADMIN_PASSWORD = "Dantai-Kanri-2026"


def follow(browser: Browser, link: str, step: str) -> None:
    """Click a link as a person would, wait for the next page, record the step."""
    old = browser.driver.find_element(By.TAG_NAME, "html")
    browser.driver.find_element(By.LINK_TEXT, link).click()
    WebDriverWait(browser.driver, 15).until(lambda d: _replaced(old))
    browser.step(step)


def _replaced(element: object) -> bool:
    try:
        element.is_enabled()  # type: ignore[attr-defined]
    except Exception:  # the next page replaced it
        return True
    return False


def support_at_console(portal: Portal, browser: Browser, realm: str = REALM) -> dict[str, str]:
    """A support operator made on the command line, logged in from the login page: its first
    login changes the initial password, lands on the portal's top page and follows its
    サポートコンソール link to the console's home."""
    operator = portal.support_operator(realm)
    browser.log_in(realm, operator["login_id"], operator["initial_password"], "forced-change")
    browser.change_password(operator["initial_password"], NEW_PASSWORD, "top-page")
    to_console(browser, realm)
    return operator


def to_console(browser: Browser, realm: str) -> None:
    """From a support operator's top page to the console, by its menu's link."""
    assert browser.path == f"/realms/{realm}/home", "a login ends on the portal's top page"
    follow(browser, "サポートコンソール", "console-home")
    assert browser.path == f"/realms/{realm}/support/"


def admin_logs_in(admin: Browser, login_id: str, password: str, step: str) -> None:
    admin.driver.delete_all_cookies()
    admin.log_in(REALM, login_id, password, step)


def test_web_04_a_support_operator_opens_an_organisation_and_locks_unlocks_initialises_its_admin(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    with (
        chromium(portal.url, request.node.name, "support") as support,
        chromium(portal.url, request.node.name, "admin") as admin,
    ):
        support_at_console(portal, support)
        assert support.driver.find_element(By.TAG_NAME, "h1").text == "サポートコンソール"
        menu = {
            a.text: a.get_attribute("href")
            for a in support.driver.find_elements(By.CSS_SELECTOR, ".console-menu a")
        }
        base = f"{support.base_url}/realms/{REALM}"
        assert menu["団体管理"] == f"{base}/support/orgs"
        assert menu["サポート担当者"] == f"{base}/support/operators"
        assert menu["配信ログ"] == f"{base}/support/deliveries"
        assert menu["運用ダッシュボード"] == f"{base}/ops/dashboard"

        follow(support, "団体管理", "orgs")
        follow(support, "団体を開設する", "open-form")
        support.press("確認する", "open-form-refused")
        assert support.focused_id() == "error-summary", "the errors are announced and focused"
        assert "団体名を入力してください" in support.text
        name = f"サポート検証団体{uuid.uuid4().hex[:6]}"
        login_id = f"XA3{uuid.uuid4().hex[:8]}"
        support.fill("name", name)
        support.fill("login_id", login_id)
        support.fill("admin_name", "山田 太郎")
        support.fill("email", "yamada@example.jp")
        support.press("確認する", "open-confirm")
        assert name in support.text and login_id in support.text
        support.press("確定する", "opened")
        password = support.driver.find_element(By.ID, "initial-password").text
        assert password and "この画面でのみ表示されます" in support.text
        assert password not in support.path, "never in an address"

        follow(support, "団体の詳細へ", "organisation")
        org_path = support.path
        org_id = org_path.rsplit("/", 1)[1]
        assert support.driver.find_element(By.ID, "admin-lock").text == "なし"

        admin_logs_in(admin, login_id, password, "admin-forced-change")
        admin.change_password(password, ADMIN_PASSWORD, "admin-home")
        assert admin.path == f"/realms/{REALM}/home"

        for query, step in (
            (name[-6:], "search-by-name"),
            (login_id, "search-by-admin-id"),
            (org_id, "search-by-org-id"),
        ):
            support.open(f"/realms/{REALM}/support/orgs", f"{step}-form")
            support.fill("q", query)
            support.press("検索する", step)
            assert name in support.text, query
        follow(support, name, "organisation-found")
        assert support.path == org_path

        follow(support, "ロックする", "lock-confirm")
        support.fill("note", "管理者からの電話依頼")
        support.press("確定する", "locked")
        assert "管理用IDをロックしました" in support.text
        assert support.driver.find_element(By.ID, "admin-lock").text == "ロック中"
        admin_logs_in(admin, login_id, ADMIN_PASSWORD, "admin-locked-out")
        assert ProblemCode.ACCOUNT_LOCKED.title in admin.text

        follow(support, "ロックを解除する", "unlock-confirm")
        support.press("確定する", "unlocked")
        assert "管理用IDのロックを解除しました" in support.text
        admin_logs_in(admin, login_id, ADMIN_PASSWORD, "admin-back-in")
        assert admin.path == f"/realms/{REALM}/home", "the password it had"

        follow(support, "パスワードを初期化する", "initialise-confirm")
        support.press("確定する", "initialised")
        assert "パスワードを初期化しました" in support.text
        admin_logs_in(admin, login_id, password, "admin-on-the-initial-password")
        assert admin.path == f"/realms/{REALM}/password-change", "must change it again"


def test_web_04_a_support_operator_creates_another_its_initial_password_shown_once(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    with (
        chromium(portal.url, request.node.name, "support") as support,
        chromium(portal.url, request.node.name, "new-operator") as newcomer,
    ):
        me = support_at_console(portal, support)
        follow(support, "サポート担当者", "operators")
        assert me["login_id"] in operators_listed(support), "the realm's operators are listed"
        support.fill("login_id", "ＳＵＰ全角")
        support.press("確認する", "operator-refused")
        assert "半角英数字で入力してください" in support.text
        login_id = f"SUP{uuid.uuid4().hex[:8]}"
        support.fill("login_id", login_id)
        support.press("確認する", "operator-confirm")
        support.press("確定する", "operator-created")
        assert support.driver.find_element(By.ID, "operator-login-id").text == login_id
        password = support.driver.find_element(By.ID, "initial-password").text
        assert password not in support.path

        follow(support, "サポート担当者", "operators-with-the-new-one")
        listed = operators_listed(support)
        assert next(iter(listed)) == login_id, "the newest first"
        assert listed[login_id] == ["なし", "利用可"], "never logged in, not locked"
        assert password not in support.text, "shown once, on the result page only"

        newcomer.log_in(REALM, login_id, password, "newcomer-forced-change")
        newcomer.change_password(password, NEW_PASSWORD, "newcomer-top-page")
        to_console(newcomer, REALM)
        support.open(f"/realms/{REALM}/support/operators", "operators-after-its-login")
        assert operators_listed(support)[login_id][0] != "なし", "its last login is shown"


def operators_listed(browser: Browser) -> dict[str, list[str]]:
    """The operators' table as the desk reads it: each login ID, then its 最終ログイン and
    状態 (the 作成日時 between is the claim's moment)."""
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "#operators tbody tr")
    found = {}
    for row in rows:
        login_id = row.find_element(By.TAG_NAME, "th").text
        cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        assert cells[0], "its creation is dated"
        found[login_id] = cells[1:]
    return found


def test_web_04_x_15_the_console_refuses_everyone_but_the_realms_support(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    org = portal.open_org(REALM)
    console = [
        f"/realms/{REALM}/support/",
        f"/realms/{REALM}/support/orgs",
        f"/realms/{REALM}/support/orgs/new",
        f"/realms/{REALM}/support/orgs/{org['org_id']}",
        f"/realms/{REALM}/support/orgs/{org['org_id']}/admin/lock",
        f"/realms/{REALM}/support/operators",
    ]
    with chromium(portal.url, request.node.name, "stranger") as stranger:
        stranger.open(console[1], "stranger-sent-to-the-login")
        assert stranger.path == f"/realms/{REALM}/login"
    with chromium(portal.url, request.node.name, "admin") as admin:
        admin.log_in(REALM, org["admin_login_id"], org["initial_password"], "forced-change")
        admin.change_password(org["initial_password"], ADMIN_PASSWORD, "home")
        for n, path in enumerate(console):
            admin.open(path, f"admin-refused-{n}")
            assert admin.driver.find_element(By.TAG_NAME, "h1").text == ProblemCode.FORBIDDEN.title
            assert "エラーコード：FORBIDDEN" in admin.text
            assert org["admin_login_id"] not in admin.text
    with chromium(portal.url, request.node.name, "other-realms-support") as other:
        support_at_console(portal, other, "nexi")
        other.open(console[0], "other-realm-refused")
        assert other.driver.find_element(By.TAG_NAME, "h1").text == ProblemCode.FORBIDDEN.title


def test_web_05_the_console_at_a_phones_width(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    org = portal.open_org(REALM)
    with chromium(portal.url, request.node.name, "phone") as phone:
        phone.driver.set_window_size(390, 844)
        support_at_console(portal, phone)
        for path, step in (
            (f"/realms/{REALM}/support/", "home"),
            (f"/realms/{REALM}/support/orgs", "orgs"),
            (f"/realms/{REALM}/support/orgs/new", "open-form"),
            (f"/realms/{REALM}/support/orgs/{org['org_id']}", "organisation"),
            (f"/realms/{REALM}/support/orgs/{org['org_id']}/admin/initialise", "confirm"),
            (f"/realms/{REALM}/support/operators", "operators"),
        ):
            phone.open(path, step)
            width = phone.driver.execute_script("return document.documentElement.scrollWidth")
            inner = phone.driver.execute_script("return window.innerWidth")
            assert width <= inner, f"{path} scrolls sideways at 390 px ({width} > {inner})"
