"""Notify's delivery under trouble, on real SMTP servers that fail on demand (NT-03, NT-04).

Each test starts its own notify process against an aiosmtpd server it controls: a redelivered
event, a crash after the server accepted the mail, a server that is down for a while, a
recipient refused for now or for good, a template that does not render, a malformed event.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from harness import Infra, Namespace, ServiceProcess, eventually
from mail_catchers import (
    SmtpServer,
    announcements,
    new_address,
    publish,
    read_all,
    smtp_server,
)
from mail_events import PRIVATE_KEY, otp, temporary_password
from pymongo import AsyncMongoClient

from contracts import generate_keypair, seal

pytestmark = pytest.mark.integration

FAST_RETRIES = {"smtp_retry_base_seconds": "0.05", "smtp_retry_max_seconds": "0.2"}


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with smtp_server() as started:
        yield started


def start_notify(services: Any, server: SmtpServer, **settings: str) -> ServiceProcess:
    proc: ServiceProcess = services(
        "notify",
        notify_private_key=PRIVATE_KEY,
        smtp_host="127.0.0.1",
        smtp_port=str(server.port),
        smtp_max_attempts="3",
        **FAST_RETRIES,
        **settings,
    )
    return proc


def message_ids(mails: list[EmailMessage]) -> list[str]:
    return [str(m["Message-ID"]) for m in mails]


async def delivery(mongo: Any, ns: Namespace, event_id: str, status: str) -> dict[str, Any]:
    """The delivery log's outcome of a mail, once it has one, with the status expected."""
    outcomes = mongo[ns.database("notify")]["delivery_outcomes"]
    found: dict[str, Any] = await eventually(lambda: outcomes.find_one({"_id": event_id}))
    assert found["status"] == status
    return found


async def test_nt_03_redelivered_event_sends_one_mail(
    services: Any, server: SmtpServer, infra: Infra, ns: Namespace
) -> None:
    start_notify(services, server)
    to = new_address()
    once, after = otp(to), otp(to)
    key = b"one-partition"
    await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, once.event, key=key)
    await eventually(lambda: server.catcher.to(to))
    await publish(
        infra.kafka_bootstrap_servers, ns.topic_prefix, once.event, once.event, after.event, key=key
    )
    # The later event follows the repeats on their partition: once it is mailed, they were seen.
    mails = await eventually(lambda: (m := server.catcher.to(to))[1:] and m)
    assert message_ids(mails) == [
        f"<{once.event.event_id}@nexi.example.jp>",
        f"<{after.event.event_id}@nexi.example.jp>",
    ]


async def test_nt_03_killed_after_smtp_accepted_the_resent_mail_has_the_same_message_id(
    services: Any,
    server: SmtpServer,
    infra: Infra,
    ns: Namespace,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    notify = start_notify(services, server)
    assert notify.proc is not None
    victim = notify.proc.pid

    def crash_once(_: EmailMessage) -> None:
        """The server has the mail; notify dies before it hears so, let alone records it."""
        if len(server.catcher.mails) == 1:
            os.kill(victim, signal.SIGKILL)

    server.catcher.on_accept = crash_once
    to = new_address()
    case = otp(to)
    await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, case.event)
    await eventually(lambda: notify.proc is not None and notify.proc.poll() is not None)
    log = mongo[ns.database("notify")]
    intent = await log["deliveries"].find_one({"_id": str(case.event.event_id)})
    assert intent is not None, "the intent was recorded before the mail was handed over"
    assert await log["delivery_outcomes"].find_one({"_id": intent["_id"]}) is None

    notify.start()
    mails = await eventually(lambda: (m := server.catcher.to(to))[1:] and m, timeout=90)
    assert len(mails) == 2
    assert (
        mails[0]["Message-ID"]
        == mails[1]["Message-ID"]
        == f"<{case.event.event_id}@nexi.example.jp>"
    )
    await delivery(mongo, ns, str(case.event.event_id), "sent")
    records = await read_all(
        infra.kafka_bootstrap_servers,
        ns.topic_prefix + "notify.events",
        until=lambda rs: bool(announcements(rs, str(case.event.event_id))),
    )
    [sent] = announcements(records, str(case.event.event_id))
    assert sent["type"] == "MailSent"


