"""The gateway's files: a locally made server certificate for TLS, and the certs CA to trust
for client certificates (GW-01, GW-03). For development and tests, never production: the
server certificate's CA is made on this machine, and `make up` prints it as the file to trust.

    python deploy/gateway/tls.py DIR CERTS_URL    # docker-compose.yml's gateway-init does this

Writes, once: DIR/ca.pem (the local TLS CA), DIR/server.pem and DIR/server.key (for
localhost and 127.0.0.1); and, every time: DIR/client-ca.pem, fetched from certs.
"""

from __future__ import annotations

import ipaddress
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "gateway")


def server_tls(directory: Path, hosts: tuple[str, ...] = DEFAULT_HOSTS) -> Path:
    """A local CA and a server certificate it signed, made once; answers the CA file."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "server.pem", "server.key"))
    if ca_file.exists() and cert_file.exists() and key_file.exists():
        return ca_file
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Local gateway TLS CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=397))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return ca_file


def client_ca(certs_url: str, path: Path, timeout: float = 60) -> Path:
    """The certs CA's certificate, the one client certificates must chain to (GW-03)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{certs_url}/v1/ca/certificate", timeout=5) as answer:
                pem = answer.read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    x509.load_pem_x509_certificate(pem)  # a certificate, or this raises
    path.write_bytes(pem)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1])
    server_tls(target)
    client_ca(sys.argv[2], target / "client-ca.pem")
