"""bench/scale's certs area: ``certificates`` issued certificates (one in ten revoked), a
certificate issued from a CSR, and an OCSP request.

The certificates are written as the CA leaves them (``services/certs/store``): a holder
aggregate ``holder:kihonet:<user id>`` per user, its notice used by its certificate (version 1,
as ``seeding.first_versions`` writes it), the serial's document in ``serials``, the notice's
keys in ``notice_keys``, and a revoked one's entry in ``revocations``. Neither an issue nor
OCSP reads a stored certificate's DER (OCSP answers from the holder's record, an issue signs a
new one), so none is signed: serial ``i`` is a deterministic 159-bit number, its fingerprint a
digest of it. Certificate ``i`` is always the same one, so each step writes only ``[done,
target)``.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from benchkit import CommandsPerOperation
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from harness import PROVISIONING, Infra, Namespace, ServiceProcess
from pymongo import AsyncMongoClient
from scalekit import Figure, Sizes, numbered
from seeding import CHUNK, first_versions, insert_chunked, p50_ms, p99_ms, relayed, timed

from contracts.certs import KeyOrigin, RevocationReason
from servicekit.clock import SystemClock
from servicekit.store import VersionedStore
from services.certs.domain.holders import Certificate, Holder, Notice, add_years
from services.certs.store import CertsStore
from services.certs.store.documents import holder_id, holder_to_document
from services.certs.usecases.signing import KeyAlgorithm, new_key, serial_hex

Document = dict[str, Any]

REALM = "kihonet"
KIHONET_CODE = "12345678"
ISSUES = 200
"""Certificates issued per step, ``IN_FLIGHT`` requests at a time."""
IN_FLIGHT = 8
OCSP_REQUESTS = 300
"""OCSP requests per step, one at a time, for serials picked across every seeded one."""
REVOKED_EVERY = 10
WARM_UP = 10
"""Requests of each kind before the clock: connections opened, code paths warm."""


def serial_of(i: int) -> int:
    """Certificate ``i``'s serial: 159 bits, positive, as ``x509.random_serial_number``."""
    return int.from_bytes(hashlib.sha256(f"scale-certificate-{i}".encode()).digest()[:20]) >> 1


def seeded_holder(i: int, now: datetime) -> Holder:
    """User ``S<i>``: a notice, and the certificate it issued, some day in the last three
    years; one in ``REVOKED_EVERY`` revoked since."""
    user_id = f"S{i:06d}"
    serial = serial_hex(serial_of(i))
    issued = now - timedelta(days=i % 1095, seconds=i % 86_400)
    revoked = i % REVOKED_EVERY == 0
    management_number = f"SC{i:08d}"
    notice = Notice(
        kihonet_code=KIHONET_CODE,
        management_number=management_number,
        user_id=user_id,
        year=issued.year,
        branch_number="001",
        reason=None,
        registered_at=issued - timedelta(days=3),
        used_by=serial,
    )
    certificate = Certificate(
        serial_number=serial,
        fingerprint_sha256=hashlib.sha256(serial.encode()).hexdigest(),
        branch_number="001",
        management_number=management_number,
        email=f"s{i}@example.jp",
        key_origin=KeyOrigin.CSR,
        not_before=issued,
        not_after=add_years(issued, 3),
        revoked_at=issued + timedelta(days=30) if revoked else None,
        revocation_reason=RevocationReason.KEY_COMPROMISE if revoked else None,
    )
    return Holder(REALM, user_id, (notice,), (certificate,))


