"""What the Kubernetes manifests promise an operator, read from the rendered overlays: probes on
the right paths (X-17), requests and limits, pods that cannot become root or write their image,
replicas with a disruption budget and an autoscaler in production (X-16), Prometheus and
Grafana's files (WEB-02), and the Kafka topics' durability and retention (X-03, X-14).
The network policies and the secrets have their own file (test_kubernetes_policies.py)."""

from __future__ import annotations

import re

import pytest
import yaml
from kubernetes_manifests import (
    OVERLAYS,
    ROOT,
    SERVICES,
    Resource,
    container,
    of_kind,
    render,
    topics,
)

from contracts import ALL_TOPICS, Topics
from servicekit.settings import ServiceSettings
from services.notify.settings import NotifySettings

GATEWAY_PORT = 8443


def _port(main: Resource, probe: Resource) -> int:
    """The container port a probe asks, a named one resolved."""
    port = probe["httpGet"]["port"]
    if isinstance(port, int):
        return port
    named = {p["name"]: p["containerPort"] for p in main["ports"]}
    return int(named[port])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_x_17_every_deployment_is_probed_ready_on_readyz_and_alive_on_healthz(
    overlay: str,
) -> None:
    """A service whose background task died fails /readyz (X-17) and is taken out of its
    Service; one that no longer answers /healthz is restarted."""
    deployments = of_kind(render(overlay), "Deployment")
    assert set(deployments) == {*SERVICES, "gateway"}
    for name, port in SERVICES.items():
        main = container(deployments[name])
        ready, alive = main["readinessProbe"], main["livenessProbe"]
        assert ready["httpGet"]["path"] == "/readyz", name
        assert alive["httpGet"]["path"] == "/healthz", name
        assert _port(main, ready) == _port(main, alive) == port, name
        assert alive.get("failureThreshold", 3) > ready.get("failureThreshold", 3), (
            f"{name}: taken out of the Service before it is restarted"
        )
    gateway = container(deployments["gateway"])
    routes = (ROOT / "deploy" / "gateway" / "routes.conf").read_text()
    assert "location = /healthz {" in routes, "nginx answers /healthz itself"
    for probe in (gateway["readinessProbe"], gateway["livenessProbe"]):
        assert probe["httpGet"]["path"] == "/healthz"
        assert probe["httpGet"]["scheme"] == "HTTPS"
        assert _port(gateway, probe) == GATEWAY_PORT


