"""The CA's keys and what it signs: certificates, PKCS#12 files, CRLs and OCSP answers.

Everything X.509 is built by ``cryptography``; nothing here writes ASN.1 by hand. The OCSP
answers are signed by a delegated responder (RFC 6960 §4.2.2.2: a certificate of this CA with
the OCSPSigning key purpose and ``id-pkix-ocsp-nocheck``), so the CA's own key signs only
certificates and CRLs.

The keys live in the database only as encrypted PKCS#8 (:meth:`Authority.stored`), under a
passphrase from the settings (CT-11); in memory they are decrypted once, at start. No method
answers a private key except as the user's own PKCS#12, whose password the user chose.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from contracts.certs import RevocationReason

CA_VALIDITY = timedelta(days=20 * 365)
RESPONDER_VALIDITY = timedelta(days=2 * 365)
RESPONDER_RENEW_BEFORE = timedelta(days=60)
OCSP_VALIDITY = timedelta(seconds=30)
"""How long an OCSP answer may be cached (its nextUpdate). The gateway's OCSP cache keeps an
answer that long at most, so a revocation reaches it within 30 seconds (CT-09)."""
PKCS12_KDF_ROUNDS = 50_000

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

REASONS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
}


class KeyAlgorithm(StrEnum):
    EC_P256 = "ec-p256"
    RSA_2048 = "rsa-2048"


def new_key(algorithm: KeyAlgorithm) -> PrivateKey:
    if algorithm is KeyAlgorithm.RSA_2048:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def serial_hex(serial: int) -> str:
    """A serial as the API and events name it: upper-case hex, as ``openssl x509 -serial``."""
    return format(serial, "X")


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def usable_public_key(key: Any) -> None:
    """A user's key the CA accepts: EC on P-256 or P-384, or RSA of 2048 bits or more."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1 | ec.SECP384R1):
            raise ValueError("楕円曲線は P-256 または P-384 を使用してください")
    elif isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise ValueError("RSA 鍵は 2048 ビット以上にしてください")
    else:
        raise ValueError("鍵の種類は ECDSA または RSA にしてください")


