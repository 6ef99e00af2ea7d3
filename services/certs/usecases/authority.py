"""The CA itself: made on first start, its CRL published, its OCSP answers (CT-08, -10, -11).

The CA and its latest CRL are versioned singletons (X-13): replicas starting together make one
CA between them (the first version wins, the others load it), and each CRL takes the next
number. The private keys are decrypted once, here, and never leave this process (CT-11).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from prometheus_client import Gauge

from contracts.certs import RevocationReason
from servicekit.clock import Clock
from servicekit.logs import get_logger
from services.certs.domain.holders import CertStatus
from services.certs.store import CertsStore
from services.certs.usecases.signing import Authority, KeyAlgorithm, Urls, key_id, serial_hex

log = get_logger(__name__)

CRL_NEXT_UPDATE = Gauge(
    "certs_crl_next_update_timestamp_seconds",
    "The nextUpdate of the last CRL this replica published (Unix time)",
)
"""X-19's CRLPastNextUpdate: past this instant relying parties refuse the CRL, and with it
every certificate of the CA. The newest among the replicas is the CRL in force."""

StatusOf = Callable[[str], Awaitable[tuple[CertStatus, tuple[datetime, RevocationReason] | None]]]
"""A serial's status, and when and why it was revoked (``Certificates.status``)."""

_OCSP_STATUS = {
    CertStatus.VALID: ocsp.OCSPCertStatus.GOOD,
    CertStatus.EXPIRED: ocsp.OCSPCertStatus.GOOD,
    CertStatus.REVOKED: ocsp.OCSPCertStatus.REVOKED,
    CertStatus.UNKNOWN: ocsp.OCSPCertStatus.UNKNOWN,
}
"""RFC 6960 §2.2: "good" says only that the certificate is not revoked; expiry is the relying
party's own check of the certificate's validity."""


class AuthorityKeeper:
    def __init__(
        self,
        store: CertsStore,
        clock: Clock,
        *,
        realm: str,
        name: str,
        algorithm: KeyAlgorithm,
        passphrase: str,
        urls: Urls,
        crl_validity: timedelta,
    ) -> None:
        self.store = store
        self.clock = clock
        self.realm = realm
        self.name = name
        self.algorithm = algorithm
        self._passphrase = passphrase
        self.urls = urls
        self.crl_validity = crl_validity
        self._authority: Authority | None = None

    @property
    def authority(self) -> Authority:
        if self._authority is None:
            raise RuntimeError("the CA is not loaded yet (start the service first)")
        return self._authority

    async def start(self) -> None:
        """Load the CA, making it on the very first start (CT-11); refuse to run without the
        passphrase that encrypts its key at rest."""
        if not self._passphrase:
            raise RuntimeError(
                "CA_KEY_PASSPHRASE is not set: the CA's key cannot be kept encrypted"
            )
        aggregate = f"ca:{self.realm}"

        def first(current: dict[str, Any] | None) -> dict[str, Any] | None:
            if current is not None:
                return None
            made = Authority.create(self.name, self.algorithm, self.clock.now(), self.urls)
            return made.stored(self._passphrase)

        stored = await self.store.change_state(aggregate, first)
        assert stored is not None
        self._authority = Authority.from_stored(stored, self._passphrase, self.urls)
        log.info("certificate authority loaded", ca=key_id(self.authority.certificate))
        await self.refresh_responder()
        await self.publish_crl()

    async def refresh_responder(self) -> None:
        """A new delegated OCSP certificate when the current one nears its end."""
        now = self.clock.now()
        if not self.authority.responder_due(now):
            return

        def renewed(current: dict[str, Any] | None) -> dict[str, Any] | None:
            assert current is not None
            loaded = Authority.from_stored(current, self._passphrase, self.urls)
            if not loaded.responder_due(now):
                return None  # another replica renewed it
            return loaded.with_new_responder(now, self.algorithm).stored(self._passphrase)

        stored = await self.store.change_state(f"ca:{self.realm}", renewed)
        assert stored is not None
        self._authority = Authority.from_stored(stored, self._passphrase, self.urls)

    async def publish_crl(self) -> int:
        """A new CRL of every revoked, unexpired certificate, numbered one more than the last
        (CT-08): on every revocation (the handler of ``CertRevoked``) and on a schedule, so
        that its nextUpdate never passes. Answers the entries it lists."""
        now = self.clock.now()
        revoked = await self.store.revoked(now)
        revoked.sort()

        def next_crl(current: dict[str, Any] | None) -> dict[str, Any]:
            number = 1 if current is None else int(current["number"]) + 1
            der = self.authority.crl(revoked, number, now, now + self.crl_validity)
            return {"number": number, "this_update": now, "der": der}

        await self.store.change_state(f"crl:{self.realm}", next_crl)
        CRL_NEXT_UPDATE.set((now + self.crl_validity).timestamp())
        log.info("CRL published", entries=len(revoked))
        return len(revoked)

    async def crl(self) -> bytes:
        state = await self.store.state_of(f"crl:{self.realm}")
        if state is None:
            await self.publish_crl()
            state = await self.store.state_of(f"crl:{self.realm}")
            assert state is not None
        return bytes(state["der"])

    async def ocsp_answer(self, request_der: bytes, status_of: StatusOf) -> bytes:
        """The OCSP answer to a DER request: malformed, unauthorised (not our CA), or signed
        with the certificate's status. ``status_of`` answers a serial's status and revocation."""
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            asked = (request.issuer_name_hash, request.issuer_key_hash)
            ours = self.authority.issuer_hashes(request.hash_algorithm)
            nonce = _nonce(request)
        except Exception:  # not DER, a hash ``cryptography`` does not support, bad extensions
            return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        if asked != ours:
            return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        status, revoked = await status_of(serial_hex(request.serial_number))
        return self.authority.ocsp_answer(request, nonce, _OCSP_STATUS[status], revoked, self.now())

    def now(self) -> datetime:
        return self.clock.now()


def _nonce(request: ocsp.OCSPRequest) -> x509.OCSPNonce | None:
    """The request's nonce, echoed in the answer (RFC 6960 §4.4.1). ``cryptography`` parses a
    request's extensions only when they are read, and refuses a duplicated or malformed one
    then (``ValueError``, ``DuplicateExtension``): read here, so that the caller answers such a
    request as malformed instead of failing while it builds the answer."""
    found = request.extensions
    try:
        return found.get_extension_for_class(x509.OCSPNonce).value
    except x509.ExtensionNotFound:
        return None


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(Encoding.DER)
