"""kihonet's 証明書更新 screen in a real browser behind the gateway (WEB-01, WEB-03; CT-05, CT-09,
GW-03, seed 001 ⑥-⑧): Chromium presents its client certificate to nginx's kihonet server, which
verifies it (CA, OCSP) and forwards it to certs; the screen shows the certificate it was given,
refuses to renew it before the window opens, then renews it and answers the new certificate as
a PKCS#12 that opens with the password chosen. A browser without a certificate is refused.

Chromium holds the certificate as a person's PC does (``kihonet_desk``: an NSS database in its
home, the site's certificate chosen by its profile's AutoSelectCertificateForUrls). Certs runs
twice on one namespace (``gateway_harness.certs_behind_gateway``, as in
``tests/integration/test_certs_renewal_page.py``): a process on the real time answers the
gateway's OCSP, and this process's app, whose clock the test moves into the renewal window
(never sleeping), serves the screen (and the portal's stylesheet).

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from gateway_harness import CertsBehindGateway, certs_behind_gateway
from harness import PROVISIONING, Infra
from kihonet_desk import REALM, ClientCertificate, issued_through, kihonet_browser
from portal_browser import chromium
from selenium.webdriver.common.by import By

from servicekit.clock import SystemClock
from servicekit.problems import ProblemCode

pytestmark = pytest.mark.integration

PAGE = f"/realms/{REALM}/certificate-renewal"
PASSWORD = "Koshin-Pass-2026"


@pytest.fixture(scope="module")
def renewals(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CertsBehindGateway]:
    with certs_behind_gateway(infra, tmp_path_factory.mktemp("renewal-browser")) as renewals:
        yield renewals


def pc_certificate(renewals: CertsBehindGateway, folder: Path) -> ClientCertificate:
    """A certificate issued now on the issue screen's API, its notice recorded at certs."""

    def record(fields: dict[str, str]) -> httpx.Response:
        url = f"{renewals.certs_url}/v1/realms/{REALM}/notices"
        return httpx.post(url, json=fields, headers=PROVISIONING, timeout=30)

    gw = renewals.gateway
    return issued_through(gw.url, gw.trust_file, record, folder)


def test_web_03_ct_09_without_a_client_certificate_the_renewal_page_is_refused(
    renewals: CertsBehindGateway, request: pytest.FixtureRequest
) -> None:
    """The portals' server tells the browser on a page that kihonet needs a certificate, with
    the way to its issue; kihonet's server refuses the browser before any page (GW-03)."""
    gw = renewals.gateway
    with chromium(gw.url, request.node.name) as browser:
        browser.open(PAGE, "portals-server-refuses")
        assert "クライアント証明書が必要です" in browser.text
        assert browser.driver.find_element(By.LINK_TEXT, "クライアント証明書の発行へ")
    # nginx's problem (JSON, GW-03): not a page to run axe on, so without scripts.
    kihonet = chromium(gw.kihonet_url, request.node.name, "kihonet-server", javascript=False)
    with kihonet as browser:
        browser.open(PAGE, "kihonet-server-refuses")
        assert "CLIENT_CERTIFICATE_REQUIRED" in browser.text


def test_web_03_ct_05_the_renewal_page_renews_the_certificate_chromium_presents(
    renewals: CertsBehindGateway, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    renewals.clock.set(SystemClock().now())  # issued now, as nginx's clock sees it
    pc = pc_certificate(renewals, tmp_path / "pc")
    not_after = pc.certificate.not_valid_after_utc
    with kihonet_browser(renewals.gateway.kihonet_url, request.node.name, pc, tmp_path) as browser:
        renewals.clock.set(not_after - timedelta(days=31))
        browser.open(PAGE, "renewal-not-open")
        subject = browser.driver.find_element(By.ID, "subject").text
        assert pc.fields["user_id"] in subject and pc.fields["management_number"] in subject
        assert ProblemCode.RENEWAL_NOT_OPEN.title in browser.text
        assert not browser.driver.find_elements(By.ID, "password")

        renewals.clock.set(not_after - timedelta(days=10))
        browser.open(PAGE, "renewal-open")
        assert browser.driver.find_element(By.ID, "renewal-open")
        browser.fill("password", PASSWORD)
        browser.fill("password_again", "Other-Pass-2026")
        browser.press("更新", "passwords-differ")
        assert "パスワードが確認用と一致しません" in browser.text
        assert browser.focused_id() == "error-summary"

        browser.fill("password", PASSWORD)
        browser.fill("password_again", PASSWORD)
        browser.press("更新", "renewed")
        assert "クライアント証明書を更新しました" in browser.text
        link = browser.driver.find_element(By.ID, "bundle").get_attribute("href")
        assert link is not None and link.startswith("data:application/x-pkcs12;base64,")
        key, renewed, _ = pkcs12.load_key_and_certificates(
            base64.b64decode(link.split(",", 1)[1]), PASSWORD.encode()
        )
        assert key is not None and renewed is not None
        uid = renewed.subject.get_attributes_for_oid(x509.NameOID.USER_ID)[0].value
        assert uid == pc.fields["user_id"]
        assert renewed.serial_number != pc.certificate.serial_number
        assert renewed.not_valid_after_utc > not_after

        browser.open(PAGE, "already-renewed")
        assert ProblemCode.CERT_ALREADY_RENEWED.title in browser.text
        assert not browser.driver.find_elements(By.ID, "password")
