"""What the tests share: the real infrastructure, per-test namespaces, and service processes.

Infrastructure is found in this order (issue 3):
1. environment variables pointing at running servers (``KAFKA_BOOTSTRAP_SERVERS`` and
   ``MONGODB_URI``, plus ``SMTP_HOST``/``SMTP_PORT``/``MAILPIT_URL`` for mail);
2. a reachable Docker engine: testcontainers with the official images;
3. otherwise ``deploy/local/infra.sh``, started once per test session on its own ports and run
   directory, and stopped at the end.
Each test then gets its own topic prefix and database names, so tests never see each other.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
INFRA_SCRIPT = REPO / "deploy" / "local" / "infra.sh"
TEST_RUN_DIR = REPO / ".cache" / "test-run"

#: Ports of the session's own local infrastructure, away from ``make up``'s defaults.
TEST_PORTS = {
    "INFRA_KAFKA_PORT": "29092",
    "INFRA_KAFKA_CONTROLLER_PORT": "29093",
    "INFRA_FERRETDB_PORT": "27217",
    "INFRA_MAILPIT_SMTP_PORT": "21025",
    "INFRA_MAILPIT_HTTP_PORT": "28025",
    "INFRA_JAEGER_OTLP_PORT": "24318",
    "INFRA_JAEGER_QUERY_PORT": "26696",
    "INFRA_JAEGER_QUERY_GRPC_PORT": "26695",
    "INFRA_JAEGER_HEALTH_PORT": "23143",
}


#: The bearer with which tests open organisations, as the back-office system does (identity's
#: ``PROVISIONING_TOKEN``); made per session, so it is nobody's secret.
PROVISIONING_TOKEN = f"test-provisioning-{uuid.uuid4().hex}"
PROVISIONING = {"Authorization": f"Bearer {PROVISIONING_TOKEN}"}

#: The bearer with which enroll hands identity a sign-up's credential (both services'
#: ``ENROLMENT_TOKEN``); made per session like the provisioning token.
ENROLMENT_TOKEN = f"test-enrolment-{uuid.uuid4().hex}"

#: The passphrase that encrypts a test CA's keys at rest (certs' ``CA_KEY_PASSPHRASE``, CT-11);
#: made per session, so it is nobody's secret.
CA_KEY_PASSPHRASE = f"test-ca-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap_servers: str
    mongodb_uri: str
    smtp_host: str
    smtp_port: int
    mailpit_url: str
    source: str
    jaeger_url: str = ""
    """Jaeger's query API and UI, where the infrastructure has one (X-20)."""
    otlp_endpoint: str = ""
    """Where a service sends its spans to that Jaeger (OTLP/HTTP); tests name it when they
    read a trace back: by default the services export nothing."""

    def env(self) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "MONGODB_URI": self.mongodb_uri,
            "SMTP_HOST": self.smtp_host,
            "SMTP_PORT": str(self.smtp_port),
            "MAILPIT_URL": self.mailpit_url,
        }


def infra_from_environment() -> Infra | None:
    kafka, mongo = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("MONGODB_URI")
    if not (kafka and mongo):
        return None
    return Infra(
        kafka,
        mongo,
        os.environ.get("SMTP_HOST", "127.0.0.1"),
        int(os.environ.get("SMTP_PORT", "1025")),
        os.environ.get("MAILPIT_URL", "http://127.0.0.1:8025"),
        source="environment",
        jaeger_url=os.environ.get("JAEGER_URL", ""),
        otlp_endpoint=os.environ.get("JAEGER_OTLP_ENDPOINT", ""),
    )


def docker_engine_reachable() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        return bool(docker.from_env(timeout=3).ping())
    except Exception:
        return False


@contextmanager
def infra_from_testcontainers() -> Iterator[Infra]:
    from testcontainers.core.container import DockerContainer  # type: ignore[import-untyped]
    from testcontainers.kafka import KafkaContainer  # type: ignore[import-untyped]
    from testcontainers.mongodb import MongoDbContainer  # type: ignore[import-untyped]

    with (
        KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka,
        MongoDbContainer("mongo:7") as mongo,
        DockerContainer("axllent/mailpit:v1.27.11").with_exposed_ports(1025, 8025) as mailpit,
        DockerContainer("jaegertracing/jaeger:2.12.0").with_exposed_ports(4318, 16686) as jaeger,
    ):
        host = mailpit.get_container_host_ip()
        yield Infra(
            kafka.get_bootstrap_server(),
            mongo.get_connection_url(),
            host,
            int(mailpit.get_exposed_port(1025)),
            f"http://{host}:{mailpit.get_exposed_port(8025)}",
            source="testcontainers",
            jaeger_url=f"http://{host}:{jaeger.get_exposed_port(16686)}",
            otlp_endpoint=f"http://{host}:{jaeger.get_exposed_port(4318)}",
        )


