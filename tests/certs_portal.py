"""`kihonet`'s CA for the tests of seed 001: certs' app in this process with a clock the test
moves, notify as a real process mailing through Mailpit, and users who make their own keys
and CSRs with ``cryptography``, as a browser's certificate tool would."""

from __future__ import annotations

import base64
import textwrap
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import der
import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from harness import CA_KEY_PASSPHRASE, PROVISIONING, PROVISIONING_TOKEN, Infra, Namespace
from mail_catchers import Mailpit

from servicekit.clock import ManualClock, SystemClock
from services.certs.app import create_app
from services.certs.settings import CertsSettings

REALM = "kihonet"
BASE = f"/v1/realms/{REALM}"

Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def new_key(kind: str = "ec") -> Key:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def csr_of(key: Key) -> x509.CertificateSigningRequest:
    """A CSR as a user's tool makes it; its subject is the CA's to set (CT-03)."""
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "my pc")])
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())


def pem_of(csr: x509.CertificateSigningRequest) -> str:
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def signature(key: Key, data: bytes) -> str:
    """Proof of possession (CT-05): the current key signs the new CSR's DER."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        signed = key.sign(data, ec.ECDSA(hashes.SHA256()))
    else:
        from cryptography.hazmat.primitives.asymmetric import padding

        signed = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signed).decode()


def new_user_id() -> str:
    return "U" + uuid.uuid4().hex[:6].upper()


@dataclass
class Holder:
    """One kihonet user: the notice's fields as the user types them, and the keys it holds."""

    user_id: str
    kihonet_code: str = "12345678"
    management_number: str = field(default_factory=lambda: "MG" + uuid.uuid4().hex[:8].upper())
    year: int = 0
    branch_number: str = "001"
    email: str = field(default_factory=lambda: f"cert-{uuid.uuid4().hex[:12]}@example.jp")

    def fields(self, **changes: Any) -> dict[str, Any]:
        typed = {
            "kihonet_code": self.kihonet_code,
            "management_number": self.management_number,
            "user_id": self.user_id,
            "year": str(self.year),
            "branch_number": self.branch_number,
            "email": self.email,
        }
        return typed | changes


@dataclass
class CertPortal:
    app: Any
    clock: ManualClock
    mail: Mailpit
    client: httpx.AsyncClient

    async def notice(
        self, holder: Holder, *, issued_on: date | None = None, reason: str | None = None
    ) -> dict[str, Any]:
        """The back office records the notice; the holder learns its 年 and 枝番 from it."""
        body: dict[str, Any] = {
            "kihonet_code": holder.kihonet_code,
            "management_number": holder.management_number,
            "user_id": holder.user_id,
        }
        if issued_on is not None:
            body["issued_on"] = issued_on.isoformat()
        if reason is not None:
            body["reason"] = reason
        answer = await self.client.post(f"{BASE}/notices", json=body, headers=PROVISIONING)
        assert answer.status_code == 201, answer.text
        notice: dict[str, Any] = answer.json()
        holder.year, holder.branch_number = notice["year"], notice["branch_number"]
        return notice

    async def issue(self, holder: Holder, key: Key, **changes: Any) -> httpx.Response:
        body = holder.fields(**changes) | {"csr": pem_of(csr_of(key))}
        return await self.client.post(f"{BASE}/certificates", json=body)

    async def issued(self, holder: Holder, key: Key | None = None) -> tuple[Key, dict[str, Any]]:
        """A notice registered and a certificate issued with it: the key and the answer."""
        key = key or new_key()
        if not holder.year:
            await self.notice(holder)
        answer = await self.issue(holder, key)
        assert answer.status_code == 201, answer.text
        return key, dict(answer.json())

    async def renew(self, key: Key, certificate: str, new: Key) -> httpx.Response:
        csr = csr_of(new)
        body = {
            "csr": pem_of(csr),
            "certificate": certificate,
            "signature": signature(key, csr.public_bytes(serialization.Encoding.DER)),
        }
        return await self.client.post(f"{BASE}/certificates/renew", json=body)

    async def revoke(self, serial: str, reason: str = "key_compromise") -> httpx.Response:
        return await self.client.post(
            f"{BASE}/certificates/{serial}/revoke", json={"reason": reason}, headers=PROVISIONING
        )

    async def status(self, certificate: str) -> str:
        answer = await self.client.post(
            f"{BASE}/certificates/verify", json={"certificate": certificate}
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["status"])


def settings_for(infra: Infra, ns: Namespace, **overrides: Any) -> CertsSettings:
    return CertsSettings(
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        mongodb_uri=infra.mongodb_uri,
        kafka_topic_prefix=ns.topic_prefix,
        mongodb_database=ns.database("certs"),
        ca_key_passphrase=CA_KEY_PASSPHRASE,  # type: ignore[arg-type]
        provisioning_token=PROVISIONING_TOKEN,  # type: ignore[arg-type]
        outbox_poll_seconds=0.2,
        **overrides,
    )


