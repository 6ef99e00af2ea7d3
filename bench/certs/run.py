"""bench/certs: certificates issued per second from CSRs through certs' HTTP API, beside
building and signing the same certificates with ``cryptography`` in this process; the PKCS#12
route's rate; and the time to make a CRL of 100,000 revoked certificates.

For each key type (ECDSA P-256, RSA-2048; the CA's key and the users' keys alike) a certs
process runs with a CA of that type. The API figure covers everything an issue does: parse and
check the CSR, read the holder, compare the notice, sign, claim the serial, commit the holder's
next version (two inserts and a head update on FerretDB), relay ``CertIssued`` to Kafka, answer.
The baseline, in the same run, parses and checks the same CSRs, signs the same certificates with
the same code (``Authority.sign``) and inserts each in one document, as many in flight: signing
alone left the database out of the floor (issue 24). Goal: at least 0.5 of it.

    .venv/bin/python bench/certs/run.py [--certificates 300] [--pkcs12 60] [--revoked 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pymongo import AsyncMongoClient

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the tests' infrastructure discovery and process harness
sys.path.insert(0, str(REPO / "bench"))

from benchkit import CommandsPerOperation, CpuTime, infra_processes, summarise  # noqa: E402
from harness import (  # noqa: E402
    CA_KEY_PASSPHRASE,
    PROVISIONING,
    PROVISIONING_TOKEN,
    Infra,
    Namespace,
    ServiceProcess,
    provide_infra,
)

from contracts.certs import RevocationReason  # noqa: E402
from services.certs.usecases.signing import (  # noqa: E402
    Authority,
    Holding,
    KeyAlgorithm,
    Urls,
    new_key,
    usable_public_key,
)

CONCURRENCY = 8
USER_IDS = itertools.count(1)
"""A new user ID for every notice of the run: a first notice per user ID is the rule."""
URLS = Urls("http://127.0.0.1/crl", "http://127.0.0.1/ocsp", "http://127.0.0.1/ca")


def csrs(algorithm: KeyAlgorithm, count: int) -> list[str]:
    """``count`` CSRs of one key of ``algorithm`` (a key per CSR adds nothing the CA does)."""
    key = new_key(algorithm)
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "bench")])
    made = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    text = made.public_bytes(serialization.Encoding.PEM).decode()
    return [text] * count


async def bare(infra: Infra, algorithm: KeyAlgorithm, texts: list[str]) -> float:
    """Certificates per second, ``CONCURRENCY`` in flight: parse and check each CSR, sign its
    certificate, and insert it in one document: the least an issue that keeps what it issued
    can do (signing alone would leave the database out of the floor, and an issue must store
    the certificate before it hands it over)."""
    authority = Authority.create("Bench CA", algorithm, datetime.now(UTC), URLS)
    holding = Holding("U123456", "AB12345678", "bench@example.jp")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    issued = client[f"bench_{uuid.uuid4().hex[:8]}"]["certificates"]
    queue = list(texts)

    async def worker() -> None:
        while queue:
            csr = x509.load_pem_x509_csr(queue.pop().encode())
            assert csr.is_signature_valid
            usable_public_key(csr.public_key())
            now = datetime.now(UTC)
            serial = x509.random_serial_number()
            until = now + timedelta(days=1095)
            made = authority.sign(csr.public_key(), holding, serial, now, until)
            der = made.public_bytes(serialization.Encoding.DER)
            await issued.insert_one({"_id": format(serial, "X"), "der": der, "issued_at": now})

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    rate = len(texts) / (time.perf_counter() - started)
    await client.drop_database(issued.database.name)
    await client.close()
    return rate


async def notices(client: httpx.AsyncClient, count: int) -> list[dict[str, str]]:
    """One notice per certificate (a notice issues one), recorded before the clock starts."""
    made: list[dict[str, str]] = []
    for _ in range(count):
        fields = {
            "kihonet_code": "12345678",
            "management_number": "AB" + uuid.uuid4().hex[:8].upper(),
            "user_id": f"B{next(USER_IDS):06d}",
        }
        answer = await client.post("/v1/realms/kihonet/notices", json=fields, headers=PROVISIONING)
        answer.raise_for_status()
        made.append(
            fields
            | {"year": str(answer.json()["year"]), "branch_number": "001", "email": "b@example.jp"}
        )
    return made


async def issue_all(client: httpx.AsyncClient, path: str, bodies: list[dict[str, Any]]) -> float:
    """Requests per second with ``CONCURRENCY`` in flight; every answer must be 201."""
    queue = list(bodies)

    async def worker() -> None:
        while queue:
            body = queue.pop()
            answer = await client.post(path, json=body)
            assert answer.status_code == 201, answer.text

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return len(bodies) / (time.perf_counter() - started)


async def through_api(infra: Infra, algorithm: KeyAlgorithm, n: int, p12: int) -> dict[str, float]:
    logs = Path(REPO / ".cache" / "bench")
    logs.mkdir(parents=True, exist_ok=True)
    certs = ServiceProcess(
        "certs", infra, Namespace(), logs, ca_key_algorithm=algorithm.value, log_level="WARNING"
    ).start()
    try:
        async with httpx.AsyncClient(base_url=certs.url, timeout=120) as client:
            texts = csrs(algorithm, n)
            bodies = [f | {"csr": t} for f, t in zip(await notices(client, n), texts, strict=True)]
            await issue_all(client, "/v1/realms/kihonet/certificates", bodies[:10])  # warm up
            assert certs.proc is not None
            cpu = CpuTime(
                {"certs": psutil.Process(certs.proc.pid), "bench client": psutil.Process()}
                | infra_processes(infra)
            )
            cpu.start()
            with CommandsPerOperation(certs.url) as counted:
                rate = await issue_all(client, "/v1/realms/kihonet/certificates", bodies[10:])
                spent = {name: 1000 * s / (n - 10) for name, s in cpu.stop().items()}
                await asyncio.sleep(1)  # the relay publishes the last issues' events
            generated = [
                f | {"password": "bench-password", "key_algorithm": algorithm.value}
                for f in await notices(client, p12)
            ]
            pkcs12 = await issue_all(client, "/v1/realms/kihonet/certificates/pkcs12", generated)
    finally:
        certs.stop()
    floor = await bare(infra, algorithm, texts[10:])
    commands = counted.per(n - 10)
    return {"api": rate, "bare": floor, "pkcs12": pkcs12, "commands": commands} | {
        f"cpu ms: {name}": ms for name, ms in spent.items()
    }


def crl_seconds(algorithm: KeyAlgorithm, revoked: int) -> float:
    """Build and sign a CRL of ``revoked`` entries (what ``publish_crl`` does after its read)."""
    authority = Authority.create("Bench CA", algorithm, datetime.now(UTC), URLS)
    now = datetime.now(UTC)
    entries = [(serial, now, RevocationReason.SUPERSEDED) for serial in range(1, revoked + 1)]
    started = time.perf_counter()
    der = authority.crl(entries, 1, now, now + timedelta(days=1))
    elapsed = time.perf_counter() - started
    assert len(x509.load_der_x509_crl(der)) == revoked
    return elapsed


async def crl_through_the_service(infra: Infra, revoked: int) -> float:
    """``publish_crl`` end to end: read ``revoked`` entries from the database, build, sign and
    commit the CRL as the next version."""
    from servicekit.clock import SystemClock
    from services.certs.app import create_app
    from services.certs.settings import CertsSettings

    ns = Namespace()
    settings = CertsSettings(
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        mongodb_uri=infra.mongodb_uri,
        kafka_topic_prefix=ns.topic_prefix,
        mongodb_database=ns.database("certs"),
        ca_key_passphrase=CA_KEY_PASSPHRASE,  # type: ignore[arg-type]
        provisioning_token=PROVISIONING_TOKEN,  # type: ignore[arg-type]
        consumers=False,
        log_level="WARNING",
    )
    app = create_app(settings, SystemClock())
    async with app.router.lifespan_context(app):
        certs = app.state.certs
        later = datetime.now(UTC) + timedelta(days=365)
        docs = [
            {"_id": format(s, "X"), "revoked_at": datetime.now(UTC), "reason": "superseded",
             "not_after": later}
            for s in range(1, revoked + 1)
        ]  # fmt: skip
        for i in range(0, len(docs), 10_000):
            await certs.store.revocations.insert_many(docs[i : i + 10_000])
        started = time.perf_counter()
        listed = await certs.keeper.publish_crl()
        elapsed = time.perf_counter() - started
        assert listed == revoked
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--certificates", type=int, default=300)
    parser.add_argument("--pkcs12", type=int, default=60)
    parser.add_argument("--revoked", type=int, default=100_000)
    args = parser.parse_args()
    with provide_infra() as infra:
        print(f"certs bench on {infra.source}; {CONCURRENCY} requests in flight")
        for algorithm in (KeyAlgorithm.EC_P256, KeyAlgorithm.RSA_2048):
            found = await through_api(infra, algorithm, args.certificates, args.pkcs12)
            ratio = found["api"] / found["bare"]
            print(
                f"{algorithm.value:9} CSR issue via API {found['api']:7.1f}/s   sign + one insert "
                f"{found['bare']:7.1f}/s   ratio {ratio:.2f} (goal 0.5)   "
                f"PKCS#12 route {found['pkcs12']:6.1f}/s"
            )
            print(f"          database commands per issue, relay included: {found['commands']:.1f}")
            summarise(
                "certs",
                f"CSR issues/s, {algorithm.value}",
                f"{found['api']:.1f}/s; {found['commands']:.1f} commands an issue (goal ≤ 3)",
                baseline=f"sign + one insert {found['bare']:.1f}/s",
                ratio=ratio,
                goal="≥ 0.50",
                met=ratio >= 0.5,
            )
            where = ", ".join(
                f"{k.removeprefix('cpu ms: ')} {v:.1f}" for k, v in found.items() if k[:3] == "cpu"
            )
            print(f"          CPU ms per CSR issue: {where}")
        for algorithm in (KeyAlgorithm.EC_P256, KeyAlgorithm.RSA_2048):
            seconds = crl_seconds(algorithm, args.revoked)
            print(
                f"{algorithm.value:9} CRL of {args.revoked:,} entries: build + sign {seconds:.2f} s"
            )
        total = await crl_through_the_service(infra, args.revoked)
        print(f"ec-p256   CRL of {args.revoked:,} entries through publish_crl (read, build, "
              f"sign, commit): {total:.2f} s")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
