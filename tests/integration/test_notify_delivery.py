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
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from harness import Infra, Namespace, ServiceProcess, eventually
from mail_catchers import SmtpServer, announcements, new_address, publish, read_all, smtp_server
from mail_events import PRIVATE_KEY, otp, temporary_password
from pymongo import AsyncMongoClient

from contracts import Event, generate_keypair, seal

pytestmark = pytest.mark.integration


@dataclass
class Rig:
    """One test's notify process, its SMTP server, and what the test reads back."""

    services: Any
    server: SmtpServer
    infra: Infra
    ns: Namespace
    mongo: AsyncMongoClient[dict[str, Any]]

    def start(self, **settings: str) -> ServiceProcess:
        proc: ServiceProcess = self.services(
            "notify",
            notify_private_key=PRIVATE_KEY,
            smtp_host="127.0.0.1",
            smtp_port=str(self.server.port),
            smtp_max_attempts="3",
            smtp_retry_base_seconds="0.05",
            smtp_retry_max_seconds="0.2",
            **settings,
        )
        return proc

    async def publish(self, *events: Event | bytes, key: bytes = b"") -> None:
        await publish(self.infra.kafka_bootstrap_servers, self.ns.topic_prefix, *events, key=key)

    def mails_to(self, address: str) -> list[EmailMessage]:
        return self.server.catcher.to(address)

    async def outcome(self, event: Event, status: str) -> dict[str, Any]:
        """The delivery log's outcome of a mail, once it has one, with the status expected."""
        outcomes = self.mongo[self.ns.database("notify")]["delivery_outcomes"]
        found: dict[str, Any] = await eventually(
            lambda: outcomes.find_one({"_id": str(event.event_id)})
        )
        assert found["status"] == status
        return found

    async def dead_letters(self, count: int) -> list[Any]:
        return await read_all(
            self.infra.kafka_bootstrap_servers,
            self.ns.topic_prefix + "identity.events.dlq",
            until=lambda rs: len(rs) >= count,
        )

    async def dead_lettered(self, event: Event, reason: str) -> str:
        """The reason the event's dead-letter record gives; it must say ``reason``."""
        records = await read_all(
            self.infra.kafka_bootstrap_servers,
            self.ns.topic_prefix + "identity.events.dlq",
            until=lambda rs: any(_event_id(r) == str(event.event_id) for r in rs),
        )
        [record] = [r for r in records if _event_id(r) == str(event.event_id)]
        found = dict(record.headers)["x-dead-letter-reason"].decode()
        assert reason in found
        return found

    async def announced(self, event: Event) -> list[dict[str, Any]]:
        """``MailSent`` / ``MailFailed`` on notify.events about the event."""
        records = await read_all(
            self.infra.kafka_bootstrap_servers,
            self.ns.topic_prefix + "notify.events",
            until=lambda rs: bool(announcements(rs, str(event.event_id))),
        )
        return announcements(records, str(event.event_id))


def _event_id(record: Any) -> str:
    return str(json.loads(record.value)["event_id"])


@pytest.fixture
def rig(
    services: Any, infra: Infra, ns: Namespace, mongo: AsyncMongoClient[dict[str, Any]]
) -> Iterator[Rig]:
    with smtp_server() as server:
        yield Rig(services, server, infra, ns, mongo)


def message_ids(mails: list[EmailMessage]) -> list[str]:
    return [str(m["Message-ID"]) for m in mails]


async def test_nt_03_redelivered_event_sends_one_mail(rig: Rig) -> None:
    to = new_address()
    once, after = otp(to), otp(to)
    await rig.publish(once.event, once.event, key=b"one-partition")  # twins: one batch
    rig.start()
    await eventually(lambda: rig.mails_to(to))
    await rig.publish(once.event, after.event, key=b"one-partition")  # and a replay later
    # The later event follows the repeats on their partition: once it is mailed, they were seen.
    mails = await eventually(lambda: (m := rig.mails_to(to))[1:] and m)
    assert message_ids(mails) == [
        f"<{once.event.event_id}@nexi.example.jp>",
        f"<{after.event.event_id}@nexi.example.jp>",
    ]


async def test_nt_03_killed_after_smtp_accepted_the_resent_mail_has_the_same_message_id(
    rig: Rig,
) -> None:
    notify = rig.start()
    assert notify.proc is not None
    victim = notify.proc.pid

    def crash_once(_: EmailMessage) -> None:
        """The server has the mail; notify dies before it hears so, let alone records it."""
        if len(rig.server.catcher.mails) == 1:
            os.kill(victim, signal.SIGKILL)

    rig.server.catcher.on_accept = crash_once
    to = new_address()
    case = otp(to)
    await rig.publish(case.event)
    await eventually(lambda: notify.proc is not None and notify.proc.poll() is not None)
    log = rig.mongo[rig.ns.database("notify")]
    intent = await log["deliveries"].find_one({"_id": str(case.event.event_id)})
    assert intent is not None, "the intent was recorded before the mail was handed over"
    assert await log["delivery_outcomes"].find_one({"_id": intent["_id"]}) is None

    notify.start()
    mails = await eventually(lambda: (m := rig.mails_to(to))[1:] and m, timeout=90)
    assert message_ids(mails) == [f"<{case.event.event_id}@nexi.example.jp>"] * 2
    await rig.outcome(case.event, "sent")
    assert [a["type"] for a in await rig.announced(case.event)] == ["MailSent"]


