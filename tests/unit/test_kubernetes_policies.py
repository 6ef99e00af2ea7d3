"""Who may talk to whom, and where the secrets are, in the rendered Kubernetes overlays.

GW-01 (one entry point): the network policies let only the gateway reach the services' HTTP
ports (besides Prometheus for /metrics and, at identity's, the services that ask it who a
session is), and only the services reach Kafka, MongoDB and (notify) the SMTP server; everyone
the cluster's DNS. The paths are worked out from the policies as a cluster would apply them to
the Deployments' pods, and compared with exactly that list.

X-09: every setting that is a secret comes from a Secret (``secretKeyRef``), none is inlined or
in a ConfigMap, and every Secret referred to is one docs/operations/kubernetes.md tells the
operator to create.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from kubernetes_manifests import (
    OVERLAYS,
    ROOT,
    SERVICES,
    Resource,
    cluster,
    container,
    environment,
    of_kind,
    render,
    settings_class,
)
from pydantic import SecretStr

CALLERS_OF_IDENTITY = ("notify", "certs", "audit", "enroll")
"""They ask identity who a session is (ID-SESS-02); enroll hands it sign-ups (EN-05)."""

Peer = tuple[str, ...]
Edge = tuple[Peer, Peer, str]
"""(from, to, "PROTOCOL/port")."""


def _matches(selector: Resource, labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def _pods(resources: list[Resource]) -> dict[str, dict[str, str]]:
    deployments = of_kind(resources, "Deployment")
    return {name: d["spec"]["template"]["metadata"]["labels"] for name, d in deployments.items()}


def _peers(peer: Resource, pods: dict[str, dict[str, str]]) -> list[Peer]:
    """The sources or destinations one ``from``/``to`` entry names."""
    if "ipBlock" in peer:
        assert not peer["ipBlock"].get("except"), peer
        return [("ip", peer["ipBlock"]["cidr"])]
    if "namespaceSelector" in peer:
        namespace = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        labels = peer.get("podSelector", {}).get("matchLabels", {})
        return [("namespace", namespace, *sorted(f"{k}={v}" for k, v in labels.items()))]
    return [("pod", name) for name, labels in pods.items() if _matches(peer["podSelector"], labels)]


def _ports(rule: Resource) -> list[str]:
    assert rule.get("ports"), f"a rule without ports allows every port: {rule}"
    return [f"{p.get('protocol', 'TCP')}/{p['port']}" for p in rule["ports"]]


def _edges(resources: list[Resource]) -> set[Edge]:
    pods = _pods(resources)
    edges: set[Edge] = set()
    for policy in of_kind(resources, "NetworkPolicy").values():
        spec = policy["spec"]
        selected = [
            ("pod", n) for n, labels in pods.items() if _matches(spec["podSelector"], labels)
        ]
        for rule in spec.get("ingress", []):
            assert rule.get("from"), f"{policy['metadata']['name']}: open to everyone"
            edges |= {
                (peer, pod, port)
                for entry in rule["from"]
                for peer in _peers(entry, pods)
                for pod in selected
                for port in _ports(rule)
            }
        for rule in spec.get("egress", []):
            assert rule.get("to"), f"{policy['metadata']['name']}: open to everywhere"
            edges |= {
                (pod, peer, port)
                for entry in rule["to"]
                for peer in _peers(entry, pods)
                for pod in selected
                for port in _ports(rule)
            }
    return edges


def _expected(overlay: str, smtp_port: int) -> set[Edge]:
    """The paths docs/operations/kubernetes.md promises, with the overlay's cluster values."""
    c = cluster(overlay)
    prometheus = ("namespace", c["monitoringNamespace"], "app.kubernetes.io/name=prometheus")
    dns = ("namespace", "kube-system", "k8s-app=kube-dns")
    gateway = ("pod", "gateway")
    expected: set[Edge] = {
        (("namespace", c["ingressNamespace"]), gateway, "TCP/8443"),
        (("ip", "0.0.0.0/0"), gateway, "TCP/8444"),
        *((("pod", n), dns, f"{p}/53") for n in (*SERVICES, "gateway") for p in ("UDP", "TCP")),
        (("pod", "notify"), ("ip", c["smtpNetwork"]), f"TCP/{smtp_port}"),
    }
    for name, port in SERVICES.items():
        pod = ("pod", name)
        expected |= {(gateway, pod, f"TCP/{port}"), (prometheus, pod, f"TCP/{port}")}
        expected |= {
            (pod, ("namespace", c["kafkaNamespace"]), "TCP/9092"),
            (pod, ("namespace", c["kafkaNamespace"]), "TCP/9093"),
            (pod, ("ip", c["mongodbNetwork"]), "TCP/27017"),
        }
    for caller in CALLERS_OF_IDENTITY:
        expected.add((("pod", caller), ("pod", "identity"), "TCP/8001"))
    return expected


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gw_01_only_the_gateway_reaches_the_services_and_only_they_reach_kafka_and_mongodb(
    overlay: str,
) -> None:
    resources = render(overlay)
    deny = of_kind(resources, "NetworkPolicy")["default-deny"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, "default: nothing"
    notify = environment(of_kind(resources, "Deployment")["notify"], resources)
    edges = _edges(resources)
    expected = _expected(overlay, int(notify["SMTP_PORT"]))
    assert edges - expected == set(), f"paths nobody promised: {sorted(edges - expected)}"
    assert expected - edges == set(), f"paths that would be cut: {sorted(expected - edges)}"
    for name in (*SERVICES, "gateway"):  # every pod is held by a policy of each direction
        assert any(e[0] == ("pod", name) for e in edges) and any(
            e[1] == ("pod", name) for e in edges
        )


SECRET_NAME = re.compile(r"PASSWORD|PASSPHRASE|SECRET|TOKEN|PRIVATE|USERNAME|_KEY$|_URI$")
"""A setting that looks secret; the public notify key is the one named *_KEY that is not."""
PUBLIC = {"NOTIFY_PUBLIC_KEY"}
REQUIRED = {
    "identity": {"MONGODB_URI", "PROVISIONING_TOKEN", "ENROLMENT_TOKEN", "SHADOW_KEY", "OTP_KEY"},
    "notify": {"MONGODB_URI", "NOTIFY_PRIVATE_KEY", "SMTP_USERNAME", "SMTP_PASSWORD"},
    "certs": {"MONGODB_URI", "CA_KEY_PASSPHRASE", "PROVISIONING_TOKEN", "GATEWAY_SECRET"},
    "audit": {"MONGODB_URI"},
    "enroll": {"MONGODB_URI", "PROVISIONING_TOKEN", "ENROLMENT_TOKEN", "PERSON_KEY"},
}
"""The secrets each service is given: the database's credentials, the CA key's passphrase, the
back office's token, the shadow key, SMTP's credentials…"""


def _secret(name: str) -> bool:
    return name not in PUBLIC and bool(SECRET_NAME.search(name))


def test_x_09_every_secret_setting_looks_secret() -> None:
    """The name rule below finds every ``SecretStr`` of every service's settings."""
    for name in SERVICES:
        fields = settings_class(name).model_fields
        secrets = {f.upper() for f, info in fields.items() if info.annotation is SecretStr}
        assert secrets, name
        assert all(_secret(s) for s in secrets), f"{name}: {[s for s in secrets if not _secret(s)]}"


def _env_items(deployment: Resource) -> list[Resource]:
    spec = deployment["spec"]["template"]["spec"]
    return [
        item
        for one in [*spec.get("initContainers", []), *spec["containers"]]
        for item in one.get("env", [])
    ]


def _secret_mounts(deployment: Resource) -> tuple[str, ...]:
    """Where a Deployment's containers see its secret volumes, each ending in ``/``."""
    pod = deployment["spec"]["template"]["spec"]
    secret = {v["name"] for v in pod["volumes"] if "secret" in v}
    return tuple(
        m["mountPath"].rstrip("/") + "/"
        for one in pod["containers"]
        for m in one.get("volumeMounts", [])
        if m["name"] in secret
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_x_09_every_secret_comes_from_a_secret_never_a_config_map(overlay: str) -> None:
    resources = render(overlay)
    assert not of_kind(resources, "Secret"), "the manifests create no Secret: the operator does"
    for name, cm in of_kind(resources, "ConfigMap").items():
        assert not [k for k in cm.get("data", {}) if _secret(k)], f"ConfigMap {name} holds one"
    deployments = of_kind(resources, "Deployment")
    for deployment in deployments.values():
        for item in _env_items(deployment):
            if item.get("value", "").startswith(_secret_mounts(deployment)):
                continue  # the path of a file of a secret volume (the gateway's TLS key)
            if _secret(item["name"]) or item["name"] == "GW_SECRET":
                assert "value" not in item and item["valueFrom"]["secretKeyRef"], item["name"]
    for name in SERVICES:
        env = environment(deployments[name], resources)
        fields = {f.upper() for f in settings_class(name).model_fields}
        assert set(env) <= fields, f"{name} sets {sorted(set(env) - fields)}, read by nobody"
        given = {key for key, value in env.items() if value.startswith("<")}
        assert REQUIRED[name] <= given, f"{name} lacks {sorted(REQUIRED[name] - given)}"


def _documented() -> set[tuple[str, str]]:
    """(Secret, key) of the table in docs/operations/kubernetes.md: | `name` | `key`, `key` |"""
    page = (ROOT / "docs" / "operations" / "kubernetes.md").read_text(encoding="utf-8")
    found: set[tuple[str, str]] = set()
    for row in re.finditer(r"^\| `([a-z0-9-]+)` \| ([^|]+)\|", page, re.MULTILINE):
        found |= {(row[1], key) for key in re.findall(r"`([a-z0-9.-]+)`", row[2])}
    return found


def _referenced(resources: list[Resource]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for deployment in of_kind(resources, "Deployment").values():
        for item in _env_items(deployment):
            ref: dict[str, Any] = item.get("valueFrom", {}).get("secretKeyRef", {})
            if ref:
                found.add((ref["name"], ref["key"]))
        for volume in deployment["spec"]["template"]["spec"]["volumes"]:
            if "secret" in volume:
                found |= {(volume["secret"]["secretName"], k) for k in ("tls.crt", "tls.key")}
    for ingress in of_kind(resources, "Ingress").values():
        found |= {
            (tls["secretName"], k) for tls in ingress["spec"]["tls"] for k in ("tls.crt", "tls.key")
        }
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_x_09_every_secret_referred_to_is_one_the_operations_page_lists(overlay: str) -> None:
    documented, referenced = _documented(), _referenced(render(overlay))
    assert referenced - documented == set(), f"not in the docs: {sorted(referenced - documented)}"
    assert documented - referenced == set(), (
        f"listed, used by nothing: {sorted(documented - referenced)}"
    )
    tls = container(of_kind(render(overlay), "Deployment")["gateway"])
    assert {"GW_TLS_CERT", "GW_TLS_KEY"} <= {e["name"] for e in tls["env"]}
