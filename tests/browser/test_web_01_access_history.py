"""The アクセス履歴出力 screen in a real browser behind the gateway (WEB-01, WEB-03; AU-03,
AU-04, seed 004): the admin checks the rows and size, downloads the CSV, and the file opens as
cp932 with the seed's columns and the admin's own login on it; or has the file made as a job,
watches its page until it is ready, and downloads it once.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from harness import eventually
from portal_browser import Browser, chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.integration

REALM = "demo"
NEW_PASSWORD = "Kaisha-Pass-2026"

#: The download as the browser receives it: the link's own request, with the page's cookies.
FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin"}).then(function (answer) {
  return answer.arrayBuffer().then(function (body) {
    var bytes = new Uint8Array(body), text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    done({status: answer.status, type: answer.headers.get("content-type"),
          disposition: answer.headers.get("content-disposition"), body: btoa(text)});
  });
});
"""


#: The job's one download: its page's form posted as the browser would, with its CSRF token.
POST_FORM = """
const done = arguments[arguments.length - 1];
const form = document.querySelector('form[action*="/access-history/exports/"]');
fetch(form.action, {method: "POST", body: new URLSearchParams(new FormData(form)),
                    credentials: "same-origin"}).then(function (answer) {
  return answer.arrayBuffer().then(function (body) {
    var bytes = new Uint8Array(body), text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    done({status: answer.status, type: answer.headers.get("content-type"),
          disposition: answer.headers.get("content-disposition"), body: btoa(text)});
  });
});
"""

SEED_COLUMNS = ["WebユーザーID", "アクセス日時", "操作内容", "氏名", "所属名", "役職名"]


@contextmanager
def on_the_history_screen(
    portal: Portal, request: pytest.FixtureRequest
) -> Iterator[tuple[Browser, str]]:
    """An organisation's admin past the forced change, on アクセス履歴出力; and their ID."""
    org = portal.open_org(REALM, profile={"name": "山田 太郎", "department": "総務部"})
    with chromium(portal.url, request.node.name) as browser:
        browser.log_in(REALM, org["admin_login_id"], org["initial_password"], "forced-change")
        browser.change_password(org["initial_password"], NEW_PASSWORD, "home")
        browser.driver.find_element(By.LINK_TEXT, "アクセス履歴出力").click()
        browser.step("access-history-screen")
        yield browser, org["admin_login_id"]


async def previewed(browser: Browser) -> None:
    """件数を確認, until audit has consumed the admin's login and shows its record."""

    def checked() -> bool:
        browser.press("件数を確認", "preview")
        return "レコード件数" in browser.text

    await eventually(checked, timeout=30, interval=0.5)


async def test_web_03_the_access_history_csv_downloads_and_opens_as_cp932(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    with on_the_history_screen(portal, request) as (browser, admin):
        await previewed(browser)
        link = browser.driver.find_element(By.ID, "download").get_attribute("href")
        assert link is not None and "encoding=cp932" in link
        got = browser.driver.execute_async_script(FETCH, link)
        assert got["status"] == 200, got
        assert got["type"] == "text/csv; charset=cp932"
        assert got["disposition"].startswith("attachment;")
        text = base64.b64decode(got["body"]).decode("cp932")
        header, *rows = text.splitlines()
        assert header.split(",")[:6] == SEED_COLUMNS
        assert any(admin in row and "ログイン" in row and "山田" in row for row in rows), text


async def test_web_03_au_04_an_export_job_shows_its_progress_and_downloads_once(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    """「ファイルを作成する」 opens the job's page, whose status updates itself in place until the
    file is ready (axe refuses a meta refresh; it is the page's fallback without JavaScript);
    its one ダウンロード gives the cp932 file, and the page then says it was downloaded."""
    with on_the_history_screen(portal, request) as (browser, admin):
        await previewed(browser)
        browser.press("ファイルを作成する", "export-job")
        assert "/access-history/exports/" in browser.path
        assert browser.driver.find_element(By.ID, "job").get_attribute("aria-live") == "polite"

        browser.driver.execute_script("window.stillThisPage = true")

        def ready() -> bool:  # the page's own script brings the news; nobody reloads
            return "CSVファイルを作成しました" in browser.text

        await eventually(ready, timeout=30, interval=0.5)
        browser.step("export-ready")
        assert browser.driver.execute_script("return window.stillThisPage === true"), (
            "the status was swapped in place (aria-live), not by reloading the page"
        )
        assert "ダウンロードできるのは1回だけです" in browser.text
        got = browser.driver.execute_async_script(POST_FORM)
        assert got["status"] == 200, got
        assert got["type"] == "text/csv; charset=cp932"
        assert got["disposition"].startswith("attachment;")
        header, *rows = base64.b64decode(got["body"]).decode("cp932").splitlines()
        assert header.split(",")[:6] == SEED_COLUMNS
        assert any(admin in row and "ログイン" in row for row in rows), rows

        browser.driver.refresh()
        browser.step("export-downloaded")
        assert "このファイルはダウンロード済みです" in browser.text
        again = browser.driver.execute_async_script(
            "arguments[arguments.length - 1](document.querySelectorAll("
            "'form[action*=\"/access-history/exports/\"]').length)"
        )
        assert again == 0, "no second download is offered"