UNITS = {"": 1, "m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def _quantity(text: str | int) -> float:
    found = re.fullmatch(r"(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?", str(text))
    assert found, f"not a quantity I read: {text}"
    return float(found[1]) * UNITS[found[2] or ""]


def _containers(deployment: Resource) -> list[Resource]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_x_16_every_container_requests_what_it_needs_and_is_limited(overlay: str) -> None:
    for name, deployment in of_kind(render(overlay), "Deployment").items():
        for one in _containers(deployment):
            resources = one["resources"]
            for kind in ("cpu", "memory"):
                asked, most = resources["requests"][kind], resources["limits"][kind]
                assert 0 < _quantity(asked) <= _quantity(most), f"{name}/{one['name']} {kind}"
    identity = container(of_kind(render(overlay), "Deployment")["identity"])
    assert _quantity(identity["resources"]["limits"]["memory"]) >= 256 * 2**20, (
        "argon2id takes 19 MiB a login, several at once, beside the process"
    )


POD_SECURITY = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_x_02_every_container_runs_non_root_read_only_and_without_capabilities(
    overlay: str,
) -> None:
    """A process broken into can neither become root nor change its image; what it writes goes
    to a bounded emptyDir. The namespace refuses any pod that is not so (restricted)."""
    resources = render(overlay)
    for name, deployment in of_kind(resources, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"].items() >= POD_SECURITY.items(), name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["automountServiceAccountToken"] is False, f"{name} needs no API access"
        for one in _containers(deployment):
            assert one["securityContext"].items() >= CONTAINER_SECURITY.items(), one["name"]
        for volume in pod["volumes"]:
            if "emptyDir" in volume:
                assert volume["emptyDir"].get("sizeLimit"), f"{name}: {volume['name']} unbounded"
        if name in SERVICES:
            mounts = {m["mountPath"] for m in container(deployment)["volumeMounts"]}
            assert "/tmp" in mounts, f"{name}: Python's temporary files need a writable /tmp"
    (namespace,) = of_kind(resources, "Namespace").values()
    labels = namespace["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert {r["metadata"].get("namespace") for r in resources if r["kind"] != "Namespace"} == {
        namespace["metadata"]["name"]
    }


def _selects(selector: Resource, labels: dict[str, str]) -> bool:
    return selector["matchLabels"].items() <= labels.items()


def test_x_16_production_runs_two_replicas_with_a_budget_and_an_autoscaler_each() -> None:
    resources = render("production")
    budgets = of_kind(resources, "PodDisruptionBudget").values()
    autoscalers = of_kind(resources, "HorizontalPodAutoscaler").values()
    partitions = min(
        t["spec"]["partitions"]
        for t in topics()
        if t["spec"]["topicName"]
        in (Topics.IDENTITY, Topics.CERTS, Topics.ENROLL, Topics.NOTIFY, Topics.AUDIT)
    )
    for name, deployment in of_kind(resources, "Deployment").items():
        replicas = deployment["spec"]["replicas"]
        assert replicas >= 2, f"{name}: X-16 in production is more than one replica"
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        (budget,) = [b for b in budgets if _selects(b["spec"]["selector"], labels)]
        assert 1 <= budget["spec"]["minAvailable"] < replicas, f"{name}: a drain keeps one"
        (scaler,) = [a for a in autoscalers if a["spec"]["scaleTargetRef"]["name"] == name]
        assert scaler["apiVersion"] == "autoscaling/v2"
        assert scaler["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert replicas <= scaler["spec"]["minReplicas"] <= scaler["spec"]["maxReplicas"]
        assert scaler["spec"]["minReplicas"] >= 2
        assert scaler["spec"]["maxReplicas"] <= partitions, (
            f"{name}: more consumers than a topic's partitions would idle"
        )
        (metric,) = scaler["spec"]["metrics"]
        assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"


def test_x_16_the_laptop_runs_one_replica_of_each() -> None:
    resources = render("laptop")
    assert {d["spec"]["replicas"] for d in of_kind(resources, "Deployment").values()} == {1}
    assert not of_kind(resources, "HorizontalPodAutoscaler"), "a laptop has no metrics-server"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_02_prometheus_finds_every_replica_and_grafana_gets_the_dashboard(
    overlay: str,
) -> None:
    resources = render(overlay)
    config_maps = {
        name.rsplit("-", 1)[0]: cm for name, cm in of_kind(resources, "ConfigMap").items()
    }
    scrape = config_maps["prometheus-scrape"]["data"]["prometheus.yml"]
    assert scrape == (ROOT / "deploy" / "prometheus" / "kubernetes.yml").read_text()
    alerts = config_maps["prometheus-scrape"]["data"]["alerts.yml"]  # X-19, beside the config
    assert alerts == (ROOT / "deploy" / "prometheus" / "alerts.yml").read_text()
    assert yaml.safe_load(scrape)["rule_files"] == ["alerts.yml"]
    (job,) = yaml.safe_load(scrape)["scrape_configs"]
    (namespace,) = of_kind(resources, "Namespace")
    assert job["kubernetes_sd_configs"][0]["namespaces"]["names"] == [namespace]
    keep = {
        tuple(r["source_labels"]): r["regex"]
        for r in job["relabel_configs"]
        if r.get("action") == "keep"
    }
    for name in SERVICES:
        deployment = of_kind(resources, "Deployment")[name]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert (
            labels["app.kubernetes.io/component"]
            == keep[("__meta_kubernetes_pod_label_app_kubernetes_io_component",)]
        )
        assert labels["app.kubernetes.io/name"] == name, "the job is the service's name"
        ports = [p["name"] for p in container(deployment)["ports"]]
        assert ports == [keep[("__meta_kubernetes_pod_container_port_name",)]]
    dashboard = config_maps["grafana-dashboard-portal-ops"]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert (
        dashboard["data"]["portal-ops.json"]
        == (ROOT / "deploy" / "grafana" / "dashboards" / "portal-ops.json").read_text()
    )


def _topics() -> dict[str, Resource]:
    return {t["spec"]["topicName"]: t["spec"] for t in topics()}


def test_x_03_every_topic_is_kept_by_three_brokers_and_acknowledged_by_two() -> None:
    """Every topic the services use and its dead-letter topic, and no other; a broker lost
    loses no acknowledged event (the producers send with acks=all)."""
    wanted = {*ALL_TOPICS, *(Topics.dead_letter(topic) for topic in ALL_TOPICS)}
    found = _topics()
    assert set(found) == wanted
    for name, spec in found.items():
        assert spec["replicas"] == 3, name
        assert int(spec["config"]["min.insync.replicas"]) == 2, name
        assert spec["partitions"] >= 1, name


def test_x_14_topic_retention_is_shorter_than_the_markers_that_catch_redeliveries() -> None:
    """A record Kafka may still redeliver always finds its processed-event marker (X-03) and
    notify's delivery-log entry (NT-03): both outlive the topic's retention."""
    day_ms = 24 * 3600 * 1000
    markers = ServiceSettings.model_fields["inbox_retention_days"].default * day_ms
    deliveries = NotifySettings.model_fields["delivery_log_retention_days"].default * day_ms
    for name, spec in _topics().items():
        retention = int(spec["config"]["retention.ms"])
        assert 0 < retention < min(markers, deliveries), name
        assert spec["config"]["cleanup.policy"] == "delete", name
