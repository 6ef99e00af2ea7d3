"""Smoke check of the local infrastructure started by deploy/local/infra.sh.

Round-trips one Kafka record (aiokafka), one document (pymongo's AsyncMongoClient
against FerretDB) and one mail (smtplib into Mailpit, read back over its HTTP API).

    deploy/local/infra.sh start
    .venv/bin/python deploy/local/smoke.py [--env-file .cache/run/env] [--timeout 30]

Settings come from the environment (KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI, SMTP_HOST,
SMTP_PORT, MAILPIT_URL) and otherwise from the env file that `infra.sh start` writes
(default: $INFRA_RUN/env, else <repo>/.cache/run/env). Exit code 0 when all pass, 1 otherwise.
"""

from __future__ import annotations

import os
import sys

# Run as a script, Python puts deploy/local/ first on sys.path, where a sibling
# module (e.g. platform.py) would shadow the standard library module of that name.
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    del sys.path[0]

import argparse
import asyncio
import json
import smtplib
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
KEYS = ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "SMTP_HOST", "SMTP_PORT", "MAILPIT_URL")


def load_settings(env_file: Path) -> dict[str, str]:
    settings: dict[str, str] = {}
    if env_file.is_file():
        for line in env_file.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                settings[key.strip()] = value.strip()
    for key in KEYS:
        if os.environ.get(key):
            settings[key] = os.environ[key]
    missing = [key for key in KEYS if not settings.get(key)]
    if missing:
        raise SystemExit(
            f"smoke: missing {', '.join(missing)}; run deploy/local/infra.sh start or set them"
            f" (looked in {env_file})"
        )
    return settings


async def check_kafka(bootstrap: str, token: str) -> str:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient

    topic = f"smoke-{token}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, key=b"smoke", value=token.encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"smoke-{token}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async for record in consumer:
            if record.value == token.encode():
                await consumer.commit()
                break
        else:
            raise AssertionError("consumer ended without the produced record")
    finally:
        await consumer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()
    return f"topic {topic} partition {meta.partition} offset {meta.offset} (topic deleted)"


async def check_mongo(uri: str, token: str) -> str:
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, serverSelectionTimeoutMS=5000)
    try:
        collection = client["smoke"]["checks"]
        await collection.insert_one({"_id": token, "at": time.time()})
        found = await collection.find_one({"_id": token})
        assert found is not None and found["_id"] == token, f"find_one returned {found!r}"
        await collection.delete_one({"_id": token})
        info = await client.admin.command("buildInfo")
        return f"insert/find/delete ok (server reports version {info.get('version')})"
    finally:
        await client.close()


def http_json(method: str, url: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=5) as response:
        raw = response.read()
        assert response.status == 200, f"{method} {url}: HTTP {response.status}"
    return json.loads(raw) if raw.strip().startswith((b"{", b"[")) else raw.decode()


def check_mail(host: str, port: int, api: str, token: str, timeout: float) -> str:
    subject = f"smoke {token}"
    message = EmailMessage()
    message["From"] = "smoke@example.test"
    message["To"] = "someone@example.test"
    message["Subject"] = subject
    message.set_content(f"body {token}")
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.login("any-user", "any-password")  # Mailpit accepts any credentials
        smtp.send_message(message)

    deadline = time.monotonic() + timeout
    while True:
        listing = http_json("GET", f"{api}/api/v1/messages?limit=50")
        ids = [m["ID"] for m in listing.get("messages", []) if m.get("Subject") == subject]
        if ids:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"mail {subject!r} not listed by {api}/api/v1/messages")
        time.sleep(0.2)
    full = http_json("GET", f"{api}/api/v1/message/{ids[0]}")
    assert token in full.get("Text", ""), f"body of message {ids[0]} lacks the token"
    http_json("DELETE", f"{api}/api/v1/messages", {"IDs": ids})
    return f"sent, listed and read back message {ids[0]}"


async def run(settings: dict[str, str], timeout: float) -> bool:
    token = uuid.uuid4().hex[:12]

    def kafka() -> Awaitable[str]:
        return check_kafka(settings["KAFKA_BOOTSTRAP_SERVERS"], token)

    def mongodb() -> Awaitable[str]:
        return check_mongo(settings["MONGODB_URI"], token)

    def smtp() -> Awaitable[str]:
        api = settings["MAILPIT_URL"].rstrip("/")
        port = int(settings["SMTP_PORT"])
        return asyncio.to_thread(check_mail, settings["SMTP_HOST"], port, api, token, timeout)

    checks: dict[str, Callable[[], Awaitable[str]]] = {
        "kafka": kafka,
        "mongodb": mongodb,
        "smtp": smtp,
    }
    ok = True
    for name, check in checks.items():
        started = time.monotonic()
        try:
            detail = await asyncio.wait_for(check(), timeout)
        except Exception as exc:  # report every failure, then exit 1
            ok = False
            timed_out = isinstance(exc, TimeoutError)
            reason = f"timed out after {timeout:.0f}s" if timed_out else repr(exc)
            print(f"FAIL {name:8} {reason}", flush=True)
        else:
            print(f"ok   {name:8} {time.monotonic() - started:5.2f}s  {detail}", flush=True)
    return ok


def main() -> int:
    default_run = Path(os.environ.get("INFRA_RUN", REPO_ROOT / ".cache" / "run"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-file", type=Path, default=default_run / "env")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per check")
    args = parser.parse_args()
    settings = load_settings(args.env_file)
    return 0 if asyncio.run(run(settings, args.timeout)) else 1


if __name__ == "__main__":
    sys.exit(main())
