"""kihonet's 証明書発行 screen in a real browser behind the gateway (WEB-01, WEB-03; CT-01,
CT-02, CT-12, seed 001): the notice's fields typed with a wrong one answer 「入力情報エラー」
with its 3420, focused, after the e-mail's confirmation; typed right, a certificate issued with
a key made there, saved as a PKCS#12 that opens with the password chosen and names the user;
its status then checked (CT-08). The e-mail's confirmation (seed 001 ⑦): the address shown,
修正する back to the form with everything typed, the corrected address confirmed and in the
certificate.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import base64
import random
import string

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from harness import PROVISIONING_TOKEN
from mail_catchers import new_address
from portal_browser import chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.integration

REALM = "kihonet"
PASSWORD = "Hakko-Pass-2026"


def code(length: int, alphabet: str = string.digits) -> str:
    return "".join(random.choices(alphabet, k=length))


async def test_web_03_kihonet_certificate_issue_with_a_3420_first(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    fields = {
        "kihonet_code": code(8),
        "management_number": code(10, string.ascii_uppercase + string.digits),
        "user_id": code(7, string.ascii_uppercase + string.digits),
    }
    notice = portal.call("POST", f"/v1/realms/{REALM}/notices", PROVISIONING_TOKEN, json=fields)
    assert notice.status_code == 201, notice.text
    typed = fields | {
        "year": str(notice.json()["year"]),
        "branch_number": notice.json()["branch_number"],
        "email": new_address("cert"),
    }
    with chromium(portal.url, request.node.name) as browser:
        browser.open(f"/realms/{REALM}/certificate-issue", "issue-form")
        for name, value in (typed | {"branch_number": "002"}).items():
            browser.fill(name, value)
        browser.press("確認する", "email-confirmation")
        browser.fill("password", PASSWORD)
        browser.fill("password_again", PASSWORD)
        browser.press("証明書を発行する", "input-info-error-3420")
        assert "入力情報エラー（3420）" in browser.text
        assert browser.focused_id() == "error-summary"

        browser.fill("branch_number", typed["branch_number"])
        browser.press("確認する", "email-confirmation-again")
        browser.fill("password", PASSWORD)
        browser.fill("password_again", PASSWORD)
        browser.press("証明書を発行する", "issued")
        assert "クライアント証明書を発行しました" in browser.text
        link = browser.driver.find_element(By.ID, "bundle").get_attribute("href")
        assert link is not None and link.startswith("data:application/x-pkcs12;base64,")
        key, cert, _ = pkcs12.load_key_and_certificates(
            base64.b64decode(link.split(",", 1)[1]), PASSWORD.encode()
        )
        assert key is not None and cert is not None
        uid = cert.subject.get_attributes_for_oid(x509.NameOID.USER_ID)[0].value
        assert uid == typed["user_id"]

        browser.open(f"/realms/{REALM}/certificate-status", "status-form")
        browser.fill("certificate", cert.public_bytes(Encoding.PEM).decode())
        browser.press("状態を確認する", "status-valid")
        assert "この証明書は有効です" in browser.text


async def test_ct_12_kihonet_issue_confirms_the_email_address_and_goes_back_to_correct_it(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    fields = {
        "kihonet_code": code(8),
        "management_number": code(10, string.ascii_uppercase + string.digits),
        "user_id": code(7, string.ascii_uppercase + string.digits),
    }
    notice = portal.call("POST", f"/v1/realms/{REALM}/notices", PROVISIONING_TOKEN, json=fields)
    assert notice.status_code == 201, notice.text
    meant = new_address("cert")
    mistyped = meant.replace("@", "x@", 1)
    typed = fields | {
        "year": str(notice.json()["year"]),
        "branch_number": notice.json()["branch_number"],
        "email": mistyped,
    }
    with chromium(portal.url, request.node.name) as browser:
        browser.open(f"/realms/{REALM}/certificate-issue", "issue-form")
        browser.fill("email", "not-an-address")
        browser.press("確認する", "email-format-refused")
        assert "Eメールアドレスの形式が正しくありません" in browser.text
        assert browser.focused_id() == "error-summary"

        for name, value in typed.items():
            browser.fill(name, value)
        browser.press("確認する", "email-confirmation")
        assert browser.driver.find_element(By.ID, "confirm-email").text == mistyped
        assert "Eメールアドレスが正しければ" in browser.text

        browser.press("修正する", "back-to-the-form")
        for name, value in typed.items():
            assert browser.driver.find_element(By.ID, name).get_attribute("value") == value
        browser.fill("email", meant)
        browser.press("確認する", "corrected-email-confirmation")
        assert browser.driver.find_element(By.ID, "confirm-email").text == meant

        browser.fill("password", PASSWORD)
        browser.fill("password_again", "something-else")
        browser.press("証明書を発行する", "passwords-differ")
        assert "パスワードが確認用と一致しません" in browser.text
        assert browser.driver.find_element(By.ID, "confirm-email").text == meant

        browser.fill("password", PASSWORD)
        browser.fill("password_again", PASSWORD)
        browser.press("証明書を発行する", "issued")
        link = browser.driver.find_element(By.ID, "bundle").get_attribute("href")
        assert link is not None
        _, cert, _ = pkcs12.load_key_and_certificates(
            base64.b64decode(link.split(",", 1)[1]), PASSWORD.encode()
        )
        assert cert is not None
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert names.get_values_for_type(x509.RFC822Name) == [meant]
