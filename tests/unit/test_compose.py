"""SPEC X-09 and X-10 as the container stack sees them: docker-compose.yml, the service images in
deploy/docker/ and .env.example agree with the services' settings classes; and X-18 for every
deployment that puts the gateway in front (the local stack, docker compose, Kubernetes).

No Docker needed: the files are read, the settings classes imported. ``${VAR:-default}`` is
resolved to its default, as ``docker compose config`` does without a .env.
"""

from __future__ import annotations

import importlib
import importlib.util
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from kubernetes_manifests import OVERLAYS, behind_the_gateway, settings_class
from starlette.requests import Request

from services.identity.usecases.addresses import trusted_networks
from services.identity.web import client_address

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

APP_PORTS = {"identity": 8001, "notify": 8002, "certs": 8003, "audit": 8004, "enroll": 8005}
"""Every service and the port it listens on in its container."""
BROKERS = {"kafka", "mongodb", "mailpit", "jaeger"}
INFRASTRUCTURE = BROKERS | {"gateway", "gateway-init", "prometheus", "grafana"}

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}...; `$${` is an escaped dollar.
INTERPOLATION = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>[^}]*)\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _without_env_file(value: str) -> str:
    """``value`` as Compose interpolates it when no variable is set."""

    def default(match: re.Match[str]) -> str:
        rest = match["rest"]
        if rest.startswith(":-"):
            return rest[2:]
        if rest.startswith("-"):
            return rest[1:]
        assert not rest, f"${{{match['name']}{rest}}} has no default"
        return ""

    return INTERPOLATION.sub(default, value)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's ``environment`` (map or list form), interpolated without a .env."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {key: _without_env_file(str(value)) for key, value in raw.items()}


def _dockerfile(compose: dict[str, Any], name: str) -> Path:
    build = compose["services"][name]["build"]
    assert isinstance(build, dict), f"{name}: build must name its context and Dockerfile"
    return (ROOT / build.get("context", ".") / build["dockerfile"]).resolve()


