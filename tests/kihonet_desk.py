"""kihonet through the gateway's kihonet server, as its people reach it (GW-03, CT-09): every
page there asks for a client certificate of the certs CA, so the browser holds one.

Chromium on Linux takes client certificates from the NSS database in its home folder
(``~/.pki/nssdb``) and, headless, presents one without asking only where its profile's
``AutoSelectCertificateForUrls`` content setting names the site. So a test's browser gets a
home of its own with the PKCS#12 that the CA's issue screen answers imported by NSS's
``pk12util`` (Debian's ``libnss3-tools``, installed by ``deploy/local/infra.sh install``), and
a profile whose setting picks the certificate the certs CA issued for the kihonet server's
origin. HTTP clients (httpx) present the same certificate from PEM files.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
import ssl
import string
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    pkcs12,
)
from harness import PROVISIONING_TOKEN, REPO
from portal_browser import Browser, chromium
from portal_stack import Portal

REALM = "kihonet"
P12_PASSWORD = "Desk-Pc-Pass-2026"
SUPPORT_PASSWORD = "Support-Pass-2026"


def code(length: int, alphabet: str = string.digits) -> str:
    return "".join(random.choices(alphabet, k=length))


def notice_fields() -> dict[str, str]:
    """A new holder's 企保ネットコード, 管理番号 and ユーザーID."""
    return {
        "kihonet_code": code(8),
        "management_number": code(10, string.ascii_uppercase + string.digits),
        "user_id": code(7, string.ascii_uppercase + string.digits),
    }


@dataclass(frozen=True)
class ClientCertificate:
    """A certificate the certs CA issued, with its key: as a PKCS#12 and as PEM files."""

    fields: dict[str, str]
    serial: str
    pkcs12: bytes
    certificate: x509.Certificate
    cert_file: Path
    key_file: Path
    issuer_cn: str

    def ssl_context(self, trust_file: Path) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(trust_file))
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def issued(portal: Portal, folder: Path) -> ClientCertificate:
    """A notice recorded by the back office, and the certificate issued with it on the issue
    screen's API (a key made by the CA, answered as a PKCS#12)."""

    def record(fields: dict[str, str]) -> httpx.Response:
        return portal.call("POST", f"/v1/realms/{REALM}/notices", PROVISIONING_TOKEN, json=fields)

    return issued_through(portal.url, portal.gateway.trust_file, record, folder)


def issued_through(
    url: str,
    trust_file: Path,
    record: Callable[[dict[str, str]], httpx.Response],
    folder: Path,
) -> ClientCertificate:
    """:func:`issued` on the portals' server at ``url``, the notice recorded by ``record``."""
    fields = notice_fields()
    notice = record(fields)
    assert notice.status_code == 201, notice.text
    body = fields | {
        "year": str(notice.json()["year"]),
        "branch_number": notice.json()["branch_number"],
        "email": f"desk-{uuid.uuid4().hex[:8]}@example.jp",
        "password": P12_PASSWORD,
    }
    answer = issue_pkcs12(url, trust_file, body)
    assert answer.status_code == 201, answer.text
    bundle = base64.b64decode(answer.json()["pkcs12"])
    key, cert, _ = pkcs12.load_key_and_certificates(bundle, P12_PASSWORD.encode())
    assert key is not None and cert is not None
    folder.mkdir(parents=True, exist_ok=True)
    name = fields["user_id"]
    cert_file, key_file = folder / f"{name}.pem", folder / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(Encoding.PEM))
    key_file.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    issuer = cert.issuer.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    return ClientCertificate(
        fields, answer.json()["serial_number"], bundle, cert, cert_file, key_file, str(issuer)
    )


def issue_pkcs12(url: str, trust_file: Path, body: dict[str, str]) -> httpx.Response:
    """The issue screen's API on the portals' server: the notice's fields are the credential."""
    return httpx.post(
        f"{url}/v1/realms/{REALM}/certificates/pkcs12",
        json=body,
        verify=ssl.create_default_context(cafile=str(trust_file)),
        timeout=30,
    )


def support_operator(portal: Portal) -> dict[str, str]:
    """kihonet's support desk, made by identity's command (its login ID is 7 alphanumerics, as
    kihonet's staff IDs are): its login ID and initial password."""
    made = subprocess.run(
        [sys.executable, "-m", "services.identity", "create-support-operator", REALM,
         "S" + uuid.uuid4().hex[:6].upper()],
        cwd=REPO, env=portal.identity.env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(made.stdout.strip().splitlines()[-1]))


def require_nss_tools() -> None:
    """Fail, never skip, without NSS's tools: a browser test that skips proves nothing."""
    missing = [t for t in ("certutil", "pk12util") if shutil.which(t) is None]
    if missing:
        pytest.fail(
            f"kihonet's browser tests need {', '.join(missing)} (Debian's libnss3-tools): "
            "run `bash deploy/local/infra.sh install`",
            pytrace=False,
        )


def nss_home(folder: Path, cert: ClientCertificate) -> Path:
    """A home folder whose NSS database holds ``cert`` and its key (Chromium's on Linux)."""
    require_nss_tools()
    db = folder / ".pki" / "nssdb"
    db.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True
    )
    bundle = folder / "client.p12"
    bundle.write_bytes(cert.pkcs12)
    subprocess.run(
        ["pk12util", "-d", f"sql:{db}", "-i", str(bundle), "-W", P12_PASSWORD],
        check=True,
        capture_output=True,
    )
    bundle.unlink()
    return folder


def auto_select(origin: str, issuer_cn: str) -> dict[str, Any]:
    """The profile's AutoSelectCertificateForUrls: at ``origin``, the certificate this issuer
    signed, without a dialog (there is none headless)."""
    return {
        "profile": {
            "content_settings": {
                "exceptions": {
                    "auto_select_certificate": {
                        f"{origin},*": {"setting": {"filters": [{"ISSUER": {"CN": issuer_cn}}]}}
                    }
                }
            }
        }
    }


@contextmanager
def kihonet_browser(
    url: str, test_name: str, cert: ClientCertificate, folder: Path, profile: str = "browser"
) -> Iterator[Browser]:
    """Chromium holding ``cert``, on the kihonet server at ``url``."""
    home = nss_home(folder / f"home-{profile}", cert)
    with chromium(
        url, test_name, profile, home=home, prefs=auto_select(url, cert.issuer_cn)
    ) as browser:
        yield browser


def kihonet_client(
    portal: Portal, cert: ClientCertificate, session: str | None = None
) -> httpx.Client:
    """An HTTP client presenting ``cert`` to the kihonet server, with a session if given."""
    return httpx.Client(
        base_url=portal.gateway.kihonet_url,
        verify=cert.ssl_context(portal.gateway.trust_file),
        timeout=30,
        follow_redirects=False,
        cookies={"__Host-session": session} if session else None,
    )


def support_session(portal: Portal, cert: ClientCertificate, login: dict[str, str]) -> str:
    """The support operator logged in on the kihonet server's API, its initial password
    changed (ID-PW-03): the session's token (rotated by the change, ID-SESS-03)."""
    with kihonet_client(portal, cert) as api:
        body = {"login_id": login["login_id"], "password": login["initial_password"]}
        logged_in = api.post(f"/v1/realms/{REALM}/login", json=body)
        assert logged_in.status_code == 200, logged_in.text
        token = logged_in.cookies["__Host-session"]
        change = {"current_password": login["initial_password"], "new_password": SUPPORT_PASSWORD}
        changed = api.post(
            f"/v1/realms/{REALM}/password",
            json=change,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert changed.status_code == 204, changed.text
        return str(changed.cookies["__Host-session"])
