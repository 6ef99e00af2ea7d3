"""Outages of the infrastructure, made by stopping its real processes (X-05, X-03, X-17).

An outage of the database, Kafka or SMTP is not bad input, but a client must still get an answer
it can act on: ``503 SERVICE_UNAVAILABLE`` with a Japanese title and ``Retry-After`` (a page for
a browser), never a 500 and never a connection closed without an answer; and a request answered
so can be repeated without doing anything twice. Issue 20 saw identity answer 500 and close
connections without an answer while FerretDB was down during a burst of business-user creations.

The processes stopped are those of a :class:`PrivateInfra` of this module's own, never the
session's: other tests use that one at the same time. Identity is given short database timeouts
(``MONGODB_SERVER_SELECTION_TIMEOUT_SECONDS``), so an outage is answered within a second or two.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import signal
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Infra, Namespace, ServiceProcess, eventually, read_topic
from identity_client import NOTIFY_PUBLIC, bearer, ready_admin
from mail_catchers import Mailpit, new_address, publish
from mail_events import PRIVATE_KEY, otp
from private_infra import COMPONENTS, PrivateInfra, alive, private_infra
from pymongo import AsyncMongoClient

from servicekit.problems import ProblemCode

pytestmark = pytest.mark.integration

#: Business users of the burst, and how many requests are in flight at once (issue 20: 6).
BURST = 60
IN_FLIGHT = 6
#: Requests answered before FerretDB is killed, and answered while it is down before it is back.
BEFORE_OUTAGE = 15
DURING_OUTAGE = 12


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PrivateInfra, Infra]]:
    with private_infra(tmp_path_factory.mktemp("private-infra")) as started:
        yield started


@pytest.fixture(scope="module")
def identity(
    own: tuple[PrivateInfra, Infra], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServiceProcess, Namespace]]:
    """Identity on the private infrastructure, quick to give up on a database that is away."""
    ns = Namespace()
    proc = ServiceProcess(
        "identity",
        own[1],
        ns,
        tmp_path_factory.mktemp("identity"),
        notify_public_key=NOTIFY_PUBLIC,
        mongodb_server_selection_timeout_seconds="1",
    ).start()
    try:
        yield proc, ns
    finally:
        proc.stop()


def assert_unavailable(answer: httpx.Response) -> None:
    """The outage's answer: 503, the problem with its Japanese title, and when to try again."""
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert (body["code"], body["title"], body["status"]) == (
        "SERVICE_UNAVAILABLE",
        ProblemCode.SERVICE_UNAVAILABLE.title,
        503,
    )
    assert int(answer.headers["retry-after"]) > 0


class Burst:
    """Creations of business users, ``IN_FLIGHT`` at a time, each with its Idempotency-Key;
    every answer kept, and every connection that closed without one."""

    def __init__(self, url: str, org_id: str, token: str) -> None:
        self.path = f"{url}/v1/realms/demo/orgs/{org_id}/users"
        self.headers = bearer(token)
        self.login_ids = [f"OUT{i:03d}{uuid.uuid4().hex[:6]}" for i in range(BURST)]
        self.answers: dict[str, httpx.Response] = {}
        self.dropped: dict[str, str] = {}
        self.answered = 0

    async def create(self, client: httpx.AsyncClient, login_id: str) -> httpx.Response:
        return await client.post(
            self.path,
            json={"login_id": login_id},
            headers=self.headers | {"Idempotency-Key": f"create-{login_id}"},
        )

    async def run(self) -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()
        for login_id in self.login_ids:
            queue.put_nowait(login_id)
        async with httpx.AsyncClient(timeout=60) as client:

            async def worker() -> None:
                while not queue.empty():
                    login_id = queue.get_nowait()
                    try:
                        self.answers[login_id] = await self.create(client, login_id)
                    except httpx.TransportError as err:
                        self.dropped[login_id] = repr(err)
                    self.answered += 1

            await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))


