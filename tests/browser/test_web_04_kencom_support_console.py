"""kencom's support console in a real browser behind the gateway (WEB-03, WEB-04; EN-02,
EN-06, EN-07): the support operator, after the forced password change, imports a large union
roster (the confirmation shows what will be imported; 戻る imports nothing; 確定する starts it)
and watches its progress bar until the result, then a roster with bad lines whose
reasons are listed and downloaded as cp932 CSV; a member signs up from the app's sign-up page
(the app's mail, its 24-hour link), and the operator finds the member and issues the
健診閲覧コード through its confirmation, shown once. Every page is checked at 390 px too.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import csv
import io
import ssl
import uuid
from pathlib import Path

import httpx
import pytest
from harness import PROVISIONING_TOKEN, eventually
from portal_browser import Browser, chromium
from portal_stack import Portal
from roster_maker import card, write_roster
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.integration

REALM = "kencom"
CONSOLE = f"/realms/{REALM}/support"
OPERATOR_PASSWORD = "Kaisha-Pass-2026"
MEMBER_PASSWORD = "Kenko-Pass9"


def insurer() -> str:
    return "06" + str(uuid.uuid4().int)[:6]


def operator_logs_in(portal: Portal, browser: Browser) -> None:
    desk = portal.support_operator(REALM)
    browser.log_in(REALM, desk["login_id"], desk["initial_password"], "operator-forced-change")
    browser.change_password(desk["initial_password"], OPERATOR_PASSWORD, "operator-home")


def narrow(browser: Browser, step: str) -> None:
    """The page at a phone's 390 px (WEB-05): nothing wider than the screen, then back."""
    browser.driver.set_window_size(390, 844)
    browser.step(step)
    width = browser.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"{browser.path} is {width} px wide at 390 px"
    browser.driver.set_window_size(1200, 900)


def choose(browser: Browser, union: str, path: Path, step: str) -> None:
    """The form filled and 取り込む pressed: the confirmation of what will be imported."""
    browser.open(f"{CONSOLE}/rosters", "roster-form")
    browser.fill("insurer_number", union)
    browser.driver.find_element(By.ID, "file").send_keys(str(path))
    browser.press("取り込む", f"{step}-confirm")
    assert browser.path.startswith(f"{CONSOLE}/rosters/uploads/"), browser.text[:300]
    assert browser.driver.find_element(By.ID, "upload-insurer").text == union
    assert browser.driver.find_element(By.ID, "upload-name").text == path.name


def upload(browser: Browser, union: str, path: Path, step: str) -> None:
    """Chosen, then 確定する on the confirmation: the import starts."""
    choose(browser, union, path, step)
    browser.press("確定する", step)


def finished(browser: Browser, result: str, step: str) -> None:
    """The progress region swapped in place (no reload) until the import's result."""
    WebDriverWait(browser.driver, 180, poll_frequency=0.5).until(
        lambda d: result in d.find_element(By.ID, "job").text
    )
    browser.step(step)


def follow(browser: Browser, link: str, step: str) -> None:
    """Click a link as a person would, wait for the next page, then record the step."""
    old = browser.driver.find_element(By.TAG_NAME, "html")
    browser.driver.find_element(By.PARTIAL_LINK_TEXT, link).click()
    WebDriverWait(browser.driver, 15).until(lambda d: _gone(old))
    browser.step(step)


def _gone(element: WebElement) -> bool:
    try:
        element.is_enabled()
    except Exception:  # StaleElementReferenceException: the next page replaced it
        return True
    return False


def download(portal: Portal, browser: Browser, path: str) -> httpx.Response:
    session = browser.cookie("__Host-session")
    assert session is not None
    return httpx.get(
        f"{portal.url}{path}",
        cookies={"__Host-session": session["value"]},
        verify=ssl.create_default_context(cafile=str(portal.gateway.trust_file)),
        timeout=30,
    )


def _roster(portal: Portal, union: str) -> httpx.Response:
    """The union's roster in force, as the API answers it."""
    return httpx.get(
        f"{portal.enroll.url}/v1/realms/{REALM}/rosters/{union}",
        headers={"Authorization": f"Bearer {PROVISIONING_TOKEN}"},
        timeout=30,
    )