async def test_nt_04_smtp_down_for_a_while_mails_arrive_after_it_returns_in_order_per_recipient(
    rig: Rig,
) -> None:
    notify = rig.start()
    rig.server.stop()
    alice, bob = new_address("alice"), new_address("bob")
    for_alice = [otp(alice) for _ in range(3)]
    for_bob = [temporary_password(bob) for _ in range(2)]
    await rig.publish(*(c.event for c in for_alice), key=b"alice")
    await rig.publish(*(c.event for c in for_bob), key=b"bob")
    await eventually(lambda: notify.log_path.read_text().count("smtp attempt failed") >= 6)
    assert rig.server.catcher.mails == []

    rig.server.start()
    await eventually(lambda: len(rig.server.catcher.mails) == 5, timeout=60)
    assert message_ids(rig.mails_to(alice)) == [
        f"<{c.event.event_id}@nexi.example.jp>" for c in for_alice
    ]
    assert message_ids(rig.mails_to(bob)) == [
        f"<{c.event.event_id}@mypage.example.jp>" for c in for_bob
    ]
    for case in for_alice + for_bob:
        await rig.outcome(case.event, "sent")


async def test_nt_04_a_permanent_refusal_is_dead_lettered_with_mail_failed_and_the_next_flows(
    rig: Rig,
) -> None:
    rig.start()
    refused, fine = new_address("refused"), new_address("fine")
    bad, good = otp(refused), otp(fine)
    await rig.publish(bad.event, good.event, key=b"same")
    await eventually(lambda: rig.mails_to(fine))
    assert rig.server.catcher.tries[refused] == 1, "a 5xx is final: no retry"

    assert (await rig.outcome(bad.event, "failed"))["reason"].startswith("550")
    await rig.dead_lettered(bad.event, "550 5.1.1 mailbox unavailable")
    [said] = await rig.announced(bad.event)
    assert (said["type"], said["attempts"]) == ("MailFailed", 1)
    assert said["reason"].startswith("550") and refused not in json.dumps(said)


async def test_nt_04_a_temporary_refusal_is_retried_with_back_off_then_dead_lettered(
    rig: Rig,
) -> None:
    rig.start()
    busy, flaky = new_address("busy"), new_address("flaky")
    never, later = otp(busy), otp(flaky)
    await rig.publish(never.event, later.event)

    await eventually(lambda: rig.mails_to(flaky))
    assert (await rig.outcome(later.event, "sent"))["attempts"] == 3
    failed = await rig.outcome(never.event, "failed")
    assert failed["attempts"] == 3 == rig.server.catcher.tries[busy]
    assert failed["reason"] == "gave up after 3 attempts: 451 4.2.1 mailbox busy, try later"
    await rig.dead_lettered(never.event, "gave up after 3 attempts")
    assert [a["type"] for a in await rig.announced(never.event)] == ["MailFailed"]


async def test_nt_04_a_template_that_does_not_render_is_dead_lettered_with_the_reason(
    rig: Rig, tmp_path: Path
) -> None:
    broken = tmp_path / "templates" / "ja" / "default"
    broken.mkdir(parents=True)
    (broken / "otp.txt.j2").write_text("{{ code }} {{ no_such_fact }}\n")
    rig.start(mail_templates_dir=str(tmp_path / "templates"))
    to = new_address()
    bad, good = otp(to), temporary_password(to)
    await rig.publish(bad.event, good.event, key=b"k")

    await eventually(lambda: rig.mails_to(to))
    assert [m["Subject"] for m in rig.mails_to(to)] == [
        "【県民共済 My Page】仮パスワードのお知らせ"
    ]
    reason = await rig.dead_lettered(bad.event, "does not render")
    assert "no_such_fact" in reason
    [code] = bad.secrets
    assert code not in reason


async def test_nt_04_a_malformed_event_is_dead_lettered_with_the_reason_and_the_next_flows(
    rig: Rig,
) -> None:
    notify = rig.start()
    to = new_address()
    plain = otp(to)
    [code] = plain.secrets
    unsealed = json.loads(plain.event.to_json()) | {"sealed_code": code}  # a producer's bug
    good = otp(to)
    await rig.publish(
        b'{"type": "OtpIssued", "realm": "nexi"}',
        json.dumps(unsealed).encode(),
        good.event,
        key=b"k",
    )
    await eventually(lambda: rig.mails_to(to))
    assert message_ids(rig.mails_to(to)) == [f"<{good.event.event_id}@nexi.example.jp>"]
    reasons = [dict(r.headers)["x-dead-letter-reason"].decode() for r in await rig.dead_letters(2)]
    assert len(reasons) == 2 and all(r.startswith("ValidationError") for r in reasons)
    assert code not in "".join(reasons) + notify.log_path.read_text()


async def test_nt_05_a_secret_sealed_to_another_key_is_dead_lettered_unopened(rig: Rig) -> None:
    notify = rig.start()
    stranger, _ = generate_keypair()
    case = otp(new_address())
    wrong = case.event.model_copy(update={"sealed_code": seal("654321", stranger)})
    await rig.publish(wrong)
    reason = await rig.dead_lettered(wrong, "does not open")
    assert "654321" not in reason + notify.log_path.read_text()
    assert rig.server.catcher.mails == []