async def test_x_05_x_03_a_database_outage_answers_503_with_retry_after_never_500_and_a_retry_creates_once(  # noqa: E501
    own: tuple[PrivateInfra, Infra], identity: tuple[ServiceProcess, Namespace]
) -> None:
    """Issue 20's burst, shorter: FerretDB is SIGKILLed mid-burst and started again. Every
    answer is a 201 or the outage's 503, no connection closes unanswered; each 503 repeated
    with its Idempotency-Key then creates its user, and every user exists once, with one
    ``UserCreated`` on Kafka."""
    private, infra = own
    proc, ns = identity
    token, org = ready_admin(proc.url, "demo", "OUTA")
    burst = Burst(proc.url, org["org_id"], token)
    running = asyncio.create_task(burst.run())
    await eventually(lambda: burst.answered >= BEFORE_OUTAGE, timeout=120)
    private.down("ferretdb")
    await eventually(lambda: burst.answered >= BEFORE_OUTAGE + DURING_OUTAGE, timeout=120)
    private.up()
    await running

    statuses = Counter(a.status_code for a in burst.answers.values())
    assert burst.dropped == {}, f"closed without an answer ({statuses}; log: {proc.log_path})"
    assert set(statuses) <= {201, 503}, f"{statuses}; log: {proc.log_path}"
    assert statuses[503] >= 1, f"the outage was felt: {statuses}"
    refused = [login_id for login_id, a in burst.answers.items() if a.status_code == 503]
    for login_id in refused:
        assert_unavailable(burst.answers[login_id])

    async with httpx.AsyncClient(timeout=60) as client:
        again = {login_id: await burst.create(client, login_id) for login_id in refused}
    assert {a.status_code for a in again.values()} == {201}, [a.text for a in again.values()]

    listed = httpx.get(burst.path, headers=burst.headers, timeout=30)
    assert listed.status_code == 200, listed.text
    login_ids = Counter(u["login_id"] for u in listed.json())
    assert login_ids == Counter(burst.login_ids), "every user created, each once"

    created = await user_created_on_kafka(infra, ns, org["org_id"])
    assert created == Counter({u["user_id"]: 1 for u in listed.json()}), (
        "one UserCreated each, whatever Kafka delivered twice"
    )
    print(f"\n[outage] {dict(statuses)}; {len(refused)} repeated after the outage, each once")


async def user_created_on_kafka(infra: Infra, ns: Namespace, org_id: str) -> Counter[str]:
    """Distinct ``UserCreated`` events per business user of ``org_id``, once the outbox is
    empty (every commit relayed)."""
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri)
    try:
        outbox = mongo[ns.database("identity")]["outbox"]
        await eventually(lambda: _empty(outbox), timeout=60)  # relayed after the outage
    finally:
        await mongo.close()
    records = await read_topic(
        infra.kafka_bootstrap_servers, ns.topic_prefix + "identity.events", 10**6, timeout=5
    )
    events = {
        body["event_id"]: body
        for body in (json.loads(r.value) for r in records)
        if (body["type"], body.get("org_id"), body.get("role"))
        == ("UserCreated", org_id, "business")
    }
    return Counter(body["subject_id"] for body in events.values())


async def _empty(collection: Any) -> bool:
    return bool(await collection.count_documents({}) == 0)


async def test_x_05_a_page_under_a_database_outage_answers_an_html_page_with_503(
    own: tuple[PrivateInfra, Infra], identity: tuple[ServiceProcess, Namespace]
) -> None:
    """A browser on 業務用IDの管理 while FerretDB is down gets the portal's page with the
    outage's Japanese message and ``Retry-After``, not JSON and not a 500."""
    private, _ = own
    proc, _ = identity
    token, _ = ready_admin(proc.url, "demo", "OUTP")
    page = f"{proc.url}/realms/demo/admin/users"
    cookies = {"__Host-session": token}
    assert httpx.get(page, cookies=cookies, timeout=30).status_code == 200
    private.down("ferretdb")
    try:
        answer = httpx.get(page, cookies=cookies, timeout=30)
    finally:
        private.up()
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert int(answer.headers["retry-after"]) > 0
    assert ProblemCode.SERVICE_UNAVAILABLE.title in answer.text
    assert '<link rel="stylesheet" href="/static/webkit/portal.css">' in answer.text
    assert "デモポータル" in answer.text, "the realm's portal, as on its other pages"
    assert httpx.get(page, cookies=cookies, timeout=30).status_code == 200, "back after it"


async def test_x_05_x_17_kafka_stopped_creations_still_answer_and_readyz_fails_until_it_returns(
    own: tuple[PrivateInfra, Infra], identity: tuple[ServiceProcess, Namespace]
) -> None:
    """No route of identity needs Kafka while it answers: a creation commits its events to the
    outbox, so it answers 201 while Kafka is down, and its ``UserCreated`` goes out once Kafka
    is back. ``/readyz`` says Kafka is away, within its bound, and recovers by itself."""
    private, infra = own
    proc, ns = identity
    token, org = ready_admin(proc.url, "demo", "OUTK")
    burst = Burst(proc.url, org["org_id"], token)
    private.down("kafka")
    try:
        down = await eventually(lambda: _readiness(proc, 503), timeout=30)
        assert down["checks"]["kafka"] is False, down
        async with httpx.AsyncClient(timeout=30) as client:
            created = await burst.create(client, burst.login_ids[0])
        assert created.status_code == 201, created.text
    finally:
        private.up()
    up = await eventually(lambda: _readiness(proc, 200), timeout=90)
    assert all(up["checks"].values()), up
    user_id = created.json()["user_id"]
    assert await user_created_on_kafka(infra, ns, org["org_id"]) == Counter({user_id: 1})


