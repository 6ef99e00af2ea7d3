"""The client certificate the gateway verified in its TLS handshake, forwarded to certs for a
renewal (CT-05): believed only beside the secret the gateway and this service share, since
the gateway strips both headers from what clients send (GW-02)."""

from __future__ import annotations

from pydantic import SecretStr

from servicekit.credentials import matches_secret
from servicekit.logs import get_logger

log = get_logger(__name__)


def forwarded_certificate(
    expected: SecretStr, secret: str | None, certificate: str | None
) -> str | None:
    """The certificate (URL-encoded PEM, as nginx's ``$ssl_client_escaped_cert``) if the
    gateway's secret came with it, compared in constant time; otherwise none (an empty setting:
    never)."""
    if not (secret and certificate):
        return None
    if not matches_secret(secret, expected):
        log.warning("client certificate header with a wrong gateway secret ignored")
        return None
    return certificate