async def test_nt_04_smtp_down_for_a_while_mails_arrive_after_it_returns_in_order_per_recipient(
    services: Any,
    server: SmtpServer,
    infra: Infra,
    ns: Namespace,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    notify = start_notify(services, server)
    server.stop()
    alice, bob = new_address("alice"), new_address("bob")
    for_alice = [otp(alice) for _ in range(3)]
    for_bob = [temporary_password(bob) for _ in range(2)]
    await publish(
        infra.kafka_bootstrap_servers,
        ns.topic_prefix,
        *(c.event for c in for_alice),
        key=b"alice",
    )
    await publish(
        infra.kafka_bootstrap_servers, ns.topic_prefix, *(c.event for c in for_bob), key=b"bob"
    )
    await eventually(lambda: notify.log_path.read_text().count("smtp attempt failed") >= 6)
    assert server.catcher.mails == []

    server.start()
    await eventually(lambda: len(server.catcher.mails) == 5, timeout=60)
    assert message_ids(server.catcher.to(alice)) == [
        f"<{c.event.event_id}@nexi.example.jp>" for c in for_alice
    ]
    assert message_ids(server.catcher.to(bob)) == [
        f"<{c.event.event_id}@mypage.example.jp>" for c in for_bob
    ]
    for case in for_alice + for_bob:
        await delivery(mongo, ns, str(case.event.event_id), "sent")
    assert "MailFailed" not in notify.log_path.read_text()


async def test_nt_04_a_permanent_refusal_is_dead_lettered_with_mail_failed_and_the_next_flows(
    services: Any,
    server: SmtpServer,
    infra: Infra,
    ns: Namespace,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    start_notify(services, server)
    refused, fine = new_address("refused"), new_address("fine")
    bad, good = otp(refused), otp(fine)
    await publish(
        infra.kafka_bootstrap_servers, ns.topic_prefix, bad.event, good.event, key=b"same"
    )
    await eventually(lambda: server.catcher.to(fine))
    assert server.catcher.tries[refused] == 1, "a 5xx is final: no retry"

    failed = await delivery(mongo, ns, str(bad.event.event_id), "failed")
    assert failed["reason"].startswith("550")
    await _dead_lettered(infra, ns, bad.event.event_id, "550 5.1.1 mailbox unavailable")
    said = await _announced(infra, ns, bad.event.event_id)
    assert (said["type"], said["attempts"]) == ("MailFailed", 1)
    assert said["reason"].startswith("550") and refused not in json.dumps(said)


async def test_nt_04_a_temporary_refusal_is_retried_with_back_off_then_dead_lettered(
    services: Any,
    server: SmtpServer,
    infra: Infra,
    ns: Namespace,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    start_notify(services, server)
    busy, flaky = new_address("busy"), new_address("flaky")
    never, later = otp(busy), otp(flaky)
    await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, never.event, later.event)

    await eventually(lambda: server.catcher.to(flaky))
    assert (await delivery(mongo, ns, str(later.event.event_id), "sent"))["attempts"] == 3
    failed = await delivery(mongo, ns, str(never.event.event_id), "failed")
    assert failed["attempts"] == 3 == server.catcher.tries[busy]
    assert failed["reason"] == "gave up after 3 attempts: 451 4.2.1 mailbox busy, try later"
    await _dead_lettered(infra, ns, never.event.event_id, "gave up after 3 attempts")
    assert (await _announced(infra, ns, never.event.event_id))["type"] == "MailFailed"


async def test_nt_04_a_template_that_does_not_render_is_dead_lettered_with_the_reason(
    services: Any,
    server: SmtpServer,
    infra: Infra,
    ns: Namespace,
    tmp_path: Path,
) -> None:
    broken = tmp_path / "templates" / "ja" / "default"
    broken.mkdir(parents=True)
    (broken / "otp.txt.j2").write_text("{{ code }} {{ no_such_fact }}\n")
    start_notify(services, server, mail_templates_dir=str(tmp_path / "templates"))
    to = new_address()
    bad, good = otp(to), temporary_password(to)
    await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, bad.event, good.event, key=b"k")

    await eventually(lambda: server.catcher.to(to))
    assert [m["Subject"] for m in server.catcher.to(to)] == [
        "【県民共済 My Page】仮パスワードのお知らせ"
    ]
    reason = await _dead_lettered(infra, ns, bad.event.event_id, "does not render")
    assert "no_such_fact" in reason
    [code] = bad.secrets
    assert code not in reason


async def test_nt_04_a_malformed_event_is_dead_lettered_with_the_reason_and_the_next_flows(
    services: Any, server: SmtpServer, infra: Infra, ns: Namespace
) -> None:
    notify = start_notify(services, server)
    to = new_address()
    plain = otp(to)
    [code] = plain.secrets
    unsealed = json.loads(plain.event.to_json()) | {"sealed_code": code}  # a producer's bug
    good = otp(to)
    await publish(
        infra.kafka_bootstrap_servers,
        ns.topic_prefix,
        b'{"type": "OtpIssued", "realm": "nexi"}',
        json.dumps(unsealed).encode(),
        good.event,
        key=b"k",
    )
    await eventually(lambda: server.catcher.to(to))
    assert message_ids(server.catcher.to(to)) == [f"<{good.event.event_id}@nexi.example.jp>"]
    dead = await read_all(
        infra.kafka_bootstrap_servers,
        ns.topic_prefix + "identity.events.dlq",
        until=lambda rs: len(rs) >= 2,
    )
    reasons = [dict(r.headers)["x-dead-letter-reason"].decode() for r in dead]
    assert all(r.startswith("ValidationError") for r in reasons) and len(reasons) == 2
    assert code not in "".join(reasons) + notify.log_path.read_text()


async def test_nt_05_a_secret_sealed_to_another_key_is_dead_lettered_unopened(
    services: Any, server: SmtpServer, infra: Infra, ns: Namespace
) -> None:
    notify = start_notify(services, server)
    to = new_address()
    stranger, _ = generate_keypair()
    case = otp(to)
    wrong = case.event.model_copy(update={"sealed_code": seal("654321", stranger)})
    await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, wrong)
    reason = await _dead_lettered(infra, ns, wrong.event_id, "does not open")
    assert "654321" not in reason + notify.log_path.read_text()
    assert server.catcher.mails == []


async def _dead_lettered(infra: Infra, ns: Namespace, event_id: Any, reason: str) -> str:
    """The dead-letter record of an event, with a reason that says ``reason``."""
    records = await read_all(
        infra.kafka_bootstrap_servers,
        ns.topic_prefix + "identity.events.dlq",
        until=lambda rs: any(json.loads(r.value)["event_id"] == str(event_id) for r in rs),
    )
    [record] = [r for r in records if json.loads(r.value)["event_id"] == str(event_id)]
    found = dict(record.headers)["x-dead-letter-reason"].decode()
    assert reason in found
    return found


async def _announced(infra: Infra, ns: Namespace, event_id: Any) -> dict[str, Any]:
    records = await read_all(
        infra.kafka_bootstrap_servers,
        ns.topic_prefix + "notify.events",
        until=lambda rs: bool(announcements(rs, str(event_id))),
    )
    [said] = announcements(records, str(event_id))
    return said