def _readiness(proc: ServiceProcess, status: int) -> dict[str, Any] | None:
    """``/readyz``'s answer if it has ``status``; each answer comes within its bound (the
    checks' own timeouts), Kafka or not."""
    answer = httpx.get(f"{proc.url}/readyz", timeout=10)
    if answer.status_code != status:
        return None
    body: dict[str, Any] = answer.json()
    if status == 503:
        assert_unavailable(answer)
    return body


async def test_nt_04_mailpit_stopped_mails_wait_and_arrive_once_when_it_returns(
    own: tuple[PrivateInfra, Infra], tmp_path: Path
) -> None:
    """Notify sends no mail while a request waits (every mail comes from an event), so an SMTP
    outage is no request's to answer: Mailpit's process is SIGKILLed, the mails of the events
    published meanwhile are retried with back-off, and each arrives once when it is back."""
    private, infra = own
    notify = ServiceProcess(
        "notify",
        infra,
        Namespace(),
        tmp_path,
        notify_private_key=PRIVATE_KEY,
        smtp_max_attempts="3",
        smtp_retry_base_seconds="0.05",
        smtp_retry_max_seconds="0.2",
    ).start()
    try:
        address = new_address("outage")
        cases = [otp(address) for _ in range(3)]
        prefix = notify.env["KAFKA_TOPIC_PREFIX"]
        private.down("mailpit")
        try:
            await publish(infra.kafka_bootstrap_servers, prefix, *(c.event for c in cases))
            await eventually(lambda: "smtp attempt failed" in notify.log_path.read_text())
        finally:
            private.up()
        mailpit = Mailpit(infra.mailpit_url)
        await eventually(lambda: len(mailpit.mails_to(address)) >= len(cases), timeout=60)
        assert sorted(str(m["Message-ID"]) for m in mailpit.mails_to(address)) == sorted(
            f"<{c.event.event_id}@nexi.example.jp>" for c in cases
        ), "each mail once"
    finally:
        notify.stop()


async def test_x_05_identity_stopped_enrolls_sign_up_answers_503_to_the_api_and_a_page_to_a_browser(
    services: Any,
) -> None:
    """Enroll asks identity to hold a sign-up's credential while the person waits (its one
    call between services). With identity's process SIGKILLed, the API answers the outage's
    503 problem, and the 新規登録 page the portal's page saying the same, with ``Retry-After``."""
    identity = services("identity")
    enroll = services("enroll", identity_url=identity.url, notify_public_key=NOTIFY_PUBLIC)
    identity.kill(signal.SIGKILL)
    email = f"outage-{uuid.uuid4().hex[:8]}@example.jp"
    typed = {"email": email, "email_confirmation": email, "password": "Kencom-Pass-2026"}

    consent = {"accept_terms": True, "accept_privacy": True}
    api = httpx.post(f"{enroll.url}/v1/realms/kencom/signups", json=typed | consent, timeout=30)
    assert_unavailable(api)

    csrf = secrets.token_urlsafe(32)
    shown = httpx.post(
        f"{enroll.url}/realms/kencom/signup",
        data=typed | {"csrf_token": csrf},
        cookies={"__Host-csrf": csrf},
        timeout=30,
    )
    draft = re.search(r'name="draft" value="([^"]+)"', shown.text)
    assert shown.status_code == 200 and draft is not None, "入力内容の確認 asks nobody"
    page = httpx.post(
        f"{enroll.url}/realms/kencom/signup/send",
        data={"draft": draft[1], "csrf_token": csrf, "accept_terms": "on", "accept_privacy": "on"},
        cookies={"__Host-csrf": csrf},
        timeout=30,
    )
    assert page.status_code == 503, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert int(page.headers["retry-after"]) > 0
    assert ProblemCode.SERVICE_UNAVAILABLE.title in page.text
    assert "kencom" in page.text, "kencom's portal"


def test_x_14_infra_stop_leaves_no_process_of_its_run_behind(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """``infra.sh stop`` ends every component it started (Jaeger was once left running,
    holding its ports for the next run): nothing whose command line names the run's folder
    is alive afterwards."""
    run_dir = tmp_path_factory.mktemp("stopped-infra")
    with private_infra(run_dir):
        pids = {name: int((run_dir / f"{name}.pid").read_text()) for name in COMPONENTS}
    left = {name: pid for name, pid in pids.items() if alive(pid)}
    assert not left, f"still running after infra.sh stop: {left}"