@contextmanager
def infra_from_local_scripts() -> Iterator[Infra]:
    env = {**os.environ, **TEST_PORTS, "INFRA_RUN": str(TEST_RUN_DIR)}
    subprocess.run(["bash", str(INFRA_SCRIPT), "clean"], env=env, check=False)
    started = subprocess.run(
        ["bash", str(INFRA_SCRIPT), "start"], env=env, capture_output=True, text=True
    )
    if started.returncode != 0:
        raise RuntimeError(
            f"deploy/local/infra.sh start failed:\n{started.stderr}\n{started.stdout}"
        )
    values = dict(
        line.split("=", 1)
        for line in (TEST_RUN_DIR / "env").read_text().splitlines()
        if "=" in line
    )
    try:
        yield Infra(
            values["KAFKA_BOOTSTRAP_SERVERS"],
            values["MONGODB_URI"],
            values["SMTP_HOST"],
            int(values["SMTP_PORT"]),
            values["MAILPIT_URL"],
            source="deploy/local",
            jaeger_url=values["JAEGER_URL"],
            otlp_endpoint=values["JAEGER_OTLP_ENDPOINT"],
        )
    finally:
        subprocess.run(["bash", str(INFRA_SCRIPT), "stop"], env=env, check=False)


@contextmanager
def provide_infra() -> Iterator[Infra]:
    found = infra_from_environment()
    if found is not None:
        yield found
    elif docker_engine_reachable():
        with infra_from_testcontainers() as infra:
            yield infra
    else:
        with infra_from_local_scripts() as infra:
            yield infra


@dataclass(frozen=True)
class Namespace:
    """One test's private slice of the shared infrastructure."""

    name: str = field(default_factory=lambda: "t" + uuid.uuid4().hex[:10])

    @property
    def topic_prefix(self) -> str:
        return f"{self.name}."

    def database(self, service: str) -> str:
        return f"{self.name}_{service}"


def no_cookie_jar(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """``client`` keeps no cookie: for a harness whose one client speaks for several people,
    each with a bearer. A kept session cookie would be sent with the next person's login, which
    ends the session it names (ASVS 5.0 7.2.4), as a browser's would; ``response.cookies``
    still reads what each answer sets."""
    client.cookies.jar.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    """A service started as ``python -m services.<name>``, as in production, with its own log."""

    def __init__(
        self, service: str, infra: Infra, ns: Namespace, log_dir: Path, **settings: str
    ) -> None:
        self.service = service
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{service}-{self.port}.log"
        self.env = {
            **os.environ,
            **infra.env(),
            "SERVICE_NAME": service,
            "HTTP_PORT": str(self.port),
            "KAFKA_TOPIC_PREFIX": ns.topic_prefix,
            "MONGODB_DATABASE": ns.database(service),
            "OUTBOX_POLL_SECONDS": "0.2",
            "PROVISIONING_TOKEN": PROVISIONING_TOKEN,
            "ENROLMENT_TOKEN": ENROLMENT_TOKEN,
            "CA_KEY_PASSPHRASE": CA_KEY_PASSPHRASE,
            **{k.upper(): v for k, v in settings.items()},
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> ServiceProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.service}"],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.service} exited early:\n{self.log_tail()}")
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            time.sleep(0.2)
        raise TimeoutError(f"{self.service} not ready in {timeout}s:\n{self.log_tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


async def eventually(
    probe: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.1
) -> Any:
    """Poll ``probe`` (sync or async) until it returns a truthy value; fail after ``timeout``.

    Waiting for an asynchronous effect (a consumer catching up) is not sleeping to let time
    pass: the clock of the system under test is never moved this way.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


async def read_topic(bootstrap: str, topic: str, count: int, *, timeout: float = 30.0) -> list[Any]:
    """Read ``count`` records of ``topic`` from the beginning (raw aiokafka, no consumer group)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        while len(records) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()
    return records


@contextmanager
def running_service(
    service: str, infra: Infra, log_dir: Path, **settings: str
) -> Iterator[tuple[ServiceProcess, Namespace]]:
    """One service process in its own namespace for a group of tests; stopped afterwards."""
    ns = Namespace()
    proc = ServiceProcess(service, infra, ns, log_dir, **settings).start()
    try:
        yield proc, ns
    finally:
        proc.stop()
