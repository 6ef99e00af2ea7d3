"""Both overlays render, and every resource they render is valid Kubernetes (X-16: the way the
platform runs as replicas on a cluster is a file that a cluster would accept).

Checked offline against the schemas ``kubernetes-validate`` ships, of Kubernetes 1.35, in their
strict form (an unknown field, such as a misspelt ``readinessProbe``, is an error). 1.35: the
oldest minor still maintained upstream when this was written (December 2026); everything used
(apps/v1, autoscaling/v2, policy/v1, networking.k8s.io/v1) is GA since 1.23, so a newer cluster
takes them as they are, and an older one must not be what an insurer runs.

Strimzi's ``KafkaTopic`` is a custom resource the schemas do not know: its shape is checked here
against Strimzi's v1beta2 ``KafkaTopicSpec`` (the fields and types used), and it is the only
kind allowed to skip ``kubernetes-validate``.
"""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
from kubernetes_manifests import OVERLAYS, Resource, render, topics

KUBERNETES_VERSION = "1.35.0"
CUSTOM_KINDS = {("kafka.strimzi.io/v1beta2", "KafkaTopic")}
"""Kinds outside Kubernetes' schemas, each checked by a test of its own below."""


def _validate(resource: Resource) -> None:
    kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_x_16_every_rendered_resource_passes_the_kubernetes_schemas(overlay: str) -> None:
    resources = render(overlay)
    assert {"Deployment", "Service", "NetworkPolicy", "PodDisruptionBudget"} <= {
        r["kind"] for r in resources
    }
    problems = []
    for resource in resources:
        assert (resource["apiVersion"], resource["kind"]) not in CUSTOM_KINDS
        try:
            _validate(resource)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{resource['kind']}/{resource['metadata']['name']}: {error}")
    assert not problems, "\n".join(problems)


def test_x_16_the_schema_check_refuses_what_a_cluster_would() -> None:
    """The check can fail: a misspelt field and a wrong type are refused."""
    deployment = next(r for r in render("production") if r["kind"] == "Deployment")
    misspelt: dict[str, Any] = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(misspelt)
    wrong: dict[str, Any] = {**deployment, "spec": {**deployment["spec"], "replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(wrong)


TOPIC_SPEC = {"topicName": str, "partitions": int, "replicas": int, "config": dict}
"""Strimzi v1beta2 KafkaTopicSpec: the fields the portal uses, and their types."""


def test_x_16_kafka_topics_are_strimzi_kafka_topics() -> None:
    found = topics()
    assert found, "deploy/kubernetes/topics renders nothing"
    for topic in found:
        assert (topic["apiVersion"], topic["kind"]) in CUSTOM_KINDS, topic["kind"]
        metadata = topic["metadata"]
        assert set(metadata) <= {"name", "labels", "annotations"}, metadata
        assert metadata["labels"]["strimzi.io/cluster"], "names the Kafka cluster it belongs to"
        spec = topic["spec"]
        assert set(spec) <= set(TOPIC_SPEC), (
            f"{metadata['name']}: unknown {set(spec) - set(TOPIC_SPEC)}"
        )
        for field, kind in TOPIC_SPEC.items():
            assert isinstance(spec[field], kind), f"{metadata['name']}.{field}: {spec[field]!r}"
        assert all(isinstance(value, (str, int)) for value in spec["config"].values())
