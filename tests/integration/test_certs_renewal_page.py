"""kihonet's renewal screen (WEB-01, CT-05) through the real gateway: curl presents the client
certificate to nginx's kihonet server, which verifies it and forwards it to certs with the
shared secret; the screen knows who renews from nothing else.

Certs runs twice on one namespace (``gateway_harness.certs_behind_gateway``): a process on the
real time answers the gateway's client CA and OCSP, and this process's app, whose clock the
test moves into the renewal window (never sleeping), serves the screen.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import der
import httpx
import pytest
from certs_portal import with_subject_value
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from gateway_harness import (
    GATEWAY_SECRET,
    CertsBehindGateway,
    certs_behind_gateway,
    curl,
    issued_files,
)
from harness import Infra

from servicekit.clock import SystemClock
from servicekit.problems import ProblemCode

pytestmark = pytest.mark.integration

PAGE = "/realms/kihonet/certificate-renewal"


@pytest.fixture(scope="module")
def renewals(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CertsBehindGateway]:
    with certs_behind_gateway(infra, tmp_path_factory.mktemp("renewal-page")) as renewals:
        yield renewals


def token_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_web_01_ct_05_kihonet_renewal_page_through_the_gateway_renews_the_presented_certificate(
    renewals: CertsBehindGateway, tmp_path: Path
) -> None:
    gw, clock = renewals.gateway, renewals.clock
    issued, presented = issued_files(gw, renewals.certs_url, tmp_path)
    jar = ("-c", str(tmp_path / "jar"), "-b", str(tmp_path / "jar"))
    page = f"{gw.kihonet_url}{PAGE}"

    # No certificate, no screen: nginx refuses; the portals' server never serves it (GW-03),
    # even to a client forging the gateway's headers; certs alone says one is needed.
    status, _, body = curl(gw, page)
    assert status == 403 and "CLIENT_CERTIFICATE_REQUIRED" in body, body
    forged = ("-H", f"X-Gateway-Secret: {GATEWAY_SECRET}", "-H", "X-Client-Certificate: x")
    status, _, body = curl(gw, f"{gw.url}{PAGE}", *presented, *forged)
    assert status == 403 and "CLIENT_CERTIFICATE_REQUIRED" in body, body
    direct = httpx.get(f"{renewals.screen_url}{PAGE}", timeout=30)
    assert direct.status_code == 403
    assert ProblemCode.CLIENT_CERTIFICATE_REQUIRED.title in direct.text

    # Too early: the certificate shown, the seed's words, no form.
    not_after = datetime.fromisoformat(issued["not_after"])
    clock.set(not_after - timedelta(days=31))
    status, _, body = curl(gw, page, *presented, *jar)
    assert status == 200, body
    assert issued["subject"] in html.unescape(body)
    assert ProblemCode.RENEWAL_NOT_OPEN.title in body and 'name="password"' not in body

    # In the window: the form; a POST without the CSRF token is refused and renews nothing.
    clock.set(not_after - timedelta(days=10))
    status, _, body = curl(gw, page, *presented, *jar)
    assert status == 200 and 'id="renewal-open"' in body, body
    token = token_of(body)
    password = "renewal-pass-1"
    form = ("--data-urlencode", f"password={password}", "--data-urlencode",
            f"password_again={password}")  # fmt: skip
    status, _, body = curl(gw, page, *presented, *jar, *form)
    assert status == 403 and "CSRF_CHECK_FAILED" in body, body

    mismatch = ("--data", f"password={password}&password_again=other-pass&csrf_token={token}")
    status, _, body = curl(gw, page, *presented, *jar, *mismatch)
    assert status == 422 and "パスワードが確認用と一致しません" in body, body

    status, _, body = curl(gw, page, *presented, *jar, *form, "--data", f"csrf_token={token}")
    assert status == 201, body
    bundle = re.search(r"base64,([^\"]+)\"", body)
    assert bundle, body
    key, renewed, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(bundle.group(1)), password.encode()
    )
    assert key is not None and renewed is not None
    uid = renewed.subject.get_attributes_for_oid(x509.NameOID.USER_ID)[0].value
    old = x509.load_pem_x509_certificate(issued["certificate"].encode())
    assert uid == old.subject.get_attributes_for_oid(x509.NameOID.USER_ID)[0].value
    assert renewed.serial_number != old.serial_number
    assert renewed.not_valid_after_utc > old.not_valid_after_utc

    # The same certificate again: already renewed, in the seed's words.
    status, _, body = curl(gw, page, *presented, *jar, *form, "--data", f"csrf_token={token}")
    assert status == 409 and ProblemCode.CERT_ALREADY_RENEWED.title in body, body

    # Past its expiry (by certs' clock): a reissue is needed, the screen says.
    clock.set(not_after + timedelta(seconds=1))
    status, _, body = curl(gw, page, *presented, *jar)
    assert status == 200 and ProblemCode.CERT_EXPIRED.title in body, body
    assert 'name="password"' not in body


def test_x_05_ct_05_a_certificate_of_the_ca_whose_subject_does_not_decode_is_not_renewed(
    renewals: CertsBehindGateway, tmp_path: Path
) -> None:
    """The gateway passes on any certificate the CA signed. One whose subject ``cryptography``
    cannot read (a T61String byte that is not text: OpenSSL shows it, ``cryptography`` refuses
    it when the subject is read; only a stolen CA key could sign it) is not one this CA wrote:
    the screen says it is unknown, by GET and by POST, and renews nothing."""
    gw = renewals.gateway
    renewals.clock.set(SystemClock().now())  # issued now, as nginx's clock sees it
    issued, presented = issued_files(gw, renewals.certs_url, tmp_path)
    not_after = datetime.fromisoformat(issued["not_after"])
    renewals.clock.set(not_after - timedelta(days=10))
    ca_key = renewals.app.state.certs.keeper.authority.key
    garbled = with_subject_value(issued["certificate"], der.T61_STRING, b"\xff", signer=ca_key)
    Path(presented[1]).write_text(garbled)
    page = f"{gw.kihonet_url}{PAGE}"
    unknown = ProblemCode.CERT_UNKNOWN

    status, _, body = curl(gw, page, *presented)
    assert status == unknown.status and unknown.title in body, body
    token = "t" * 43  # a double-submitted CSRF token of the client's own
    password = "password=renewal-pass-1&password_again=renewal-pass-1"
    form = ("-H", f"Cookie: __Host-csrf={token}", "--data", f"{password}&csrf_token={token}")
    status, _, body = curl(gw, page, *presented, *form)
    assert status == unknown.status and unknown.title in body, body
    Path(presented[1]).write_text(issued["certificate"])
    status, _, body = curl(gw, page, *presented)
    assert status == 200 and 'id="renewal-open"' in body, "the certificate itself renews"
