"""AU-04, X-03, NT-03 (issue 16): a finished export job is announced to its requester, once.

End to end through the real gateway, Kafka, FerretDB and Mailpit: the admin starts the job on
the アクセス履歴出力 page, its page shows the progress and then one download, and one mail
「アクセス履歴のファイルを作成しました」 names that page, even when the announcement is
delivered twice. Beside it, the crash the outbox exists for: a replica that dies after the file
is ready and before anything else still leaves a ready job and an announcement to relay.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from audit_events import User
from gateway_harness import GATEWAY_SECRET, curl, echo_server, running_gateway
from harness import Infra, Namespace, ServiceProcess, eventually, read_topic
from identity_client import bearer, ready_admin
from mail_catchers import Mailpit, new_address
from mail_events import PRIVATE_KEY
from pymongo.asynchronous.database import AsyncDatabase

from contracts import AccessExportReady, Topics, parse_event
from servicekit.clock import ManualClock
from servicekit.publish import Publisher
from servicekit.relay import OutboxRelay
from servicekit.store import VersionedStore
from services.audit.domain.export_job import KEPT, STALE, ExportJob
from services.audit.domain.export_ready import Requester
from services.audit.domain.export_request import ExportRequest
from services.audit.domain.profiles import ProfileVersion
from services.audit.domain.records import AccessRecord
from services.audit.domain.sheet import Encoding, Order
from services.audit.store.export_jobs import ExportJobStore
from services.audit.store.records import AccessRecords, ProfileHistories
from services.audit.usecases.export_jobs import ExportJobs
from services.audit.usecases.exports import Exports

pytestmark = pytest.mark.integration

SUBJECT = "【デモポータル】アクセス履歴のファイルを作成しました"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def stack(infra: Infra, ns: Namespace, tmp_path: Path) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Identity, certs, audit and notify behind the real gateway; notify mails to Mailpit."""
    with ExitStack() as stack:
        identity = ServiceProcess("identity", infra, ns, tmp_path).start()
        stack.callback(identity.stop)
        certs = ServiceProcess("certs", infra, ns, tmp_path, gateway_secret=GATEWAY_SECRET)
        audit = ServiceProcess("audit", infra, ns, tmp_path, identity_url=identity.url)
        notify = ServiceProcess(
            "notify", infra, ns, tmp_path, notify_private_key=PRIVATE_KEY, identity_url=identity.url
        )
        for proc in (certs, audit, notify):
            proc.start()
            stack.callback(proc.stop)
        echo = stack.enter_context(echo_server())
        upstreams = {
            "identity": f"127.0.0.1:{identity.port}",
            "certs": f"127.0.0.1:{certs.port}",
            "audit": f"127.0.0.1:{audit.port}",
            "notify": f"127.0.0.1:{notify.port}",
            "enroll": echo,
        }
        gateway = stack.enter_context(running_gateway(tmp_path / "nginx", upstreams))
        yield gateway, {"identity": identity, "audit": audit, "notify": notify}


