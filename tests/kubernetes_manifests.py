"""The Kubernetes manifests (``deploy/kubernetes/``) as an operator applies them: each overlay
rendered by ``kustomize build``, the Go tool ``deploy/local/infra.sh install`` builds into the
install cache (``INFRA_CACHE``, default ``.cache/infra``), at the version ``versions.env`` pins.

No cluster is needed: the tests read what would be applied. A missing kustomize fails the test
that needs it, loudly, with the command that builds it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import ipaddress
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from servicekit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("laptop", "production")
SERVICES = {"identity": 8001, "notify": 8002, "certs": 8003, "audit": 8004, "enroll": 8005}
"""The five services and the HTTP port each listens on in its pod."""

Resource = dict[str, Any]


def kustomize() -> Path:
    """The pinned kustomize of the install cache; the test fails when it is not built."""
    cache = Path(os.environ.get("INFRA_CACHE", ROOT / ".cache" / "infra"))
    binary = cache / "bin" / "kustomize"
    if not os.access(binary, os.X_OK):
        pytest.fail(
            f"kustomize is not built at {binary}: run `bash deploy/local/infra.sh install` "
            "(make test does), or set INFRA_CACHE to the install cache that has it"
        )
    pinned = re.search(
        r"^KUSTOMIZE_VERSION=(\S+)$",
        (ROOT / "deploy" / "local" / "versions.env").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert pinned, "versions.env pins no KUSTOMIZE_VERSION"
    said = subprocess.run([binary, "version"], capture_output=True, text=True, check=True)
    if said.stdout.strip() != pinned[1]:
        pytest.fail(f"{binary} is {said.stdout.strip()}, versions.env pins {pinned[1]}: reinstall")
    return binary


@functools.cache
def _rendered(folder: Path) -> tuple[Resource, ...]:
    built = subprocess.run(
        [kustomize(), "build", "--load-restrictor", "LoadRestrictionsNone", folder],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        pytest.fail(f"kustomize build {folder.relative_to(ROOT)} failed:\n{built.stderr}")
    return tuple(doc for doc in yaml.safe_load_all(built.stdout) if doc)


def render(overlay: str) -> list[Resource]:
    """Every resource ``kustomize build deploy/kubernetes/overlays/<overlay>`` writes."""
    return list(_rendered(KUBERNETES / "overlays" / overlay))


def topics() -> list[Resource]:
    """The Strimzi KafkaTopics of ``deploy/kubernetes/topics``."""
    return list(_rendered(KUBERNETES / "topics"))


def cluster(overlay: str) -> dict[str, str]:
    """The overlay's cluster settings (its ``cluster.yaml``, which is never applied)."""
    loaded = yaml.safe_load((KUBERNETES / "overlays" / overlay / "cluster.yaml").read_text())
    data: dict[str, str] = loaded["data"]
    return data


def of_kind(resources: list[Resource], kind: str) -> dict[str, Resource]:
    """The resources of one kind, by name."""
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def container(deployment: Resource) -> Resource:
    """A Deployment's one main container (the services and the gateway have one each)."""
    containers: list[Resource] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{deployment['metadata']['name']}: one container"
    return containers[0]


def environment(deployment: Resource, resources: list[Resource]) -> dict[str, str]:
    """The settings a Deployment's container starts with (X-09): its ConfigMaps' keys, then its
    own ``env``; a value from a Secret reads ``<secret name/key>``, as none is known here."""
    main = container(deployment)
    config_maps = of_kind(resources, "ConfigMap")
    env: dict[str, str] = {}
    for source in main.get("envFrom", []):
        env |= config_maps[source["configMapRef"]["name"]].get("data", {})
    for item in main.get("env", []):
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        env[item["name"]] = f"<{ref['name']}/{ref['key']}>" if ref else item.get("value", "")
    return env


def settings_class(name: str) -> type[ServiceSettings]:
    """The one ``*Settings`` class of ``services.<name>.settings``: what the service reads."""
    module = importlib.import_module(f"services.{name}.settings")
    found = [
        cls
        for cls_name, cls in inspect.getmembers(module, inspect.isclass)
        if cls_name.endswith("Settings")
        and issubclass(cls, ServiceSettings)
        and cls is not ServiceSettings
    ]
    assert len(found) == 1, f"services.{name}.settings defines {found}, expected one Settings"
    return found[0]


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def behind_the_gateway(
    overlay: str,
) -> tuple[dict[str, dict[str, str]], Address, tuple[Network, ...]]:
    """X-18 in an overlay, as ``tests/unit/test_compose.py`` reads every deployment: each
    service's settings, an address the gateway's pods may have (any of the pod network's, the
    cluster gives them), and where the other clients that reach a service come from: the nodes
    (kubelet's probes, host-network pods). Pods other than the gateway reach identity only as the
    NetworkPolicies allow (test_kubernetes_policies.py): the services and Prometheus, which never
    send X-Forwarded-For. The gateway, in turn, believes it only from the cluster's ingress."""
    resources = render(overlay)
    settings = cluster(overlay)
    deployments = of_kind(resources, "Deployment")
    pods = ipaddress.ip_network(settings["podNetwork"])
    gateway = environment(deployments["gateway"], resources)
    assert gateway["GW_TRUSTED_INGRESS"] == settings["ingressNetwork"]
    templates = next(
        cm["data"]
        for name, cm in of_kind(resources, "ConfigMap").items()
        if name.startswith("gateway-templates-")
    )
    assert "set_real_ip_from ${GW_TRUSTED_INGRESS};" in templates["real-ip.conf.template"]
    assert "real_ip_header X-Forwarded-For;" in templates["real-ip.conf.template"]
    identity = of_kind(resources, "NetworkPolicy")["identity-http"]["spec"]["ingress"]
    assert all("ipBlock" not in peer for rule in identity for peer in rule["from"])
    return (
        {name: environment(deployments[name], resources) for name in SERVICES},
        pods.network_address + 7,
        (ipaddress.ip_network(settings["nodeNetwork"]),),
    )
