"""Tools the project did not write accept the CA's output: ``openssl verify -crl_check`` with
the published CRL, ``openssl ocsp`` against the responder, ``openssl pkcs12`` on the generated
bundle; and the CA's key is nowhere but encrypted in its database (CT-11). Certs runs as a
process, as in production; openssl reaches it over HTTP at the URLs its certificates name."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from certs_portal import (
    Holder,
    csr_of,
    duplicated_extension,
    new_key,
    new_user_id,
    ocsp_request,
    pem_of,
)
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from harness import (
    CA_KEY_PASSPHRASE,
    PROVISIONING,
    Infra,
    Namespace,
    ServiceProcess,
    eventually,
    read_topic,
)
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration

BASE = "/v1/realms/kihonet"


def issue(certs: ServiceProcess, tmp: Path, name: str) -> dict[str, Any]:
    """A notice, a key, a CSR and the certificate, with the files openssl reads."""
    holder = Holder(new_user_id())
    notice = httpx.post(
        f"{certs.url}{BASE}/notices",
        json={
            "kihonet_code": holder.kihonet_code,
            "management_number": holder.management_number,
            "user_id": holder.user_id,
        },
        headers=PROVISIONING,
        timeout=30,
    )
    assert notice.status_code == 201, notice.text
    holder.year = notice.json()["year"]
    key = new_key()
    answer = httpx.post(
        f"{certs.url}{BASE}/certificates",
        json=holder.fields() | {"csr": pem_of(csr_of(key))},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    issued: dict[str, Any] = answer.json()
    (tmp / f"{name}.pem").write_text(issued["certificate"])
    (tmp / "ca.pem").write_text(issued["ca_certificate"])
    return issued


def revoke(certs: ServiceProcess, serial: str) -> None:
    answer = httpx.post(
        f"{certs.url}{BASE}/certificates/{serial}/revoke",
        json={"reason": "key_compromise"},
        headers=PROVISIONING,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


def fetch_crl(certs: ServiceProcess, tmp: Path) -> x509.CertificateRevocationList:
    der = httpx.get(f"{certs.url}/v1/ca/crl", timeout=30).content
    crl = x509.load_der_x509_crl(der)
    (tmp / "crl.pem").write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return crl


async def test_ct_08_openssl_verify_crl_check_passes_a_good_and_fails_a_revoked_certificate(
    services: Any, tmp_path: Path
) -> None:
    certs = services("certs")
    good = issue(certs, tmp_path, "good")
    bad = issue(certs, tmp_path, "bad")
    revoke(certs, bad["serial_number"])
    serial = int(bad["serial_number"], 16)

    def listed() -> bool:
        return (
            fetch_crl(certs, tmp_path).get_revoked_certificate_by_serial_number(serial) is not None
        )

    await eventually(listed, timeout=30)
    ca, crl = str(tmp_path / "ca.pem"), str(tmp_path / "crl.pem")
    passed = openssl(
        "verify", "-crl_check", "-CAfile", ca, "-CRLfile", crl, str(tmp_path / "good.pem")
    )
    assert passed.returncode == 0 and ": OK" in passed.stdout, passed.stdout + passed.stderr
    refused = openssl(
        "verify", "-crl_check", "-CAfile", ca, "-CRLfile", crl, str(tmp_path / "bad.pem")
    )
    assert refused.returncode != 0
    assert "certificate revoked" in refused.stdout + refused.stderr
    cdp = x509.load_pem_x509_certificate(good["certificate"].encode()).extensions
    urls = cdp.get_extension_for_class(x509.CRLDistributionPoints).value[0].full_name
    assert urls is not None and str(urls[0].value).endswith("/v1/ca/crl")


def test_ct_10_openssl_ocsp_answers_good_then_revoked(services: Any, tmp_path: Path) -> None:
    certs = services("certs")
    issued = issue(certs, tmp_path, "holder")

    def ask() -> str:
        done = openssl(
            "ocsp",
            "-issuer", str(tmp_path / "ca.pem"),
            "-cert", str(tmp_path / "holder.pem"),
            "-CAfile", str(tmp_path / "ca.pem"),
            "-url", f"{certs.url}/v1/ca/ocsp",
        )  # fmt: skip
        assert "Response verify OK" in done.stderr + done.stdout, done.stderr + done.stdout
        return done.stdout

    assert f"{tmp_path / 'holder.pem'}: good" in ask()
    revoke(certs, issued["serial_number"])
    answer = ask()
    assert f"{tmp_path / 'holder.pem'}: revoked" in answer
    assert "Reason: keyCompromise" in answer


def test_x_05_ct_10_an_ocsp_request_with_a_duplicated_extension_is_answered_malformed(
    services: Any, tmp_path: Path
) -> None:
    """RFC 5280 §4.2 allows an extension once; ``cryptography`` loads such a request and
    refuses only when its extensions are read. The responder answers RFC 6960's
    ``malformedRequest`` (an unsuccessful OCSPResponse, HTTP 200 as ``openssl ocsp`` expects:
    it reads the status from the body and reports ``Responder Error``), never a 500."""
    certs = services("certs")
    issued = issue(certs, tmp_path, "holder")
    cert = x509.load_pem_x509_certificate(issued["certificate"].encode())
    ca = x509.load_pem_x509_certificate(issued["ca_certificate"].encode())
    doubled = duplicated_extension(ocsp_request(cert, ca))
    (tmp_path / "doubled.der").write_bytes(doubled)

    for answer in (
        httpx.post(
            f"{certs.url}/v1/ca/ocsp",
            content=doubled,
            headers={"content-type": "application/ocsp-request"},
            timeout=30,
        ),
        httpx.get(
            f"{certs.url}/v1/ca/ocsp/{quote(base64.b64encode(doubled).decode(), safe='')}",
            timeout=30,
        ),
    ):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/ocsp-response"
        status = ocsp.load_der_ocsp_response(answer.content).response_status
        assert status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST

    asked = openssl(
        "ocsp", "-reqin", str(tmp_path / "doubled.der"), "-url", f"{certs.url}/v1/ca/ocsp"
    )
    assert "Responder Error: malformedrequest (1)" in asked.stdout + asked.stderr, asked


def test_ct_01_the_pkcs12_is_aes_protected_and_opens_with_its_password(
    services: Any, tmp_path: Path
) -> None:
    certs = services("certs")
    holder = Holder(new_user_id())
    notice = httpx.post(
        f"{certs.url}{BASE}/notices",
        json={
            k: v
            for k, v in holder.fields().items()
            if k in ("kihonet_code", "management_number", "user_id")
        },
        headers=PROVISIONING,
        timeout=30,
    )
    holder.year = notice.json()["year"]
    answer = httpx.post(
        f"{certs.url}{BASE}/certificates/pkcs12",
        json=holder.fields() | {"password": "Kaisha-P12-pass", "key_algorithm": "rsa-2048"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    (tmp_path / "user.p12").write_bytes(base64.b64decode(answer.json()["pkcs12"]))
    info = openssl(
        "pkcs12",
        "-in",
        str(tmp_path / "user.p12"),
        "-info",
        "-noout",
        "-passin",
        "pass:Kaisha-P12-pass",
    )
    text = info.stdout + info.stderr
    assert info.returncode == 0, text
    assert "AES-256-CBC" in text and "RC2" not in text and "3DES" not in text, text
    wrong = openssl(
        "pkcs12", "-in", str(tmp_path / "user.p12"), "-noout", "-passin", "pass:wrong-pass"
    )
    assert wrong.returncode != 0


async def test_ct_11_the_ca_key_is_stored_encrypted_and_in_no_log_event_or_answer(
    services: Any,
    tmp_path: Path,
    infra: Infra,
    ns: Namespace,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    certs = services("certs")
    issued = issue(certs, tmp_path, "holder")
    revoke(certs, issued["serial_number"])
    answers = [
        httpx.get(f"{certs.url}{path}", timeout=30).text
        for path in ("/v1/ca/certificate", "/openapi.json", "/readyz", "/metrics")
    ]
    commits = mongo[ns.database("certs")]["commits"]
    [ca] = [c async for c in commits.find({"aggregate_id": "ca:kihonet"})]
    for field in ("key", "responder_key"):
        assert ca["state"][field].startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    key = serialization.load_pem_private_key(
        ca["state"]["key"].encode(), CA_KEY_PASSPHRASE.encode()
    )
    secret_forms = [
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
        .splitlines()[1],
        format(key.private_numbers().private_value, "x"),  # type: ignore[union-attr]
    ]
    published = await read_topic(
        infra.kafka_bootstrap_servers, ns.topic_prefix + "certs.events", 2, timeout=10
    )
    stored = [
        json.dumps(d, default=str)
        async for d in commits.find({"aggregate_id": {"$ne": "ca:kihonet"}})
    ]
    everything = [*answers, json.dumps(issued), certs.log_path.read_text(), *stored]
    everything += [r.value.decode() for r in published]
    for secret in secret_forms:
        assert not any(secret in text for text in everything)
    assert CA_KEY_PASSPHRASE not in certs.log_path.read_text()