def proves_possession(cert: x509.Certificate, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` over ``data`` was made with the key of ``cert`` (CT-05)."""
    key = cert.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except Exception:
        return False
    return True


@dataclass(frozen=True)
class Urls:
    """Where relying parties find the CRL, the OCSP responder and the CA certificate."""

    crl: str
    ocsp: str
    ca_issuers: str


@dataclass(frozen=True)
class Holding:
    """Who a client certificate is for: shown in its subject (CT-03)."""

    user_id: str
    management_number: str
    email: str


@dataclass(frozen=True)
class Authority:
    name: str
    key: PrivateKey
    certificate: x509.Certificate
    responder_key: PrivateKey
    responder: x509.Certificate
    urls: Urls

    @classmethod
    def create(cls, name: str, algorithm: KeyAlgorithm, now: datetime, urls: Urls) -> Authority:
        """A new root CA (first start, CT-11) with its delegated OCSP responder."""
        key = new_key(algorithm)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kihonet"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(crl_sign=True), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256())
        )
        made = cls(name, key, certificate, key, certificate, urls)
        return made.with_new_responder(now, algorithm)

    def with_new_responder(self, now: datetime, algorithm: KeyAlgorithm) -> Authority:
        """A fresh delegated OCSP signing certificate (RFC 6960 §4.2.2.2)."""
        key = new_key(algorithm)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kihonet"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{self.name} OCSP Responder"),
            ]
        )
        responder = (
            self._builder(subject, key.public_key(), now, now + RESPONDER_VALIDITY)
            .add_extension(_usage(), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False
            )
            .add_extension(x509.OCSPNoCheck(), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return replace(self, responder_key=key, responder=responder)

    def responder_due(self, now: datetime) -> bool:
        return self.responder.not_valid_after_utc - RESPONDER_RENEW_BEFORE <= now

    def sign(
        self,
        public_key: Any,
        holding: Holding,
        serial: int,
        not_before: datetime,
        not_after: datetime,
    ) -> x509.Certificate:
        """A client certificate (clientAuth) whose subject shows the user ID and 管理番号."""
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kihonet"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, holding.management_number),
                x509.NameAttribute(NameOID.USER_ID, holding.user_id),
                x509.NameAttribute(
                    NameOID.COMMON_NAME, f"{holding.user_id} {holding.management_number}"
                ),
            ]
        )
        builder = self._builder(subject, public_key, not_before, not_after, serial)
        return (
            builder.add_extension(
                _usage(key_encipherment=isinstance(public_key, rsa.RSAPublicKey)), critical=True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(
                x509.SubjectAlternativeName([x509.RFC822Name(holding.email)]), critical=False
            )
            .add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            [x509.UniformResourceIdentifier(self.urls.crl)], None, None, None
                        )
                    ]
                ),
                critical=False,
            )
            .add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(self.urls.ocsp),
                        ),
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier(self.urls.ca_issuers),
                        ),
                    ]
                ),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )

    def _builder(
        self,
        subject: x509.Name,
        public_key: Any,
        not_before: datetime,
        not_after: datetime,
        serial: int | None = None,
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(serial or x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(min(not_after, self.certificate.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )

    def pkcs12(self, name: str, key: PrivateKey, cert: x509.Certificate, password: str) -> bytes:
        """The user's key and certificate with the CA, under PBES2 with AES-256 and an HMAC of
        SHA-256 (never RC2 or 3DES)."""
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(PKCS12_KDF_ROUNDS)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(password.encode())
        )
        return pkcs12.serialize_key_and_certificates(
            name.encode(), key, cert, [self.certificate], encryption
        )

    def crl(
        self,
        revoked: Iterable[tuple[int, datetime, RevocationReason]],
        number: int,
        this_update: datetime,
        next_update: datetime,
    ) -> bytes:
        """A CRL (DER) of ``revoked`` (serial, time, reason), numbered ``number``."""
        # One builder with every entry: adding them one by one copies the list each time
        # (100,000 entries took a minute that way, under a second like this).
        entries = [
            x509.RevokedCertificateBuilder(
                serial,
                when,
                [x509.Extension(x509.CRLReason.oid, False, x509.CRLReason(REASONS[reason]))],
            ).build()
            for serial, when, reason in revoked
        ]
        builder = x509.CertificateRevocationListBuilder(
            issuer_name=self.certificate.subject,
            last_update=this_update,
            next_update=next_update,
            extensions=[
                x509.Extension(x509.CRLNumber.oid, False, x509.CRLNumber(number)),
                x509.Extension(
                    x509.AuthorityKeyIdentifier.oid,
                    False,
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                ),
            ],
            revoked_certificates=entries,
        )
        crl = builder.sign(self.key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.DER)

    def issuer_hashes(self, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
        """This CA's issuerNameHash and issuerKeyHash under ``algorithm``, as ``cryptography``
        computes them for a request about one of its certificates (the responder's)."""
        probe = ocsp.OCSPRequestBuilder().add_certificate(
            self.responder, self.certificate, algorithm
        )
        request = probe.build()
        return request.issuer_name_hash, request.issuer_key_hash

    def ocsp_answer(
        self,
        request: ocsp.OCSPRequest,
        nonce: x509.OCSPNonce | None,
        status: ocsp.OCSPCertStatus,
        revoked: tuple[datetime, RevocationReason] | None,
        now: datetime,
    ) -> bytes:
        """A signed OCSP answer (RFC 6960) about ``request``'s certificate, echoing ``nonce``."""
        name_hash, key_hash = request.issuer_name_hash, request.issuer_key_hash
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                name_hash,
                key_hash,
                request.serial_number,
                request.hash_algorithm,
                status,
                this_update=now,
                next_update=now + OCSP_VALIDITY,
                revocation_time=revoked[0] if revoked else None,
                revocation_reason=REASONS[revoked[1]] if revoked else None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.responder)
            .certificates([self.responder])
        )
        if nonce is not None:
            builder = builder.add_extension(nonce, critical=False)
        answer = builder.sign(self.responder_key, hashes.SHA256())
        return answer.public_bytes(serialization.Encoding.DER)

    def stored(self, passphrase: str) -> dict[str, str]:
        """The CA as the database keeps it: private keys encrypted (PKCS#8, AES-256-CBC with a
        key derived from ``passphrase``), certificates in PEM."""
        encryption = serialization.BestAvailableEncryption(passphrase.encode())

        def sealed(key: PrivateKey) -> str:
            return key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
            ).decode()

        return {
            "name": self.name,
            "key": sealed(self.key),
            "certificate": pem(self.certificate),
            "responder_key": sealed(self.responder_key),
            "responder": pem(self.responder),
        }

    @classmethod
    def from_stored(cls, doc: dict[str, str], passphrase: str, urls: Urls) -> Authority:
        def opened(data: str) -> PrivateKey:
            key = serialization.load_pem_private_key(data.encode(), passphrase.encode())
            assert isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
            return key

        return cls(
            doc["name"],
            opened(doc["key"]),
            x509.load_pem_x509_certificate(doc["certificate"].encode()),
            opened(doc["responder_key"]),
            x509.load_pem_x509_certificate(doc["responder"].encode()),
            urls,
        )


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_id(cert: x509.Certificate) -> str:
    """A short public name of a CA certificate, for logs (never the key)."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()[:16]


def _usage(*, crl_sign: bool = False, key_encipherment: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=crl_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )
