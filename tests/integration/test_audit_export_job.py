"""AU-03, AU-04 (issue 16): a large export as a job, through the real gateway with curl.

The job is answered at once, shows the rows read while it reads, gives its file once, and that
file is the direct download's bytes. Its time rules (a dead replica's job shows as
failed, an unfetched file goes after a day) are tested by moving the clock.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from audit_events import User
from gateway_harness import GATEWAY_SECRET, curl, echo_server, running_gateway
from harness import Infra, Namespace, ServiceProcess, eventually
from identity_client import ready_admin
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.clock import ManualClock, SystemClock
from servicekit.store import VersionedStore
from services.audit.domain.export_job import KEPT, STALE
from services.audit.domain.profiles import ProfileVersion
from services.audit.domain.records import AccessRecord
from services.audit.store.export_jobs import ExportJobStore
from services.audit.store.records import ProfileHistories
from services.audit.usecases.export_jobs import ExportJobs

pytestmark = pytest.mark.integration

#: Enough rows that reading them takes seconds here (about 7,000 a second on FerretDB), so the
#: progress shows between the start and the file; 1,000,000 would take minutes the same way.
ROWS = 20_000
USERS = 50


async def seed(db: AsyncDatabase[dict[str, Any]], org_id: str) -> None:
    """``ROWS`` records of one organisation over the last year, as audit's consumer stores them."""
    now = SystemClock().now()
    start = now - timedelta(days=360)
    people = [User("demo", org_id, f"XA5{i:07d}") for i in range(USERS)]
    histories = ProfileHistories(VersionedStore(db, SystemClock()))
    for i, person in enumerate(people):
        created = person.created(start, name=f"利用者{i}", department="=SUM(A1)")
        await histories.add("demo", person.user_id, [ProfileVersion.of(created)])
    step = timedelta(days=359) / ROWS
    events = [people[i % USERS].performed(start + step * (i + 1), "1-4") for i in range(ROWS)]
    for i in range(0, ROWS, 5000):
        docs = [AccessRecord.of(e).to_document(now) for e in events[i : i + 5000]]
        await db["access_records"].insert_many(docs, ordered=False)


@pytest.fixture
def stack(infra: Infra, ns: Namespace, tmp_path: Path) -> Iterator[tuple[Any, ServiceProcess]]:
    with ExitStack() as stack:
        procs = [
            ServiceProcess("identity", infra, ns, tmp_path).start(),
            ServiceProcess("certs", infra, ns, tmp_path, gateway_secret=GATEWAY_SECRET).start(),
        ]
        identity = procs[0]
        audit = ServiceProcess("audit", infra, ns, tmp_path, identity_url=identity.url).start()
        procs.append(audit)
        for proc in procs:
            stack.callback(proc.stop)
        echo = stack.enter_context(echo_server())
        upstreams = {
            "identity": f"127.0.0.1:{identity.port}",
            "certs": f"127.0.0.1:{procs[1].port}",
            "audit": f"127.0.0.1:{audit.port}",
            "notify": echo,
            "enroll": echo,
        }
        yield stack.enter_context(running_gateway(tmp_path / "nginx", upstreams)), identity


async def test_au_04_a_large_export_is_a_job_through_the_gateway_answered_at_once_downloaded_once(
    stack: tuple[Any, ServiceProcess],
    mongo: AsyncMongoClient[dict[str, Any]],
    ns: Namespace,
    tmp_path: Path,
) -> None:
    gateway, identity = stack
    token, org = ready_admin(identity.url)
    await seed(mongo[ns.database("audit")], org["org_id"])
    auth = ["-H", f"Authorization: Bearer {token}"]
    history = f"{gateway.url}/v1/realms/demo/orgs/{org['org_id']}/access-history"
    query = "order=time&encoding=cp932&client_info=true"

    asked = time.monotonic()
    status, _, body = curl(gateway, f"{history}/exports?{query}", "-X", "POST", *auth)
    answered = time.monotonic() - asked
    assert status == 202, body
    assert answered < 5, "the portal user is answered at once"
    job = json.loads(body)
    assert job["state"] == "running"
    job_url = f"{history}/exports/{job['export_id']}"

    seen: list[dict[str, Any]] = []

    def progress() -> bool:
        code, _, answer = curl(gateway, job_url, *auth)
        assert code == 200, answer
        seen.append(json.loads(answer))
        return bool(seen[-1]["state"] == "ready")

    await eventually(progress, timeout=240, interval=0.5)
    made = time.monotonic() - asked
    read = [s["rows_read"] for s in seen]
    assert read == sorted(read), "the progress only grows"
    assert any(0 < n < ROWS for n in read), "rows read are shown while the job reads"
    assert seen[-1]["rows"] >= ROWS, "the seeded rows and the admin's own logins"

    job_file, direct = tmp_path / "job.csv", tmp_path / "direct.csv"
    assert fetch(gateway, f"{job_url}/file", job_file, *auth) == 200
    assert job_file.stat().st_size == seen[-1]["size"]
    again, _, answer = curl(gateway, f"{job_url}/file", *auth)
    assert (again, json.loads(answer)["code"]) == (410, "EXPORT_GONE"), "downloaded once"
    db = mongo[ns.database("audit")]
    assert await db["export_pieces"].count_documents({}) == 0, "the pieces go with the download"

    # The same rows, order and cp932 bytes as the direct download, formula guards included.
    assert fetch(gateway, f"{history}.csv?{query}", direct, *auth) == 200
    assert job_file.read_bytes() == direct.read_bytes()
    assert "'=SUM(A1)" in direct.read_bytes().decode("cp932")
    print(f"\n[au-04] {ROWS} rows: answered in {answered:.2f} s, file ready in {made:.1f} s")


def fetch(gateway: Any, url: str, out: Path, *args: str) -> int:
    """A download with curl into ``out``, trusting the gateway's CA: the HTTP status."""
    trust = ["--cacert", str(gateway.trust_file)]
    done = subprocess.run(
        [
            "curl",
            "-sS",
            "--max-time",
            "300",
            *trust,
            "-o",
            str(out),
            "-w",
            "%{http_code}",
            *args,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


async def test_au_04_a_job_whose_replica_died_shows_failed_and_an_unfetched_one_goes_after_a_day(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    clock = ManualClock()
    store = VersionedStore(db, clock)
    jobs = ExportJobs(ExportJobStore(db, store), None, clock, ProfileHistories(store))  # type: ignore[arg-type]
    job = {"realm": "demo", "org_id": "o1", "encoding": "cp932", "rows_read": 10}
    await db["export_jobs"].insert_one(
        job | {"_id": "dead", "state": "running", "created_at": clock.now(), "beat_at": clock.now()}
    )
    await db["export_jobs"].insert_one(
        job | {"_id": "unfetched", "state": "ready", "pieces": 1, "created_at": clock.now()}
    )
    await db["export_pieces"].insert_one({"_id": "unfetched:000000", "data": b"x"})
    assert (await jobs.status("demo", "o1", "dead")).state == "running"
    clock.advance(STALE + timedelta(milliseconds=1))
    assert (await jobs.status("demo", "o1", "dead")).state == "failed"
    assert await jobs.purge() == 0
    clock.advance(KEPT)
    assert await jobs.purge() == 2
    assert await db["export_pieces"].count_documents({}) == 0