async def test_web_04_en_07_kencom_support_imports_a_large_roster_then_one_with_bad_lines(
    portal: Portal, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    union = insurer()
    big = write_roster(tmp_path / "roster.csv", union, 100_000)
    bad = {3: (3, "ケンコム太郎"), 40: (5, "親"), 77: (4, "=1+1")}
    wrong = write_roster(tmp_path / "wrong.csv", union, 100, "utf-8", bad=bad)
    with chromium(portal.url, request.node.name) as browser:
        operator_logs_in(portal, browser)
        browser.open(f"{CONSOLE}/rosters", "roster-form")
        narrow(browser, "roster-form-390px")
        browser.press("取り込む", "roster-form-refused")
        assert browser.focused_id() == "error-summary" and "名簿ファイルを選んでください" in (
            browser.text
        )

        choose(browser, union, big, "import-chosen")
        assert "置き換わります" not in browser.text, "no roster in force yet"
        assert browser.driver.find_element(By.ID, "upload-encoding").text.startswith("cp932")
        assert browser.driver.find_element(By.ID, "upload-lines").text == "100,001行"
        preview = browser.driver.find_elements(By.CSS_SELECTOR, "#upload-preview tbody tr")
        assert len(preview) == 5 and union in preview[0].text
        narrow(browser, "import-confirm-390px")
        browser.press("戻る", "import-discarded")
        assert "名簿は取り込んでいません" in browser.text
        assert browser.driver.find_element(By.ID, "insurer_number").get_attribute("value") == union
        assert _roster(portal, union).status_code == 404, "戻る imported nothing"

        upload(browser, union, big, "import-progress")
        assert browser.path.startswith(f"{CONSOLE}/rosters/imports/")
        assert browser.driver.find_elements(By.ID, "import-progress"), "the progress bar"
        job_page = browser.path
        finished(browser, "名簿の取り込みが完了しました", "import-done")
        assert browser.path == job_page, "updated in place"
        assert browser.driver.find_element(By.ID, "lines-read").text == "100,000"
        narrow(browser, "import-done-390px")

        choose(browser, union, wrong, "refused-import")
        assert "置き換わります" in browser.text, "the roster in force will be replaced"
        assert browser.driver.find_element(By.ID, "upload-encoding").text.startswith("UTF-8")
        browser.press("確定する", "refused-import-progress")
        finished(browser, "取り込めませんでした", "import-refused")
        assert browser.driver.find_element(By.ID, "refused-count").text == "3"
        rows = browser.driver.find_elements(By.CSS_SELECTOR, "#job-actions tbody tr")
        assert [r.find_element(By.TAG_NAME, "td").text for r in rows] == ["3", "40", "77"]
        narrow(browser, "import-refused-390px")
        link = browser.driver.find_element(By.ID, "refused-download").get_attribute("href")
        assert link is not None
        answer = download(portal, browser, link.removeprefix(portal.url))
        assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
        table = list(csv.reader(io.StringIO(answer.content.decode("cp932"))))
        assert table[0] == ["行番号", "項目", "理由"]
        assert [(r[0], r[1]) for r in table[1:]] == [
            ("3", "氏名カナ"),
            ("40", "続柄"),
            ("77", "生年月日"),
        ]
        assert "「太」" in table[1][2]

        in_force = _roster(portal, union)
        assert (in_force.json()["version"], in_force.json()["rows"]) == (1, 100_000)


async def test_web_04_en_02_en_06_an_app_sign_up_then_support_issues_the_checkup_code(
    portal: Portal, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    union = insurer()
    roster = write_roster(tmp_path / "roster.csv", union, 3)
    person = card(union, 1)
    email = f"app-{uuid.uuid4().hex[:12]}@example.jp"
    name = request.node.name
    with chromium(portal.url, name, "member") as member, chromium(portal.url, name, "desk") as desk:
        operator_logs_in(portal, desk)
        upload(desk, union, roster, "roster-import")
        finished(desk, "名簿の取り込みが完了しました", "roster-imported")

        member.open(f"/realms/{REALM}/signup?channel=app", "app-signup-form")
        assert "24時間" in member.text
        member.fill("email", email)
        member.fill("email_confirmation", email)
        member.fill("password", MEMBER_PASSWORD)
        member.press("確認画面へ", "app-signup-confirm")
        assert "入力内容の確認" in member.text and "24時間" in member.text
        assert member.driver.find_element(By.ID, "confirm-email").text == email
        assert MEMBER_PASSWORD not in member.driver.page_source, "the password is never shown"
        narrow(member, "app-signup-confirm-390px")
        member.press("戻る", "app-signup-form-again")
        assert member.driver.find_element(By.ID, "email").get_attribute("value") == email
        member.fill("password", MEMBER_PASSWORD)
        member.press("確認画面へ", "app-signup-confirm-again")
        member.tick("accept_terms")
        member.tick("accept_privacy")
        member.press("仮登録メールを送信する", "app-mail-sent")
        assert "24時間以内" in member.text
        [link] = await portal.links_to(email, 1)
        [mail] = portal.mail.mails_to(email)
        assert str(mail["Subject"]) == "【kencom】「本登録」手続きのお願い"
        member.open(link, "activation-page")
        member.press("本登録に進む", "insurance-card-form")
        for field in ("name_kana", "insurer_number", "symbol", "number"):
            member.fill(field, person[field])
        member.set_value("birth_date", person["birth_date"])
        member.press("利用資格を照会する", "eligible")
        assert "利用資格が確認できました" in member.text

        desk.open(f"{CONSOLE}/checkup-codes", "code-search")
        narrow(desk, "code-search-390px")
        desk.fill("query", "nobody@example.jp")
        desk.press("検索する", "code-search-not-found")
        assert desk.focused_id() == "error-summary" and "見つかりません" in desk.text

        async def registered() -> bool:
            desk.open(f"{CONSOLE}/checkup-codes", "code-search-again")
            desk.fill("query", email.upper())
            desk.press("検索する", "member-found")
            return "未発行" in desk.text

        await eventually(registered, timeout=60, interval=1)
        assert desk.driver.find_element(By.ID, "member-login-id").text == email
        narrow(desk, "member-found-390px")
        desk.press("発行を確認する", "issue-confirm")
        assert "確定する" in desk.text and desk.driver.find_elements(By.ID, "confirm-message")
        desk.press("確定する", "code-issued")
        code = desk.driver.find_element(By.ID, "issued-code").text
        assert len(code) >= 8
        narrow(desk, "code-issued-390px")
        follow(desk, "会員の状況へ", "member-with-code")  # the member's page: no code again
        assert code not in desk.text and "発行済み（本人確認前" in desk.text
        desk.press("再発行を確認する", "reissue-confirm")
        assert "これまでのコードは無効になり" in desk.text
        desk.press("確定する", "code-reissued")
        assert desk.driver.find_element(By.ID, "issued-code").text != code
