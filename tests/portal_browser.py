"""A person's browser for the tests of the pages (WEB-03): Debian's headless Chromium driven by
Selenium, a screenshot of every step under ``artifacts/screenshots/<test>/``, and axe-core
(from npm, ``tests/browser/node_modules``) run on every page a step shows.

A missing Chromium, driver or axe-core fails the test loudly: ``deploy/local/infra.sh install``
installs them, and a browser test that skips proves nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from harness import REPO
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
BLOCKING_IMPACTS = ("serious", "critical")

_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(function (result) {
  done(result.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(function (n) { return n.target.join(" "); })};
  }));
});
"""


def require_browser() -> None:
    """Fail, never skip, when what the browser tests need is not installed."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER, AXE) if not p.exists()]
    if missing:
        pytest.fail(
            f"browser tests need {', '.join(missing)}: run `bash deploy/local/infra.sh install`",
            pytrace=False,
        )


class Browser:
    """One browser profile (its own cookies) on the gateway's origin."""

    def __init__(
        self, driver: webdriver.Chrome, base_url: str, folder: Path, axe: bool = True
    ) -> None:
        self.driver = driver
        self.base_url = base_url
        self.folder = folder
        self.axe = axe
        """False when the page's scripts are off: axe cannot run there (its pages are the same
        as with scripts on, where it runs)."""
        self.steps = 0

    def open(self, path: str, step: str) -> None:
        self.driver.get(self.base_url + path)
        self.step(step)

    def log_in(
        self, realm: str, login_id: str, password: str, step: str, remember: bool = False
    ) -> None:
        """The login form, filled and sent; ``step`` names what the next page shows."""
        self.open(f"/realms/{realm}/login", "login-form")
        self.fill("login_id", login_id)
        self.fill("password", password)
        self.tick("remember_id", remember)
        self.press("ログイン", step)

    def change_password(self, current: str, new: str, step: str) -> None:
        """The forced password change's form (ID-PW-03)."""
        self.fill("current_password", current)
        self.fill("new_password", new)
        self.fill("new_password_again", new)
        self.press("変更する", step)

    def fill(self, field_id: str, value: str) -> None:
        found = self.driver.find_element(By.ID, field_id)
        found.clear()
        found.send_keys(value)

    def set_value(self, field_id: str, value: str) -> None:
        """A date field's value as its picker would set it (typing into one depends on the
        browser's locale)."""
        found = self.driver.find_element(By.ID, field_id)
        self.driver.execute_script("arguments[0].value = arguments[1];", found, value)

    def tick(self, field_id: str, on: bool = True) -> None:
        box = self.driver.find_element(By.ID, field_id)
        if box.is_selected() != on:
            box.click()

    def button(self, label: str) -> WebElement:
        return self.driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']")

    def press(self, label: str, step: str) -> None:
        """Click a button as a person would, wait for the next page, then record the step."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.button(label).click()
        WebDriverWait(self.driver, 15).until(lambda d: _stale(old))
        self.step(step)

    @property
    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    @property
    def path(self) -> str:
        return str(self.driver.current_url).removeprefix(self.base_url)

    def cookie(self, name: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.driver.get_cookie(name)
        return found

    def focused_id(self) -> str:
        return str(self.driver.switch_to.active_element.get_attribute("id"))

    def step(self, name: str) -> None:
        """A screenshot of what the person sees, then axe: no serious or critical violation."""
        WebDriverWait(self.driver, 15).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        self.steps += 1
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")
        self.driver.save_screenshot(str(self.folder / f"{self.steps:02d}-{slug}.png"))
        if not self.axe:
            return
        self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        violations = self.driver.execute_async_script(_RUN_AXE)
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe on {self.path} ({name}): {blocking}"


def _stale(element: WebElement) -> bool:
    try:
        element.is_enabled()
    except Exception:  # StaleElementReferenceException: the next page replaced it
        return True
    return False


@contextmanager
def chromium(
    base_url: str,
    test_name: str,
    profile: str = "browser",
    javascript: bool = True,
    home: Path | None = None,
    prefs: dict[str, Any] | None = None,
) -> Iterator[Browser]:
    """A fresh headless Chromium profile; its screenshots go to a folder named after the test.
    ``javascript=False``: the pages' scripts do not run, nor can axe. ``home``: the browser's
    home folder (its NSS database of client certificates, ``kihonet_desk``); ``prefs``: its
    profile's preferences."""
    require_browser()
    folder = SCREENSHOTS / test_name / profile
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1200,900",
        "--lang=ja-JP",
        "--disable-extensions",
    ):
        options.add_argument(argument)
    chosen = dict(prefs or {})
    if not javascript:
        chosen["profile.managed_default_content_settings.javascript"] = 2
    if chosen:
        options.add_experimental_option("prefs", chosen)
    options.accept_insecure_certs = True  # the gateway's CA is made per run
    env = None if home is None else {**os.environ, "HOME": str(home)}
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER), env=env), options=options)
    driver.set_script_timeout(30)
    try:
        yield Browser(driver, base_url, folder, axe=javascript)
    finally:
        driver.quit()