class Browser:
    """curl through the gateway with a cookie jar, as a browser without JavaScript: it keeps
    the session and the CSRF cookie, and does not follow redirects on its own."""

    def __init__(self, gateway: Any, token: str, jar: Path) -> None:
        self.gateway = gateway
        self.args = ["-b", str(jar), "-c", str(jar), "-b", f"__Host-session={token}"]

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return curl(self.gateway, self.gateway.url + path, *self.args)

    def post(self, path: str, page: str) -> tuple[int, dict[str, str], str]:
        """Submit a form of ``page`` (its CSRF token) to ``path``."""
        token = CSRF.search(page)
        assert token is not None, "every form carries the page's CSRF token"
        data = ["--data-urlencode", f"csrf_token={token.group(1)}"]
        return curl(self.gateway, self.gateway.url + path, *self.args, "-X", "POST", *data)

    def download(self, path: str, page: str, out: Path) -> int:
        token = CSRF.search(page)
        assert token is not None
        done = subprocess.run(
            ["curl", "-sS", "--cacert", str(self.gateway.trust_file), *self.args, "-o", str(out),
             "-w", "%{http_code}", "--data-urlencode", f"csrf_token={token.group(1)}",
             self.gateway.url + path],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return int(done.stdout)


async def test_au_04_export_job_ready_is_mailed_once_to_the_requester(
    stack: tuple[Any, dict[str, Any]], infra: Infra, ns: Namespace, tmp_path: Path
) -> None:
    gateway, procs = stack
    address = new_address("export")
    token, org = ready_admin(procs["identity"].url, profile={"name": "山田 太郎", "email": address})
    records = f"{procs['audit'].url}/v1/realms/demo/orgs/{org['org_id']}/access-records"

    def login_recorded() -> bool:  # its UserCreated (the address) came first, on its partition
        items = httpx.get(records, headers=bearer(token), timeout=10).json()["items"]
        return any(i["event_type"] == "LoginSucceeded" for i in items)

    await eventually(login_recorded, timeout=60, interval=0.5)

    # The page: 「ファイルを作成する」 (a POST with the page's token) leads to the job's page.
    browser = Browser(gateway, token, tmp_path / "jar")
    status, _, screen = browser.get("/realms/demo/access-history?order=time&check=1")
    assert status == 200 and "ファイルを作成する" in screen, screen
    status, headers, _ = browser.post("/realms/demo/access-history/exports?order=time", screen)
    assert status == 303, headers
    page = headers["location"]
    assert re.fullmatch(r"/realms/demo/access-history/exports/[A-Za-z0-9_-]{32}", page), page
    export_id = page.rsplit("/", 1)[1]

    seen: list[str] = []

    def ready() -> bool:
        code, _, html = browser.get(page)
        assert code == 200, html
        seen.append(html)
        return "CSVファイルを作成しました" in html

    await eventually(ready, timeout=120, interval=0.5)
    for html in seen[:-1]:  # whatever was seen while it ran refreshed itself and counted
        assert '<meta http-equiv="refresh"' in html and "件読み込み済み" in html
    assert 'role="status" aria-live="polite"' in seen[-1]

    # One mail, in the portal's words, naming the page (no credential in it).
    mailpit = Mailpit(infra.mailpit_url)
    [mail] = await eventually(lambda: mailpit.mails_to(address), timeout=60)
    assert mail["Subject"] == SUBJECT
    body = mail.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    assert f"https://demo.example.jp{page}\n" in text
    assert "ダウンロードできるのは1回だけです" in text and "保管期限" in text
    assert "山田" not in mail["Subject"] and token not in text

    # Downloaded once through the page; the second press leads back to the page, which says so.
    csv = tmp_path / "job.csv"
    assert browser.download(f"{page}/file", seen[-1], csv) == 200
    assert csv.read_bytes().decode("cp932").startswith("アクセス日時,WebユーザーID")
    status, headers, _ = browser.post(f"{page}/file", seen[-1])
    assert (status, headers.get("location")) == (303, page)
    assert "このファイルはダウンロード済みです" in browser.get(page)[2]

    # Delivered twice (a relay's repeat): still one mail. A later event on the same partition
    # (the same requester's key) is mailed, so notify has read past the repeat by then.
    [record] = await read_topic(
        infra.kafka_bootstrap_servers, ns.topic_prefix + Topics.AUDIT_EXPORTS, 1
    )
    announced = parse_event(record.value)
    assert isinstance(announced, AccessExportReady) and announced.export_id == export_id
    later = new_address("later")
    sentinel = announced.model_copy(update={"event_id": uuid.uuid4(), "recipient_email": later})
    await send(infra, ns, [record.value, sentinel.to_json()], record.key)
    await eventually(lambda: mailpit.mails_to(later), timeout=60)
    assert len(mailpit.mails_to(address)) == 1, "NT-03: one mail per announcement"
    for proc in (procs["audit"], procs["notify"]):
        assert address not in proc.log_path.read_text(), "X-02: addresses are masked in logs"


async def send(infra: Infra, ns: Namespace, values: list[bytes], key: bytes) -> None:
    """Raw records onto ``audit.exports``, as a relay that repeats itself would send them."""
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(ns.topic_prefix + Topics.AUDIT_EXPORTS, value, key=key)
    finally:
        await producer.stop()


async def test_x_03_au_04_a_replica_dying_after_the_file_is_ready_still_announces_it(
    db: AsyncDatabase[dict[str, Any]], infra: Infra, ns: Namespace, monkeypatch: Any
) -> None:
    """The job's commit is the fact and its announcement: a replica that dies right after it
    (before the job's own document says ready) leaves a job that reads as ready once its
    heartbeat is stale, and an event the relay publishes; the purge waits for the relay."""
    clock = ManualClock()
    store = VersionedStore(db, clock)
    profiles = ProfileHistories(store)
    admin = User("demo", "o1", "XA3000001")
    created = admin.created(clock.now() - timedelta(days=2), email="admin@example.jp")
    await profiles.add("demo", admin.user_id, [ProfileVersion.of(created)])
    logins = [admin.logged_in(clock.now() - timedelta(hours=h)) for h in range(1, 6)]
    await AccessRecords(db).add([AccessRecord.of(e) for e in logins], clock.now())
    exports = Exports(AccessRecords(db), profiles, clock)
    jobs = ExportJobs(ExportJobStore(db, store), exports, clock, profiles)

    real_save = ExportJobStore.save_outcome

    async def dies_before_saying_ready(self: ExportJobStore, job: ExportJob) -> None:
        if job.file is not None:  # the job's own document would now say ready: it never does
            await asyncio.Event().wait()
        await real_save(self, job)

    monkeypatch.setattr(ExportJobStore, "save_outcome", dies_before_saying_ready)
    request = ExportRequest("demo", "o1", None, None, None, Order.BY_TIME, Encoding.UTF8, False)
    job = await jobs.start(request, Requester(admin.user_id, admin.login_id, "admin"))
    commit = f"export:{job.export_id}#{1:010d}"
    await eventually(lambda: db["commits"].find_one({"_id": commit}), timeout=30)
    await jobs.stop()  # the replica is killed there: nothing more is written, no heartbeat
    monkeypatch.undo()

    assert (await jobs.status("demo", "o1", job.export_id)).state == "running"
    clock.advance(STALE + timedelta(milliseconds=1))
    ready = await jobs.status("demo", "o1", job.export_id)
    assert (ready.state, ready.rows) == ("ready", 5), "read from the commit, not failed"

    clock.advance(KEPT)
    assert await jobs.purge() == 0, "its announcement is not on Kafka yet: it stays"
    publisher = Publisher(
        infra.kafka_bootstrap_servers, "test-relay", lambda t: ns.topic_prefix + t
    )
    try:
        assert await OutboxRelay(store, publisher, clock).publish_pending() == 1
    finally:
        await publisher.stop()
    [record] = await read_topic(
        infra.kafka_bootstrap_servers, ns.topic_prefix + Topics.AUDIT_EXPORTS, 1
    )
    event = parse_event(record.value)
    assert isinstance(event, AccessExportReady)
    assert (event.export_id, event.recipient_email, event.rows) == (
        job.export_id,
        "admin@example.jp",
        5,
    )
    assert record.key == admin.user_id.encode()
    assert json.loads(record.value)["page_path"].endswith(f"/exports/{job.export_id}")

    assert await jobs.purge() == 1
    for name in ("export_jobs", "export_pieces", "outbox"):
        assert await db[name].count_documents({}) == 0, name
    assert await db["commits"].find_one({"_id": commit}) is None
