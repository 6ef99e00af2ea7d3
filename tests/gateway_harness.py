"""The gateway for the tests: real nginx from ``deploy/local/gateway.py`` on free ports and a
folder of the test's own, real curl and openssl as clients, and an upstream that echoes the
headers it receives, so a test can see exactly what a service would be told. Also kihonet's
renewal screen behind it (``certs_behind_gateway``), which curl and Chromium both walk."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import uvicorn
from certs_portal import Holder, csr_of, new_key, new_user_id, pem_of, settings_for
from cryptography.hazmat.primitives import serialization
from harness import PROVISIONING, REPO, Infra, free_port, running_service

from servicekit.clock import ManualClock, SystemClock
from services.certs.app import create_app

GATEWAY_SECRET = "test-gateway-secret"


def gateway_module() -> ModuleType:
    """``deploy/local/gateway.py`` (a script's folder, not a package), loaded once."""
    if "gateway" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "gateway", REPO / "deploy" / "local" / "gateway.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["gateway"] = module
        spec.loader.exec_module(module)
    return sys.modules["gateway"]


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with the headers it received, as JSON."""

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _echo

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@contextmanager
def echo_server() -> Iterator[str]:
    """An upstream on a free port; yields its host:port."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def running_gateway(
    run_dir: Path,
    upstreams: dict[str, str],
    credential_rate: str = "10r/m",
    ca_from: str | None = None,
) -> Iterator[Any]:
    """nginx on two free ports (the portals', and kihonet's with mTLS), stopped afterwards;
    ``credential_rate`` is GW-04's limit per address (the browser tests log in more often);
    ``ca_from`` the certs asked for the client CA and OCSP, if not the upstream."""
    module = gateway_module()
    gateway = module.Gateway(
        run_dir, free_port(), free_port(), upstreams, GATEWAY_SECRET, credential_rate,
        ca_from=ca_from,
    )  # fmt: skip
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


def curl(gateway: Any, url: str, *args: str) -> tuple[int, dict[str, str], str]:
    """One request with curl, trusting the gateway's local CA: status, headers, body."""
    done = subprocess.run(
        ["curl", "-sS", "-i", "--max-time", "20", "--cacert", str(gateway.trust_file), *args, url],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return 0, {}, done.stderr
    head, _, body = done.stdout.replace("\r\n", "\n").partition("\n\n")
    lines = head.splitlines()
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def issued_files(gateway: Any, certs_url: str, tmp: Path) -> tuple[dict[str, Any], list[str]]:
    """A certificate issued through the gateway (its notice recorded at ``certs_url``), and
    curl's arguments to present it."""
    holder = Holder(new_user_id())
    notice = httpx.post(
        f"{certs_url}/v1/realms/kihonet/notices",
        json={
            "kihonet_code": holder.kihonet_code,
            "management_number": holder.management_number,
            "user_id": holder.user_id,
        },
        headers=PROVISIONING,
        timeout=30,
    )
    holder.year = notice.json()["year"]
    key = new_key()
    body = json.dumps(holder.fields() | {"csr": pem_of(csr_of(key))})
    status, _, answer = curl(
        gateway,
        f"{gateway.url}/v1/realms/kihonet/certificates",
        "-X", "POST", "-H", "content-type: application/json", "--data", body,
    )  # fmt: skip
    assert status == 201, answer
    issued: dict[str, Any] = json.loads(answer)
    name = uuid.uuid4().hex[:8]
    (tmp / f"{name}.pem").write_text(issued["certificate"])
    (tmp / f"{name}.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return issued, ["--cert", str(tmp / f"{name}.pem"), "--key", str(tmp / f"{name}.key")]


@dataclass(frozen=True)
class CertsBehindGateway:
    """kihonet's renewal screen behind the real gateway (WEB-01, CT-05).

    Certs runs twice on one namespace (one database, one CA): a process on the real time,
    which the gateway asks for its client CA and OCSP, and an app in the test's process with a
    clock the test moves into the renewal window (never sleeping), which the gateway routes the
    pages to. Moving OCSP's clock years ahead would make nginx refuse its answers as not yet
    valid."""

    gateway: Any
    certs_url: str
    """The certs process (real time): notices are recorded there."""
    screen_url: str
    """The test's certs, whose clock the test moves."""
    clock: ManualClock
    app: Any
    """The test's certs app, whose CA key a test may borrow (as only a thief could)."""


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` on a free port in a thread (its own event loop and lifespan); its host:port."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:  # waiting for a start, not for time to pass
        assert thread.is_alive() and time.monotonic() < deadline, "certs did not start"
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def certs_behind_gateway(infra: Infra, logs: Path) -> Iterator[CertsBehindGateway]:
    """The two certs and the gateway before them, stopped afterwards."""
    clock = ManualClock(SystemClock().now())
    with ExitStack() as stack:
        certs, ns = stack.enter_context(
            running_service("certs", infra, logs, gateway_secret=GATEWAY_SECRET)
        )
        app = create_app(settings_for(infra, ns, gateway_secret=GATEWAY_SECRET), clock)
        screen = stack.enter_context(served(app))
        echo = stack.enter_context(echo_server())
        # The portal's stylesheet is the same in every service: certs' own serves it here.
        upstreams = {"certs": screen, "identity": screen} | dict.fromkeys(
            ("notify", "audit", "enroll"), echo
        )
        gateway = stack.enter_context(
            running_gateway(logs / "nginx", upstreams, ca_from=f"127.0.0.1:{certs.port}")
        )
        yield CertsBehindGateway(gateway, certs.url, f"http://{screen}", clock, app)
