"""Start and stop the whole platform on this machine: ``make up`` / ``make down``.

``up`` starts the infrastructure (``deploy/local/infra.sh``: Kafka, FerretDB, Mailpit, Jaeger), then
the five services as background processes with their logs in ``.cache/run/services/``, waits
until each answers ``/readyz``, starts the gateway (nginx, ``deploy/local/gateway.py``) in front
of them, seeds the demo realm and prints where everything is.

Ports: the services listen on ``SERVICE_PORT_BASE`` + 1..5 (8001-8005), the gateway on
``GATEWAY_PORT`` (8443) and kihonet's client-certificate server on ``GATEWAY_KIHONET_PORT``
(8444); with ``INFRA_RUN`` and infra.sh's ``INFRA_*_PORT`` a second stack runs beside the first.

Replicas (X-16): ``REPLICAS=N`` starts N processes of every service (``<NAME>_REPLICAS``, e.g.
``NOTIFY_REPLICAS=3``, for one service), replica k on its service's port + 10·k (identity on
8001, 8011, 8021…), and the gateway balances across all of them. They share the consumer groups'
partitions and, by the outbox lease, the outbox.

What the walks read (``docs/walks/*.sh``): ``up`` writes ``RUN_DIR/stack.env``, the stack's
addresses and the demo organisation (its id and its admin's login ID) as ``KEY=VALUE`` lines a
shell can source, beside infra.sh's ``RUN_DIR/env``; ``RUN_DIR/demo-admin.json`` keeps the demo
admin's initial password and, once a walk changed it, the password the walk set.

A stack on infrastructure that already runs (a test's, a CI's): ``INFRA_FROM_ENV=1`` takes
``KAFKA_BOOTSTRAP_SERVERS``, ``MONGODB_URI``, ``SMTP_HOST``, ``SMTP_PORT`` and ``MAILPIT_URL``
(and ``JAEGER_URL`` and ``JAEGER_OTLP_ENDPOINT`` if it has them) from the environment
instead of starting (or stopping) infra.sh's, and ``STACK_NAMESPACE``
prefixes the stack's topics and databases, so it shares that infrastructure with nobody.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
RUN_DIR = Path(os.environ.get("INFRA_RUN", REPO / ".cache" / "run"))
SERVICE_DIR = RUN_DIR / "services"
INFRA = ["bash", str(REPO / "deploy" / "local" / "infra.sh")]
BASE_PORT = int(os.environ.get("SERVICE_PORT_BASE", "8000"))
PORTS = {
    name: BASE_PORT + i
    for i, name in enumerate(("identity", "notify", "certs", "audit", "enroll"), 1)
}
"""The first replica's port of each service; replica k listens on it + 10·k."""
GATEWAY_PORT = int(os.environ.get("GATEWAY_PORT", "8443"))
PROMETHEUS_PORT = int(os.environ.get("PROMETHEUS_PORT", "9090"))
PROMETHEUS_CONFIG = REPO / "deploy" / "prometheus" / "prometheus.yml"
GATEWAY_KIHONET_PORT = int(os.environ.get("GATEWAY_KIHONET_PORT", "8444"))
INFRA_FROM_ENV = os.environ.get("INFRA_FROM_ENV", "") not in ("", "0")
"""The infrastructure already runs: its settings come from this environment (see above)."""
INFRA_KEYS = ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "SMTP_HOST", "SMTP_PORT", "MAILPIT_URL")
TRACES_KEYS = ("JAEGER_URL", "JAEGER_OTLP_ENDPOINT")
"""Where traces go and are read (X-20), when the infrastructure has a Jaeger."""
NAMESPACE = os.environ.get("STACK_NAMESPACE", "")
"""Prefixes the stack's topics and databases (empty: the services' own names)."""
DEMO_ADMIN_FILE = RUN_DIR / "demo-admin.json"

DEMO_ADMIN_EMAIL = f"admin@{NAMESPACE + '.' if NAMESPACE else ''}demo.example.jp"
"""The demo admin's address; a namespaced stack's own, so its mail is told apart in a shared
Mailpit."""
DEMO_ORG = {
    "name": "デモ健康保険組合",
    "admin": {
        "login_id": "XA3000001",
        "profile": {"name": "山田太郎", "department": "総務部", "email": DEMO_ADMIN_EMAIL},
    },
}


