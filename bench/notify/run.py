"""bench/notify: mails per second from events on Kafka into the SMTP catcher (Mailpit).

Ours: N ``OtpIssued`` events (codes sealed to notify, 1,000 recipients) are put on Kafka while a
notify process consumes them: it records each intent in its delivery log, opens the secret,
renders the templates, sends over its SMTP pool, announces ``MailSent`` and records the outcome.
Measured from the first event published until Mailpit has accepted all N mails, after one
warm-up mail has shown that notify's consumer has joined its group.

Baseline, in the same run against the same Mailpit: the same N mails, composed beforehand,
sent directly with aiosmtplib over the same bounded pool (notify's ``SmtpPool``, same size) as
fast as it goes. The ratio is ours / baseline (goal: at least 0.7).

    .venv/bin/python bench/notify/run.py [--events 10000] [--pool 16]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib
import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the tests' infrastructure discovery and process harness
sys.path.insert(0, str(REPO / "bench"))

import psutil  # noqa: E402
from benchkit import CommandsPerOperation, CpuTime, infra_processes, summarise  # noqa: E402
from harness import Infra, Namespace, ServiceProcess, provide_infra  # noqa: E402

from contracts import Actor, OtpIssued, generate_keypair, seal  # noqa: E402
from servicekit.publish import make_producer  # noqa: E402
from services.notify.domain.mails import order_for  # noqa: E402
from services.notify.domain.realms import RealmDirectory  # noqa: E402
from services.notify.usecases.mail.letters import Composer  # noqa: E402
from services.notify.usecases.mail.rendering import Renderer  # noqa: E402
from services.notify.usecases.mail.smtp import SmtpPool  # noqa: E402

RECIPIENTS = 1000
PUBLISH_BATCH = 1000


def make_events(n: int, public_key: str) -> list[OtpIssued]:
    now = datetime.now(UTC)
    return [
        OtpIssued(
            occurred_at=now,
            realm="nexi",
            org_id="org-bench",
            subject_id=f"user-{i % RECIPIENTS}",
            actor=Actor.system(),
            correlation_id=uuid.uuid4().hex,
            recipient_email=f"bench-{i % RECIPIENTS}@example.jp",
            sealed_code=seal(f"{i % 1_000_000:06d}", public_key),
            expires_at=now + timedelta(minutes=10),
            max_attempts=2,
        )
        for i in range(n)
    ]


async def accepted(mailpit_url: str) -> int:
    """Mails Mailpit has accepted since it started (its own counter: it prunes stored mail)."""
    async with httpx.AsyncClient() as client:
        info = (await client.get(f"{mailpit_url}/api/v1/info")).json()
    return int(info["RuntimeStats"]["SMTPAccepted"])


async def wait_accepted(mailpit_url: str, target: int, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while (done := await accepted(mailpit_url)) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"Mailpit accepted {done} of {target}")
        await asyncio.sleep(0.05)


def pool_for(infra: Infra, size: int) -> SmtpPool:
    return SmtpPool(lambda: aiosmtplib.SMTP(hostname=infra.smtp_host, port=infra.smtp_port), size)


def per_mail(spent: dict[str, float], n: int) -> str:
    """CPU milliseconds per mail, by process: where each side's time goes."""
    return ", ".join(f"{name} {seconds / n * 1000:.2f}" for name, seconds in spent.items())


async def baseline(
    infra: Infra, events: list[OtpIssued], private_key: str, size: int
) -> tuple[float, str]:
    """The same mails, composed beforehand, straight over the same pool."""
    composer = Composer(RealmDirectory({}, {}), Renderer(), private_key)
    now = datetime.now(UTC)
    letters = []
    for event in events:
        order = order_for(event)
        assert order is not None
        letters.append(composer.compose(order, now))
    pool = pool_for(infra, size)
    before = await accepted(infra.mailpit_url)
    cpu = CpuTime({"sender": psutil.Process(), **infra_processes(infra)})
    started = time.perf_counter()
    cpu.start()
    await asyncio.gather(*(pool.send(x.sender, x.recipient, x.data) for x in letters))
    await wait_accepted(infra.mailpit_url, before + len(letters))
    elapsed = time.perf_counter() - started
    spent = cpu.stop()
    await pool.close()
    return len(letters) / elapsed, per_mail(spent, len(letters))


async def ours(
    infra: Infra, events: list[OtpIssued], private_key: str, size: int, log_dir: Path
) -> tuple[float, str, float]:
    ns = Namespace()
    notify = ServiceProcess(
        "notify",
        infra,
        ns,
        log_dir,
        log_level="WARNING",
        notify_private_key=private_key,
        smtp_pool_size=str(size),
    ).start()
    producer = make_producer(infra.kafka_bootstrap_servers, "bench-notify")
    await producer.start()
    try:
        topic = ns.topic_prefix + OtpIssued.topic
        warm_up, *events = events
        before = await accepted(infra.mailpit_url)
        await producer.send_and_wait(topic, warm_up.to_json(), key=warm_up.key())
        await wait_accepted(infra.mailpit_url, before + 1)  # the consumer has joined its group
        before += 1
        assert notify.proc is not None
        cpu = CpuTime(
            {
                "notify": psutil.Process(notify.proc.pid),
                "publisher": psutil.Process(),
                **infra_processes(infra),
            }
        )
        counted = CommandsPerOperation(notify.url).__enter__()
        started = time.perf_counter()
        cpu.start()
        for i in range(0, len(events), PUBLISH_BATCH):
            futures = [
                await producer.send(topic, e.to_json(), key=e.key())
                for e in events[i : i + PUBLISH_BATCH]
            ]
            await asyncio.gather(*futures)
        await wait_accepted(infra.mailpit_url, before + len(events))
        elapsed = time.perf_counter() - started
        spent = cpu.stop()
        await asyncio.sleep(1)  # the delivery log's last marks after the mails went
        counted.__exit__()
    finally:
        await producer.stop()
        notify.stop()
    return len(events) / elapsed, per_mail(spent, len(events)), counted.per(len(events))


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--pool", type=int, default=16, help="SMTP connections, both sides")
    args = parser.parse_args()
    public_key, private_key = generate_keypair()
    events = make_events(args.events, public_key)
    with provide_infra() as infra, tempfile.TemporaryDirectory() as tmp:
        print(f"infrastructure: {infra.source}; events: {args.events:,}; pool: {args.pool}")
        base, base_cpu = await baseline(infra, events, private_key, args.pool)
        print(f"baseline  composed mails -> aiosmtplib pool -> Mailpit:  {base:8,.0f} mails/s")
        rate, our_cpu, commands = await ours(infra, events, private_key, args.pool, Path(tmp))
        print(f"notify    Kafka -> notify (log, unseal, render) -> Mailpit: {rate:8,.0f} mails/s")
        print(f"ratio     {rate / base:.2f}  (goal >= 0.70)")
        print(f"database commands per mail: {commands:.2f} (goal <= 1)")
        summarise(
            "notify",
            "mails/s, OtpIssued → Mailpit",
            f"{rate:,.0f}/s; {commands:.2f} commands a mail (goal ≤ 1)",
            baseline=f"composed mails over the same pool {base:,.0f}/s",
            ratio=rate / base,
            goal="≥ 0.70",
            met=rate / base >= 0.7,
        )
        print(f"CPU ms per mail, baseline: {base_cpu}")
        print(f"CPU ms per mail, notify:   {our_cpu}")


if __name__ == "__main__":
    asyncio.run(main())
