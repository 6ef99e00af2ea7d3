"""The アクセス履歴出力 screen in a real browser behind the gateway (WEB-01, WEB-03; AU-03,
AU-04, seed 004): the admin checks the rows and size, downloads the CSV, and the file opens as
cp932 with the seed's columns and the admin's own login on it.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import base64

import pytest
from harness import eventually
from portal_browser import chromium
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


async def test_web_03_the_access_history_csv_downloads_and_opens_as_cp932(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    org = portal.open_org(REALM, profile={"name": "山田 太郎", "department": "総務部"})
    admin = org["admin_login_id"]
    with chromium(portal.url, request.node.name) as browser:
        browser.log_in(REALM, admin, org["initial_password"], "forced-change")
        browser.change_password(org["initial_password"], NEW_PASSWORD, "home")
        browser.driver.find_element(By.LINK_TEXT, "アクセス履歴出力").click()
        browser.step("access-history-screen")

        def checked() -> bool:
            browser.press("件数を確認", "preview")
            return "レコード件数" in browser.text

        await eventually(checked, timeout=30, interval=0.5)  # audit consumes the login first
        link = browser.driver.find_element(By.ID, "download").get_attribute("href")
        assert link is not None and "encoding=cp932" in link
        got = browser.driver.execute_async_script(FETCH, link)
        assert got["status"] == 200, got
        assert got["type"] == "text/csv; charset=cp932"
        assert got["disposition"].startswith("attachment;")
        text = base64.b64decode(got["body"]).decode("cp932")
        header, *rows = text.splitlines()
        assert header.split(",")[:6] == [
            "WebユーザーID",
            "アクセス日時",
            "操作内容",
            "氏名",
            "所属名",
            "役職名",
        ]
        assert any(admin in row and "ログイン" in row and "山田" in row for row in rows), text
