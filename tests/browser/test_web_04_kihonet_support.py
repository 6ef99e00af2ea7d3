"""kihonet's support console in a real browser behind the gateway (WEB-03, WEB-04, WEB-05; CT-02,
CT-06, CT-08): the support operator, on a PC holding a client certificate of the certs CA
(kihonet's server asks every browser for one, GW-03), logs in through identity's kihonet login,
records a 「ユーザーIDのお知らせ」 (the 年 shown before and after 確定する), finds a holder by its
管理番号, sees its certificates with their standing, and revokes one with a reason after a
confirmation step. The revocation is the API's: ``CertRevoked`` is on ``certs.events``, the
CRL lists the serial and OCSP answers revoked.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from certs_portal import ocsp_request
from cryptography import x509
from cryptography.x509 import ocsp
from harness import eventually
from kihonet_desk import (
    REALM,
    SUPPORT_PASSWORD,
    ClientCertificate,
    issue_pkcs12,
    issued,
    kihonet_browser,
    notice_fields,
    support_operator,
)
from portal_browser import Browser
from portal_stack import Portal
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from services.certs.domain.calendar import last_business_day_of_december

pytestmark = pytest.mark.integration

SUPPORT = f"/realms/{REALM}/support"


@pytest.fixture(scope="module")
def desk_pc(portal: Portal, tmp_path_factory: pytest.TempPathFactory) -> ClientCertificate:
    """The support desk's PC: a client certificate of the certs CA, as every kihonet PC has."""
    return issued(portal, tmp_path_factory.mktemp("desk-pc"))


@pytest.fixture
def desk(
    portal: Portal,
    desk_pc: ClientCertificate,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Browser]:
    """The support operator's browser, logged in through identity's kihonet login, its
    initial password changed (ID-PW-03)."""
    login = support_operator(portal)
    with kihonet_browser(
        portal.gateway.kihonet_url, request.node.name, desk_pc, tmp_path
    ) as browser:
        browser.log_in(REALM, login["login_id"], login["initial_password"], "password-change")
        browser.change_password(login["initial_password"], SUPPORT_PASSWORD, "home")
        assert "/password-change" not in browser.path
        yield browser


def select(browser: Browser, field_id: str, value: str) -> None:
    Select(browser.driver.find_element(By.ID, field_id)).select_by_value(value)


def test_web_04_ct_02_support_records_a_notice_and_is_shown_its_year(
    portal: Portal, desk: Browser
) -> None:
    """December's last business day: the notice carries the next year, on the confirmation and
    on the result (CT-02)."""
    fields = notice_fields()
    year = date.today().year
    last = last_business_day_of_december(year)

    desk.open(f"{SUPPORT}/notices", "notice-form")
    assert desk.driver.find_element(By.ID, "issued_on").get_attribute("value")  # today
    for name, value in (fields | {"kihonet_code": "1234"}).items():
        desk.fill(name, value)
    desk.set_value("issued_on", last.isoformat())
    desk.press("確認する", "notice-form-wrong-code")
    assert "企保ネットコードの形式が正しくありません" in desk.text
    assert desk.focused_id() == "error-summary"

    desk.fill("kihonet_code", fields["kihonet_code"])
    desk.press("確認する", "notice-confirm")
    assert desk.driver.find_element(By.ID, "notice-year").text == str(year + 1)
    assert desk.driver.find_element(By.ID, "notice-branch").text == "001"
    desk.press("修正する", "notice-form-again")
    assert desk.driver.find_element(By.ID, "user_id").get_attribute("value") == fields["user_id"]
    desk.press("確認する", "notice-confirm-again")
    desk.press("確定する", "notice-recorded")
    assert "ユーザーIDのお知らせを登録しました" in desk.text
    assert desk.driver.find_element(By.ID, "notice-year").text == str(year + 1)

    # The notice is the API's: a certificate is issued with its fields and that year.
    body = fields | {
        "year": str(year + 1),
        "branch_number": "001",
        "email": "notice@example.jp",
        "password": "Notice-Pass-2026",
    }
    answer = issue_pkcs12(portal.url, portal.gateway.trust_file, body)
    assert answer.status_code == 201, answer.text

    # A reissue notice from the holder's page: the next 枝番.
    desk.open(f"{SUPPORT}/holders/{fields['user_id']}", "holder-with-certificate")
    desk.driver.find_element(By.LINK_TEXT, "再発行のお知らせを登録する").click()
    desk.step("reissue-form")
    desk.press("確認する", "reissue-confirm")
    assert desk.driver.find_element(By.ID, "notice-branch").text == "002"
    desk.press("確定する", "reissue-recorded")
    assert desk.driver.find_element(By.ID, "notice-branch").text == "002"