def replicas(name: str) -> int:
    """How many processes of ``name`` the stack runs (X-16)."""
    return max(1, int(os.environ.get(f"{name.upper()}_REPLICAS", os.environ.get("REPLICAS", "1"))))


def instances(name: str) -> list[str]:
    """The names of a service's processes: ``identity``, then ``identity-1``, ``identity-2``…"""
    return [name] + [f"{name}-{k}" for k in range(1, replicas(name))]


def port_of(instance: str) -> int:
    name, _, k = instance.partition("-")
    return PORTS[name] + 10 * int(k or 0)


def everything() -> list[str]:
    return [instance for name in PORTS for instance in instances(name)]


def infra_env() -> dict[str, str]:
    lines = (RUN_DIR / "env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def start_infra() -> None:
    """infra.sh's Kafka, FerretDB and Mailpit, or (``INFRA_FROM_ENV``) the settings of the
    infrastructure this environment names, written where infra.sh writes its own."""
    if not INFRA_FROM_ENV:
        subprocess.run([*INFRA, "start"], check=True, stdout=subprocess.DEVNULL)
        return
    missing = [key for key in INFRA_KEYS if not os.environ.get(key)]
    if missing:
        sys.exit(f"INFRA_FROM_ENV is set but {', '.join(missing)} is not")
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    named = [*INFRA_KEYS, *(key for key in TRACES_KEYS if os.environ.get(key))]
    (RUN_DIR / "env").write_text("".join(f"{key}={os.environ[key]}\n" for key in named))


def notify_keys() -> dict[str, str]:
    """A development key pair for sealed secrets (X-02), kept in the ignored run folder."""
    path = RUN_DIR / "notify-keys.json"
    if not path.exists():
        from contracts import generate_keypair

        public, private = generate_keypair()
        path.write_text(json.dumps({"NOTIFY_PUBLIC_KEY": public, "NOTIFY_PRIVATE_KEY": private}))
        path.chmod(0o600)
    keys: dict[str, str] = json.loads(path.read_text())
    return keys


def machine_secret(name: str) -> str:
    """A random secret of this machine's stack, kept in the ignored run folder."""
    path = RUN_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def provisioning_token() -> str:
    """The bearer with which the back office opens organisations and records certificate
    notices (identity's and certs' ``PROVISIONING_TOKEN``)."""
    return machine_secret("provisioning-token")


def gateway() -> Any:
    """The gateway of this stack: nginx in ``RUN_DIR/gateway``, in front of the services."""
    from gateway import Gateway

    return Gateway(
        RUN_DIR / "gateway",
        GATEWAY_PORT,
        GATEWAY_KIHONET_PORT,
        upstreams(),
        machine_secret("gateway-secret"),
    )


def upstreams() -> dict[str, str]:
    """Where the gateway reaches each service: every replica's ``host:port``, on loopback."""
    return {name: " ".join(f"127.0.0.1:{port_of(i)}" for i in instances(name)) for name in PORTS}


def enrolment_token() -> str:
    """The bearer with which enroll hands identity a sign-up's credential (both services'
    ``ENROLMENT_TOKEN``)."""
    return machine_secret("enrolment-token")


def pid_file(name: str) -> Path:
    return SERVICE_DIR / f"{name}.pid"


def running(name: str) -> int | None:
    try:
        pid = int(pid_file(name).read_text())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    return pid


def environment(instance: str) -> dict[str, str]:
    """The settings (X-09) one service process of the stack starts with, besides this shell's:
    the infrastructure's addresses, the stack's secrets, and how the services find each other
    and the gateway in front of them."""
    name = instance.partition("-")[0]
    keys = notify_keys()
    env = {
        **infra_env(),
        "SERVICE_NAME": name,
        "HTTP_PORT": str(port_of(instance)),
        "NOTIFY_PUBLIC_KEY": keys["NOTIFY_PUBLIC_KEY"],
        "PROVISIONING_TOKEN": provisioning_token(),
        "ENROLMENT_TOKEN": enrolment_token(),
        # Notify's delivery log, audit's exports and enroll's checkup gate ask identity whose
        # session a request carries (X-15, ID-SESS-02); enroll hands it sign-ups' credentials.
        "IDENTITY_URL": f"http://127.0.0.1:{PORTS['identity']}",
        # X-18: the gateway reaches the services from loopback and names the client in
        # X-Forwarded-For, which they believe from it alone (ID-BOT-02); a caller on this
        # machine that goes around the gateway could name any address, as it could call
        # anything else directly.
        "TRUSTED_PROXIES": "127.0.0.1/32",
    }
    if otlp := infra_env().get("JAEGER_OTLP_ENDPOINT"):  # X-20: every span to the local Jaeger
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp
    if NAMESPACE:
        env["KAFKA_TOPIC_PREFIX"] = f"{NAMESPACE}."
        env["MONGODB_DATABASE"] = f"{NAMESPACE}_{name}"
    if name == "notify":  # only notify holds the key that opens sealed secrets (X-02, NT-05)
        env["NOTIFY_PRIVATE_KEY"] = keys["NOTIFY_PRIVATE_KEY"]
    if name == "certs":
        # Only certs holds the passphrase of the CA's key (CT-11) and the secret it shares with
        # the gateway; the URLs in its certificates point at it directly (plain HTTP, as CRLs).
        env["CA_KEY_PASSPHRASE"] = machine_secret("ca-key-passphrase")
        env["GATEWAY_SECRET"] = machine_secret("gateway-secret")
        env["PUBLIC_URL"] = f"http://127.0.0.1:{PORTS['certs']}"
    return env


def start_service(instance: str) -> None:
    if running(instance):
        print(f"  {instance}: already running")
        return
    SERVICE_DIR.mkdir(parents=True, exist_ok=True)
    name = instance.partition("-")[0]
    with (SERVICE_DIR / f"{instance}.log").open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            cwd=REPO,
            env={**os.environ, **environment(instance)},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file(instance).write_text(str(proc.pid))


def prometheus_config() -> str:
    """The compose file's Prometheus settings, its jobs (Docker's DNS per service) made static:
    every local replica's port (X-16); its alerting rules (X-19) by their path in the checkout,
    since the rendered copy lives elsewhere."""
    settings = PROMETHEUS_CONFIG.read_text(encoding="utf-8").split("scrape_configs:")[0]
    settings = settings.replace(
        "  - alerts.yml\n", f"  - {PROMETHEUS_CONFIG.parent / 'alerts.yml'}\n"
    )
    jobs = "".join(
        f"  - job_name: {name}\n    static_configs: [{{targets: ["
        + ", ".join(f'"127.0.0.1:{port_of(instance)}"' for instance in instances(name))
        + "]}]\n"
        for name in PORTS
    )
    return f"{settings}scrape_configs:\n{jobs}"


def start_prometheus() -> str | None:
    """Debian's prometheus (installed by infra.sh) over the services' /metrics (WEB-02), with
    the compose stack's configuration pointed at every local replica's port (X-16); none if it
    is not installed."""
    binary = Path("/usr/bin/prometheus")
    if running("prometheus") or not binary.exists():
        return f"http://127.0.0.1:{PROMETHEUS_PORT}" if running("prometheus") else None
    folder = RUN_DIR / "prometheus"
    folder.mkdir(parents=True, exist_ok=True)
    config = prometheus_config()
    (folder / "prometheus.yml").write_text(config, encoding="utf-8")
    with (SERVICE_DIR / "prometheus.log").open("ab") as log:
        proc = subprocess.Popen(
            [
                str(binary),
                f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file("prometheus").write_text(str(proc.pid))
    return f"http://127.0.0.1:{PROMETHEUS_PORT}"


def wait_ready(name: str, timeout: float = 60) -> None:
    url = f"http://127.0.0.1:{port_of(name)}/readyz"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not running(name):
            break
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    log = (SERVICE_DIR / f"{name}.log").read_text(errors="replace").splitlines()[-40:]
    sys.exit(f"{name} did not become ready; last log lines:\n" + "\n".join(log))


def seed_demo() -> dict[str, str]:
    """The demo organisation, created once (the Idempotency-Key makes a re-run a no-op).

    Its id, its admin's login ID and the admin's initial password (answered only by the call
    that created it) are kept in the ignored run folder (``demo-admin.json``), for the next
    ``make up`` to print again and for the walks to read; a walk that changes the password
    adds the one it set there as ``password``.
    """
    saved = json.loads(DEMO_ADMIN_FILE.read_text()) if DEMO_ADMIN_FILE.exists() else {}
    r = httpx.post(
        f"http://127.0.0.1:{PORTS['identity']}/v1/realms/demo/orgs",
        json=DEMO_ORG,
        headers={
            "Idempotency-Key": "demo-organisation",
            "Authorization": f"Bearer {provisioning_token()}",
        },
        timeout=10,
    )
    if r.status_code == 409 and saved.get("org_id"):
        return dict(saved)  # made by an earlier ``make up`` whose key has been forgotten
    r.raise_for_status()
    org: dict[str, str] = r.json()
    if org.get("initial_password"):
        saved = {"initial_password": org["initial_password"]}
    saved |= {"org_id": org["org_id"], "login_id": org["admin_login_id"]}
    DEMO_ADMIN_FILE.write_text(json.dumps(saved, ensure_ascii=False))
    DEMO_ADMIN_FILE.chmod(0o600)
    return dict(saved)


def write_stack_env(front: Any, demo: dict[str, str]) -> Path:
    """``RUN_DIR/stack.env``: where everything is, as lines a shell sources (the walks do)."""
    values = {
        **{f"{name.upper()}_URL": f"http://127.0.0.1:{PORTS[name]}" for name in PORTS},
        "GATEWAY_URL": front.url,
        "KIHONET_URL": front.kihonet_url,
        "GATEWAY_CA": str(front.trust_file),
        "MAILPIT_URL": infra_env().get("MAILPIT_URL", ""),
        "PROVISIONING_TOKEN_FILE": str(RUN_DIR / "provisioning-token"),
        "DEMO_ORG_ID": demo.get("org_id", ""),
        "DEMO_ADMIN_LOGIN_ID": demo.get("login_id", ""),
        "DEMO_ADMIN_EMAIL": DEMO_ADMIN_EMAIL,
        "DEMO_ADMIN_FILE": str(DEMO_ADMIN_FILE),
        "REPO": str(REPO),
        "PYTHON": sys.executable,
    }
    path = RUN_DIR / "stack.env"
    path.write_text("".join(f"{key}={shlex.quote(value)}\n" for key, value in values.items()))
    return path


def demo_password(demo: dict[str, str]) -> str:
    """The demo admin's password as far as this stack knows it, said for what it is."""
    if demo.get("password"):
        return f"password {demo['password']} (the one a walk set last, in {DEMO_ADMIN_FILE})"
    if demo.get("initial_password"):
        return (
            f"initial password {demo['initial_password']} (the first login changes it; "
            "after that this one is stale)"
        )
    return "initial password not kept (answered once, to the make up that created it)"


def up() -> None:
    start_infra()
    print("Starting services…")
    for instance in everything():
        start_service(instance)
    for instance in everything():
        wait_ready(instance)
        print(f"  {instance}: ready on :{port_of(instance)}")
    front = gateway()
    if front.pid() is None:
        front.start()
    print("  gateway: ready")
    prometheus = start_prometheus()
    demo = seed_demo()
    written = write_stack_env(front, demo)
    print(
        f"""
The platform is up. Log in to the demo realm in a browser:

  {front.url}/realms/demo/login

  demo organisation {demo.get("org_id")}
  login ID {demo.get("login_id")}, {demo_password(demo)}
  The certificate is the local CA's {front.trust_file}: trust it, or accept the warning.

A support operator for the demo realm's console (/realms/demo/support/, WEB-04), printed with
its initial password: .venv/bin/python deploy/local/stack.py support-operator demo

The walks (docs/walks/*.sh) read the addresses and the demo organisation from {written}.
Everything else (the services, mail, {"Prometheus, " if prometheus else ""}logs): make status
Stop everything with: make down"""
    )


def details() -> None:
    """Where everything is, for ``make status``: the services' docs, mail, Kafka, logs."""
    front = gateway()
    infra = infra_env() if (RUN_DIR / "env").exists() else {}
    demo = json.loads(DEMO_ADMIN_FILE.read_text()) if DEMO_ADMIN_FILE.exists() else {}
    org_id, admin = demo.get("org_id", "(see make up)"), demo.get("login_id", "")
    print(
        f"""
  gateway    {front.url}   (every portal; kihonet: {front.kihonet_url}, client certificate)
             trust {front.trust_file} (the local CA of its TLS certificate):
             curl --cacert {front.trust_file} {front.url}/healthz
  pages      {front.url}/realms/demo/login
             demo organisation {org_id}, admin {admin}
             {demo_password(demo)}
  kihonet CA {front.url}/v1/ca/certificate   (client certificates chain to it; CRL and
             OCSP at http://127.0.0.1:{PORTS["certs"]}/v1/ca/crl and …/ocsp)
  identity   http://127.0.0.1:{PORTS["identity"]}/docs
  notify     http://127.0.0.1:{PORTS["notify"]}/docs
  certs      http://127.0.0.1:{PORTS["certs"]}/docs
  audit      http://127.0.0.1:{PORTS["audit"]}/docs
  enroll     http://127.0.0.1:{PORTS["enroll"]}/docs
  metrics    http://127.0.0.1:{PROMETHEUS_PORT}   (Debian's prometheus over every /metrics)
  mail       {infra.get("MAILPIT_URL", "")}   (captured mail: every mail notify sends lands here)
  traces     {infra.get("JAEGER_URL", "(none)")}   (Jaeger: a request through Kafka to its mail
             and record; an access record's trace_id finds it: docs/operations/traces.md)
  kafka      {infra.get("KAFKA_BOOTSTRAP_SERVERS", "")}
  database   {infra.get("MONGODB_URI", "")}   (FerretDB)
  logs       {SERVICE_DIR}/<service>.log
  walks      docs/walks/*.sh read {RUN_DIR / "stack.env"}

Open more organisations as the back office does (the token is in {RUN_DIR}/provisioning-token):
  curl -H "Authorization: Bearer $(cat {RUN_DIR}/provisioning-token)" …/v1/realms/demo/orgs
A realm's support desk (the ops dashboard, notify's delivery log): make one with
  .venv/bin/python deploy/local/stack.py support-operator demo
(it prints its login ID and initial password), log in at the pages' URL and open
{front.url}/realms/demo/ops/dashboard"""
    )


def support_operator(realm: str) -> None:
    """A support operator of ``realm`` (identity's ``create-support-operator``, with this
    stack's settings): prints its login ID and initial password as JSON."""
    login_id = f"SUP{secrets.randbelow(10**6):06d}"
    made = subprocess.run(
        [sys.executable, "-m", "services.identity", "create-support-operator", realm, login_id],
        cwd=REPO,
        env={**os.environ, **environment("identity")},
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        sys.exit(made.stderr or made.stdout)
    print(made.stdout.strip().splitlines()[-1])


def down() -> None:
    gateway().stop()
    print("  gateway: stopped")
    stopping = everything() + [  # and replicas a larger REPLICAS started before
        path.stem for path in SERVICE_DIR.glob("*-*.pid") if path.stem not in everything()
    ]
    for name in [*stopping, "prometheus"]:
        pid = running(name)
        if pid is None:
            continue
        os.killpg(pid, signal.SIGTERM)
        for _ in range(100):
            if running(name) is None:
                break
            time.sleep(0.2)
        else:
            os.killpg(pid, signal.SIGKILL)
        pid_file(name).unlink(missing_ok=True)
        print(f"  {name}: stopped")
    if not INFRA_FROM_ENV:  # infrastructure that runs elsewhere is not this stack's to stop
        subprocess.run([*INFRA, "stop"], check=True)


def status() -> None:
    front = gateway()
    state = "running" if front.pid() else "stopped"
    print(f"  {'gateway':11} {state}  :{front.port} :{front.kihonet_port}")
    for name in everything():
        print(f"  {name:11} {readiness(name)}  :{port_of(name)}")
    state = "running" if running("prometheus") else "stopped"
    print(f"  {'prometheus':11} {state}  :{PROMETHEUS_PORT}")
    if not INFRA_FROM_ENV:
        subprocess.run([*INFRA, "status"], check=False)
    details()


def readiness(instance: str) -> str:
    """``running`` only when the process lives and its ``/readyz`` answers 200: a process that
    lives but cannot reach Kafka or the database is not serving."""
    if not running(instance):
        return "stopped"
    try:
        answer = httpx.get(f"http://127.0.0.1:{port_of(instance)}/readyz", timeout=3)
    except httpx.HTTPError as error:
        return f"not ready (/readyz: {type(error).__name__})"
    return "running" if answer.status_code == 200 else f"not ready (/readyz {answer.status_code})"


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "up"
    if command == "support-operator":
        support_operator(sys.argv[2] if len(sys.argv) > 2 else "demo")
    else:
        {"up": up, "down": down, "status": status}[command]()