def _dockerfile_instruction(path: Path, instruction: str) -> str:
    """The arguments of the last ``instruction`` of a Dockerfile (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    found = [
        line.split(None, 1)[1].strip()
        for line in text.splitlines()
        if line.split(None, 1)[:1] == [instruction]
    ]
    assert found, f"{path.name} has no {instruction}"
    return found[-1]


def test_x_09_compose_file_parses_and_names_every_service(compose: dict[str, Any]) -> None:
    assert "version" not in compose, "the Compose Specification has no version key"
    assert set(compose["services"]) == INFRASTRUCTURE | set(APP_PORTS)
    on_disk = {path.parent.name for path in (ROOT / "services").glob("*/__main__.py")}
    assert on_disk == set(APP_PORTS), "every service in services/ runs in the stack"

    for name in APP_PORTS:
        service = compose["services"][name]
        assert service["build"]["context"] == "."
        dockerfile = _dockerfile(compose, name)
        assert dockerfile == ROOT / "deploy" / "docker" / f"{name}.Dockerfile"
        assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"

        cmd = json.loads(_dockerfile_instruction(dockerfile, "CMD"))
        assert cmd == ["python", "-m", f"services.{name}"], f"{dockerfile.name} runs {cmd}"
        assert (ROOT / "services" / name / "__main__.py").is_file()
        assert _dockerfile_instruction(dockerfile, "EXPOSE") == str(APP_PORTS[name])
        assert _dockerfile_instruction(dockerfile, "USER").split(":")[0] not in {"0", "root"}


def test_x_09_compose_sets_only_variables_the_settings_read(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, port in APP_PORTS.items():
        service = compose["services"][name]
        env = _environment(service)
        kind = settings_class(name)
        fields = {field.upper() for field in kind.model_fields}
        for field in fields:  # only the compose file speaks, not this shell's variables
            monkeypatch.delenv(field, raising=False)

        unknown = set(env) - fields
        assert not unknown, f"{name} sets {sorted(unknown)}, which {kind.__name__} lacks"
        for required in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "HTTP_HOST", "HTTP_PORT"):
            assert env.get(required), f"{name} does not set {required}"

        # The values as the service would read them (pydantic validates the types).
        settings = kind(**{key.lower(): value for key, value in env.items()})
        assert settings.service_name == name
        assert settings.database_name == name
        assert settings.http_host == "0.0.0.0"
        assert settings.http_port == port
        assert settings.kafka_bootstrap_servers == "kafka:9092"
        assert settings.mongodb_uri.startswith("mongodb://mongodb:")

        # The port it listens on is the one published (on loopback only) and health-checked.
        published = [_without_env_file(str(mapping)) for mapping in service["ports"]]
        assert [mapping.rsplit(":", 1)[1] for mapping in published] == [str(port)]
        assert all(mapping.startswith("127.0.0.1:") for mapping in published)
        probe = " ".join(service["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/" in probe, f"{name} health check: {probe}"

        for dependency in ("kafka", "mongodb"):
            assert service["depends_on"][dependency]["condition"] == "service_healthy"

    notify = _environment(compose["services"]["notify"])
    assert (notify["SMTP_HOST"], notify["SMTP_PORT"]) == ("mailpit", "1025")
    assert compose["services"]["notify"]["depends_on"]["mailpit"]["condition"] == (
        "service_healthy"
    )
    holders = [
        name
        for name in APP_PORTS
        if "NOTIFY_PRIVATE_KEY" in _environment(compose["services"][name])
    ]
    assert holders == ["notify"], "only notify gets the private key (X-02)"
    published = [
        _without_env_file(str(mapping))
        for service in compose["services"].values()
        for mapping in service.get("ports", [])
    ]
    assert all(mapping.startswith("127.0.0.1:") for mapping in published), published


def _strings(node: Any) -> list[str]:
    """Every key and value of a loaded YAML document (comments are gone: Compose skips them)."""
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (*_strings(key), *_strings(value))]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []


def test_x_09_env_example_covers_every_interpolated_variable(compose: dict[str, Any]) -> None:
    used = {match["name"] for text in _strings(compose) for match in INTERPOLATION.finditer(text)}
    assert used, "docker-compose.yml interpolates nothing?"
    documented = {
        line.split("=", 1)[0].strip()
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    assert used <= documented, f".env.example lacks {sorted(used - documented)}"
    assert documented <= used, f".env.example sets unused {sorted(documented - used)}"


def test_x_10_compose_runs_on_official_mongodb(compose: dict[str, Any]) -> None:
    image = compose["services"]["mongodb"]["image"]
    repository, _, tag = image.rpartition(":")
    assert repository in {"mongo", "library/mongo", "docker.io/library/mongo"}, image
    assert re.fullmatch(r"\d+(\.\d+){0,2}", tag), f"{image}: pin a version"
    assert int(tag.split(".")[0]) >= 6, f"{image}: X-10 needs MongoDB 6+"

    for name in APP_PORTS:
        env = _environment(compose["services"][name])
        assert env["MONGODB_URI"].startswith("mongodb://mongodb:27017"), name
        assert compose["services"][name]["depends_on"]["mongodb"]["condition"] == (
            "service_healthy"
        )
    assert "mongodb-data" in compose["volumes"]
    assert any(
        str(volume).startswith("mongodb-data:")
        for volume in compose["services"]["mongodb"]["volumes"]
    )


def test_gw_01_the_gateway_is_the_official_nginx_image_with_our_configuration(
    compose: dict[str, Any],
) -> None:
    gateway = compose["services"]["gateway"]
    repository, _, tag = gateway["image"].rpartition(":")
    assert repository == "nginx" and re.fullmatch(r"\d+\.\d+(\.\d+)?", tag), gateway["image"]
    mounts = [str(v) for v in gateway["volumes"]]
    assert any(v.endswith(":/etc/nginx/templates/gateway.conf.template:ro") for v in mounts)
    env = _environment(gateway)
    template = (ROOT / "deploy" / "gateway" / "gateway.conf.template").read_text()
    needed = {m["name"] for m in INTERPOLATION.finditer(template)}
    assert needed <= set(env), f"the template needs {sorted(needed - set(env))}"
    published = [_without_env_file(str(mapping)) for mapping in gateway["ports"]]
    assert published == ["127.0.0.1:8443:8443", "127.0.0.1:8444:8444"]
    assert gateway["depends_on"]["gateway-init"]["condition"] == "service_completed_successfully"
    certs = _environment(compose["services"]["certs"])
    assert certs["GATEWAY_SECRET"] == env["GW_SECRET"] == "", "one secret, from .env"


def test_x_16_every_service_can_be_scaled_no_fixed_host_port(compose: dict[str, Any]) -> None:
    """``docker compose up --scale <service>=N`` needs a host port per replica: ephemeral
    (``127.0.0.1::<port>``), or a range for certs, whose CRL and OCSP URLs name its first."""
    for name in APP_PORTS:
        for mapping in compose["services"][name]["ports"]:
            host = _without_env_file(str(mapping)).split(":")[1]
            assert host == "" or re.fullmatch(r"\d+-\d+", host), f"{name} publishes {mapping}"
    assert _environment(compose["services"]["certs"])["PUBLIC_URL"].endswith(":8003")


def test_x_16_the_local_stack_starts_replicas_on_ports_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack = _local_stack()
    monkeypatch.setenv("REPLICAS", "2")
    monkeypatch.setenv("NOTIFY_REPLICAS", "3")
    assert stack.instances("identity") == ["identity", "identity-1"]
    assert stack.instances("notify") == ["notify", "notify-1", "notify-2"]
    ports = [stack.port_of(i) for i in stack.everything()]
    assert len(ports) == len(set(ports)) == 11
    assert stack.port_of("identity-1") == stack.port_of("identity") + 10


def _local_stack() -> ModuleType:
    """``deploy/local/stack.py`` (``make up``), loaded as a module (a script's folder)."""
    spec = importlib.util.spec_from_file_location("stack", ROOT / "deploy" / "local" / "stack.py")
    assert spec is not None and spec.loader is not None
    stack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stack)
    return stack