async def test_web_04_ct_08_support_finds_a_holder_and_revokes_its_certificate(
    portal: Portal, desk: Browser, tmp_path: Path
) -> None:
    holder = issued(portal, tmp_path / "holder")
    serial = holder.serial

    desk.open(f"{SUPPORT}/holders", "holder-search")
    select(desk, "by", "management_number")
    desk.fill("q", "短すぎ")
    desk.press("検索する", "holder-search-wrong")
    assert "管理番号の形式が正しくありません" in desk.text
    select(desk, "by", "management_number")
    desk.fill("q", holder.fields["management_number"])
    desk.press("検索する", "holder-found")
    desk.driver.find_element(By.LINK_TEXT, holder.fields["user_id"]).click()
    desk.step("holder")
    section = desk.driver.find_element(By.ID, f"certificate-{serial}")
    standing = section.find_element(By.CLASS_NAME, "standing")
    assert standing.get_attribute("data-standing") == "valid", standing.text
    assert "有効" in standing.text and "年" in section.text  # the validity, in Tokyo's words

    desk.driver.set_window_size(390, 844)  # a phone (WEB-05): nothing wider than the screen
    desk.step("holder-at-390px")
    width = desk.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, width
    desk.driver.set_window_size(1200, 900)

    section.find_element(By.LINK_TEXT, "失効させる").click()
    desk.step("revoke-form")
    select(desk, "reason", "key_compromise")
    desk.press("確認する", "revoke-confirm")
    assert "鍵の危殆化" in desk.driver.find_element(By.ID, "revoke-reason").text
    assert await status_of(portal, holder) == ocsp.OCSPCertStatus.GOOD, "nothing yet"
    desk.press("確定する", "revoked")
    assert "クライアント証明書を失効させました" in desk.text
    assert desk.driver.find_element(By.ID, "revoked-at").text

    desk.open(f"{SUPPORT}/holders/{holder.fields['user_id']}", "holder-revoked")
    section = desk.driver.find_element(By.ID, f"certificate-{serial}")
    assert section.find_element(By.CLASS_NAME, "standing").get_attribute("data-standing") == (
        "revoked"
    )
    assert not section.find_elements(By.LINK_TEXT, "失効させる")

    # The API's revocation: its event, the CRL, OCSP.
    event = await revoked_event(portal, serial)
    assert event["reason"] == "key_compromise" and event["actor"]["kind"] == "support"

    async def on_the_crl() -> bool:
        crl = x509.load_der_x509_crl(get(portal, "/v1/ca/crl").content)
        return crl.get_revoked_certificate_by_serial_number(int(serial, 16)) is not None

    await eventually(on_the_crl, timeout=30)
    assert await status_of(portal, holder) == ocsp.OCSPCertStatus.REVOKED


def gateway(portal: Portal, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """The CA's publication points through the portals' server (no credential)."""
    tls = ssl.create_default_context(cafile=str(portal.gateway.trust_file))
    return httpx.request(method, f"{portal.url}{path}", verify=tls, timeout=30, **kwargs)


def get(portal: Portal, path: str) -> httpx.Response:
    return gateway(portal, "GET", path)


async def status_of(portal: Portal, holder: ClientCertificate) -> ocsp.OCSPCertStatus:
    issuer = x509.load_pem_x509_certificate(get(portal, "/v1/ca/certificate").content)
    answer = gateway(
        portal,
        "POST",
        "/v1/ca/ocsp",
        content=ocsp_request(holder.certificate, issuer),
        headers={"Content-Type": "application/ocsp-request"},
    )
    assert answer.status_code == 200, answer.text
    return ocsp.load_der_ocsp_response(answer.content).certificate_status


async def revoked_event(portal: Portal, serial: str) -> dict[str, Any]:
    """The ``CertRevoked`` of ``serial`` on the portal's ``certs.events``."""
    topic = portal.certs.env["KAFKA_TOPIC_PREFIX"] + "certs.events"
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=portal.certs.env["KAFKA_BOOTSTRAP_SERVERS"],
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:

        async def found() -> dict[str, Any] | None:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    event = json.loads(record.value)
                    if event["type"] == "CertRevoked" and event["serial_number"] == serial:
                        return dict(event)
            return None

        event: dict[str, Any] = await eventually(found, timeout=30)
        return event
    finally:
        await consumer.stop()