@asynccontextmanager
async def cert_portal(
    infra: Infra, ns: Namespace, clock: ManualClock | None = None, **overrides: Any
) -> AsyncIterator[CertPortal]:
    """Certs in this process on the test's namespace; a notify started by the test beside it
    mails what certs publishes."""
    clock = clock or ManualClock(SystemClock().now())
    app = create_app(settings_for(infra, ns, **overrides), clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="https://certs.test", timeout=60
        ) as client:
            yield CertPortal(app, clock, Mailpit(infra.mailpit_url), client)


NONCE_OID = bytes.fromhex("06092b0601050507300102")
"""id-pkix-ocsp-nonce (1.3.6.1.5.5.7.48.1.2), DER-encoded."""


def ocsp_request(cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    """An OCSP request (DER) for ``cert``, with a nonce, as ``openssl ocsp`` sends it."""
    return (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, issuer, hashes.SHA1())
        .add_extension(x509.OCSPNonce(uuid.uuid4().bytes), critical=False)
        .build()
        .public_bytes(serialization.Encoding.DER)
    )


def extension(oid: bytes, value: bytes, *, critical: bool = False) -> bytes:
    """One X.509 ``Extension`` (DER) of an encoded OID and the raw bytes of its value."""
    flag = der.tlv(der.BOOLEAN, b"\xff") if critical else b""
    return der.tlv(der.SEQUENCE, oid + flag + der.tlv(der.OCTET_STRING, value))


def with_extensions(request: bytes, extensions: list[bytes]) -> bytes:
    """``request`` with its requestExtensions replaced by ``extensions`` as they are, which
    ``cryptography``'s builder would refuse to make (a duplicate, a malformed value)."""
    [(_, tbs), *signature] = der.items(der.element(request)[1])
    parts = [(tag, content) for tag, content in der.items(tbs) if tag != 0xA2]
    if extensions:
        parts.append((0xA2, der.tlv(der.SEQUENCE, b"".join(extensions))))
    return der.tlv(der.SEQUENCE, der.encoded([(der.SEQUENCE, der.encoded(parts)), *signature]))


def duplicated_extension(request: bytes) -> bytes:
    """``request`` with its (first) extension twice: RFC 5280 §4.2 allows each once."""
    [(_, tbs), *_] = der.items(der.element(request)[1])
    [wrapped] = [content for tag, content in der.items(tbs) if tag == 0xA2]
    first = der.tlv(der.SEQUENCE, der.items(der.element(wrapped)[1])[0][1])
    return with_extensions(request, [first, first])


def with_subject_value(
    certificate: str, tag: int, value: bytes, *, signer: Key | None = None
) -> str:
    """``certificate`` (PEM) with the value of its subject's last attribute (the CN) replaced
    by ``value`` under ``tag``, as no CA of ours writes it: bytes that are not UTF-8 make a
    subject ``cryptography`` loads but cannot read. The signature no longer matches, unless
    ``signer`` (the CA's key, as only a stolen key would do) signs it again."""
    [(_, tbs), *signed] = der.items(der.element(pem_der(certificate))[1])
    fields = der.items(tbs)
    subject = 5 if fields[0][0] == 0xA0 else 4  # after [0] version, serial, alg, issuer, validity
    *names, (_, last) = der.items(fields[subject][1])
    [(_, attribute)] = der.items(last)
    [oid, _] = der.items(attribute)
    changed = der.tlv(der.SEQUENCE, der.encoded([oid, (tag, value)]))
    names.append((der.SET, changed))
    fields[subject] = (der.SEQUENCE, der.encoded(names))
    tbs_der = der.tlv(der.SEQUENCE, der.encoded(fields))
    if signer is not None:
        algorithm, _ = signed
        signed = [algorithm, (0x03, b"\x00" + raw_signature(signer, tbs_der))]
    body = tbs_der + der.encoded(signed)
    lines = textwrap.wrap(base64.b64encode(der.tlv(der.SEQUENCE, body)).decode(), 64)
    return "\n".join(["-----BEGIN CERTIFICATE-----", *lines, "-----END CERTIFICATE-----", ""])


def raw_signature(key: Key, data: bytes) -> bytes:
    """``key``'s SHA-256 signature over ``data``, as the CA signs (ECDSA, or RSA PKCS#1 v1.5)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    from cryptography.hazmat.primitives.asymmetric import padding

    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def pem_der(certificate: str) -> bytes:
    return x509.load_pem_x509_certificate(certificate.encode()).public_bytes(
        serialization.Encoding.DER
    )