PEER = re.compile(r"\brequest\.client\b|scope\[[\"']client[\"']\]")
"""Starlette's peer address of a request (``request.client``, ``scope["client"]``)."""

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Deployment:
    """One way the platform runs behind the gateway, as its own files say (X-18)."""

    name: str
    environments: Mapping[str, Mapping[str, str]]
    """Each service's settings (environment variables), as the deployment starts it."""
    gateway: Address | None
    """The address the services see the gateway's requests come from; None: none is fixed."""
    others: tuple[Network, ...] = ()
    """Where the deployment's other clients of the services (its other containers) come from:
    none of them may name a client."""


def local_stack(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Deployment:
    """``make up``: the environment ``stack.py`` starts each service with (its secrets made in a
    run folder of the test's own); the gateway reaches every replica on loopback."""
    stack = _local_stack()
    monkeypatch.setattr(stack, "RUN_DIR", run_dir)
    (run_dir / "env").write_text("KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092\n")
    hosts = {
        ipaddress.ip_address(address.rsplit(":", 1)[0])
        for addresses in stack.upstreams().values()
        for address in addresses.split()
    }
    assert hosts == {ipaddress.ip_address("127.0.0.1")}, "a loopback connection comes from it"
    return Deployment(
        "the local stack",
        {name: stack.environment(name) for name in APP_PORTS},
        ipaddress.ip_address("127.0.0.1"),
    )


def docker_compose(compose: dict[str, Any]) -> Deployment:
    """docker-compose.yml: the services and the gateway on one network; the gateway's address
    on it is fixed, the other containers' are given from the network's ``ip_range``."""
    network = (compose.get("networks") or {}).get("default") or {}
    pools = (network.get("ipam") or {}).get("config") or [{}]
    others = tuple(ipaddress.ip_network(pool["ip_range"]) for pool in pools if "ip_range" in pool)
    fixed = ((compose["services"]["gateway"].get("networks") or {}).get("default") or {}).get(
        "ipv4_address"
    )
    gateway = ipaddress.ip_address(fixed) if fixed else None
    if gateway is not None:
        subnets = [ipaddress.ip_network(pool["subnet"]) for pool in pools if "subnet" in pool]
        assert any(gateway in subnet for subnet in subnets), "on the network's subnet"
        assert not any(gateway in other for other in others), "no other container gets it"
    return Deployment(
        "docker compose",
        {name: _environment(compose["services"][name]) for name in APP_PORTS},
        gateway,
        others,
    )


@pytest.fixture(
    params=["the local stack", "docker compose", *(f"Kubernetes {o}" for o in OVERLAYS)]
)
def deployment(
    request: pytest.FixtureRequest,
    compose: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Deployment:
    """Every deployment that puts the gateway in front."""
    if request.param == "the local stack":
        return local_stack(tmp_path, monkeypatch)
    if request.param.startswith("Kubernetes "):
        return Deployment(request.param, *behind_the_gateway(request.param.split()[1]))
    return docker_compose(compose)


def _reads_client_address(name: str) -> bool:
    """The service's code asks a request who its peer is (to record it, to count by it)."""
    code = (path.read_text() for path in (ROOT / "services" / name).rglob("*.py"))
    return any(PEER.search(text) for text in code)


def test_x_18_every_service_that_reads_a_client_address_has_a_trusted_proxy_setting() -> None:
    readers = {name for name in APP_PORTS if _reads_client_address(name)}
    assert readers, "identity counts and records the client's address (ID-BOT-02)"
    configurable = {
        name for name in APP_PORTS if "trusted_proxies" in settings_class(name).model_fields
    }
    assert readers <= configurable, f"{sorted(readers - configurable)} would see only the gateway"


async def _seen(peer: Address, forwarded: str, proxies: tuple[Network, ...]) -> str | None:
    """What identity records as the client's address of a request from ``peer`` (the address
    the connection came from) that names ``forwarded`` in ``X-Forwarded-For``."""
    state = type("State", (), {"trusted_proxies": proxies})()
    app = type("App", (), {"state": state})()
    headers = [(b"x-forwarded-for", forwarded.encode())]
    scope = {"type": "http", "client": (str(peer), 443), "headers": headers, "app": app}
    return await client_address(Request(scope))


async def test_x_18_every_deployment_names_the_gateway_as_the_trusted_proxy(
    deployment: Deployment,
) -> None:
    """Per-address limits, the bot defence (ID-BOT-02, -03) and the records see the client's
    address, not the gateway's; and no other client of the services can name one."""
    client = "203.0.113.7"
    for name in (name for name in APP_PORTS if _reads_client_address(name)):
        env = deployment.environments[name]
        assert env.get("TRUSTED_PROXIES"), (
            f"{deployment.name}: {name} trusts no proxy, so every client looks like the gateway"
        )
        assert deployment.gateway is not None, (
            f"{deployment.name}: the gateway's address is not fixed, so no setting can name it"
        )
        settings = settings_class(name)(**{key.lower(): value for key, value in env.items()})
        proxies = trusted_networks(settings.trusted_proxies)  # type: ignore[attr-defined]
        assert await _seen(deployment.gateway, client, proxies) == client, (
            f"{deployment.name}: {name} does not believe the gateway's X-Forwarded-For"
        )
        for other in deployment.others:
            assert not any(other.overlaps(network) for network in proxies), (
                f"{deployment.name}: {name} believes X-Forwarded-For from {other} too"
            )
            stranger = next(other.hosts())
            assert await _seen(stranger, client, proxies) == str(stranger)