class CertsArea:
    name = "certs"

    def __init__(self) -> None:
        self.certificates = 0
        self.notices = 0
        self.rng = random.Random(24)

    async def start(self, infra: Infra, ns: Namespace, log_dir: Path) -> None:
        self.certs = ServiceProcess(
            "certs",
            infra,
            ns,
            log_dir,
            log_level="WARNING",
            ca_key_algorithm=KeyAlgorithm.EC_P256.value,
            outbox_poll_seconds="0.5",  # the default, not the tests' 0.2: idle polls are noise
        ).start()
        self.client: AsyncMongoClient[Document] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
        self.db = self.client[ns.database("certs")]
        self.versioned = VersionedStore(self.db, SystemClock())
        self.store = CertsStore(self.db, self.versioned)
        async with httpx.AsyncClient(base_url=self.certs.url) as http:
            answer = await http.get("/v1/ca/certificate")
        ca = x509.load_pem_x509_certificate(answer.content)
        probe = ocsp.OCSPRequestBuilder().add_certificate(ca, ca, hashes.SHA1()).build()
        self.issuer_hashes = (probe.issuer_name_hash, probe.issuer_key_hash)
        key = new_key(KeyAlgorithm.EC_P256)
        subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "scale")])
        csr = x509.CertificateSigningRequestBuilder().subject_name(subject)
        signed = csr.sign(key, hashes.SHA256())
        self.csr = signed.public_bytes(serialization.Encoding.PEM).decode()

    async def grow(self, sizes: Sizes) -> None:
        """Certificates ``[done, certificates)``, in chunks of one bulk insert per collection."""
        now = datetime.now(UTC)
        for chunk in numbered(self.certificates, sizes.certificates, CHUNK):
            holders = [seeded_holder(i, now) for i in chunk]
            await first_versions(
                self.versioned,
                {holder_id(REALM, h.user_id): holder_to_document(h) for h in holders},
                now,
            )
            certificates = [(h, h.certificates[0]) for h in holders]
            await insert_chunked(
                self.store.serials,
                [
                    {"_id": c.serial_number, "realm": REALM, "user_id": h.user_id,
                     "not_after": c.not_after}
                    for h, c in certificates
                ],
            )  # fmt: skip
            await self.store.index_notices(
                REALM, [(h.user_id, KIHONET_CODE, c.management_number) for h, c in certificates]
            )
            await self.store.record_revocations(
                [
                    (c.serial_number, c.revoked_at, c.revocation_reason, c.not_after)
                    for _, c in certificates
                    if c.revoked_at is not None and c.revocation_reason is not None
                ]
            )
        self.certificates = max(self.certificates, sizes.certificates)

    async def measure(self) -> list[Figure]:
        async with httpx.AsyncClient(base_url=self.certs.url, timeout=120) as http:
            return [await self._issues(http), *await self._ocsp(http)]

    async def _notices(self, http: httpx.AsyncClient, count: int) -> list[dict[str, str]]:
        """A notice per certificate to issue, for a new user ID each (before the clock)."""
        made: list[dict[str, str]] = []
        for _ in range(count):
            self.notices += 1
            fields = {
                "kihonet_code": KIHONET_CODE,
                "management_number": f"NT{self.notices:08d}",
                "user_id": f"N{self.notices:06d}",
            }
            answer = await http.post(
                f"/v1/realms/{REALM}/notices", json=fields, headers=PROVISIONING
            )
            answer.raise_for_status()
            year = str(answer.json()["year"])
            made.append(fields | {"year": year, "branch_number": "001", "email": "n@example.jp"})
        return made

    async def _issues(self, http: httpx.AsyncClient) -> Figure:
        """``ISSUES`` certificates from CSRs (ECDSA P-256), ``IN_FLIGHT`` at a time: their rate,
        and the database commands per issue once the relay has published their events."""

        async def issue(body: dict[str, str]) -> None:
            answer = await http.post(f"/v1/realms/{REALM}/certificates", json=body)
            assert answer.status_code == 201, answer.text

        bodies = [n | {"csr": self.csr} for n in await self._notices(http, WARM_UP + ISSUES)]
        await timed(issue, bodies[:WARM_UP], IN_FLIGHT)
        bodies = bodies[WARM_UP:]
        await relayed(self.db)  # the notices' and the warm-up's events are not the issues' work

        async with CommandsPerOperation(self.certs.url) as counted:
            _, elapsed = await timed(issue, bodies, IN_FLIGHT)
            await relayed(self.db)
        return Figure(
            f"certificate issue (CSR, P-256), {IN_FLIGHT} in flight",
            "/s",
            len(bodies) / elapsed,
            counted.per(len(bodies)),
            higher_is_better=True,
        )

    def _ocsp_request(self, i: int) -> bytes:
        name_hash, key_hash = self.issuer_hashes
        built = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            name_hash, key_hash, serial_of(i), hashes.SHA1()
        )
        return built.build().public_bytes(serialization.Encoding.DER)

    async def _ocsp(self, http: httpx.AsyncClient) -> list[Figure]:
        """OCSP for serials picked across every seeded certificate, one request at a time;
        every answer must be good or revoked, as seeded."""
        picked = [self.rng.randrange(self.certificates) for _ in range(WARM_UP + OCSP_REQUESTS)]

        async def ask(i: int) -> None:
            answer = await http.post(
                "/v1/ca/ocsp",
                content=self._ocsp_request(i),
                headers={"content-type": "application/ocsp-request"},
            )
            said = ocsp.load_der_ocsp_response(answer.content)
            expected = (
                ocsp.OCSPCertStatus.REVOKED if i % REVOKED_EVERY == 0 else ocsp.OCSPCertStatus.GOOD
            )
            assert said.certificate_status == expected, (i, said.certificate_status)

        await timed(ask, picked[:WARM_UP], 1)
        async with CommandsPerOperation(self.certs.url) as counted:
            latencies, _ = await timed(ask, picked[WARM_UP:], 1)
        per = counted.per(OCSP_REQUESTS)
        return [
            Figure("OCSP request, p50", "ms", p50_ms(latencies), per),
            Figure("OCSP request, p99", "ms", p99_ms(latencies), per),
        ]

    async def stop(self) -> None:
        if hasattr(self, "certs"):
            self.certs.stop()
        if hasattr(self, "client"):
            await self.client.close()


AREA = CertsArea()
