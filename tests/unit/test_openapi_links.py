"""X-08: each service's OpenAPI document is valid OpenAPI, and its links (``servicekit.links``)
name operations and parameters that exist, so that API readers and schemathesis's stateful
phase (tests/integration/test_fuzz_stateful.py) can follow them."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
import schemathesis
from fuzz_people import served_document

from servicekit.links import link, operation_ref

SERVICES = ("identity", "notify", "audit", "certs", "enroll")


@pytest.mark.parametrize("service", SERVICES)
def test_x_08_each_service_serves_a_valid_openapi_document(service: str) -> None:
    schemathesis.openapi.from_dict(served_document(service)).validate()


@pytest.mark.parametrize("service", ["identity", "enroll"])
def test_x_08_every_link_names_an_operation_and_its_parameters(service: str) -> None:
    """Each link's target exists, and so does each parameter and body field it sets (a name
    schemathesis would set on a request unnoticed); building the state machine resolves them
    all again (schemathesis's ``InvalidStateMachine``)."""
    document = served_document(service)
    found = 0
    for operations in document["paths"].values():
        for operation in operations.values():
            for response in operation["responses"].values():
                for name, target in response.get("links", {}).items():
                    found += 1
                    _assert_resolves(document, name, target)
    assert found, "the service documents where its answers lead"
    machine = schemathesis.openapi.from_dict(document).as_state_machine()
    assert machine.bundles, "each link's answer feeds the operations it names"


def _assert_resolves(document: dict[str, Any], name: str, target: dict[str, Any]) -> None:
    pointer, _, method = target["operationRef"].rpartition("/")
    path = unquote(pointer.removeprefix("#/paths/")).replace("~1", "/").replace("~0", "~")
    operation = document["paths"][path][method]
    declared = {f"{p['in']}.{p['name']}" for p in operation.get("parameters", [])}
    assert set(target.get("parameters", {})) <= declared, f"{name}: {declared}"
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = body.get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    fields = set(schema.get("properties", {}))
    assert set(target.get("requestBody", {})) <= fields, f"{name}: {fields}"


def test_x_08_an_operation_is_named_by_its_path_and_method() -> None:
    assert operation_ref("GET", "/v1/realms/{realm}/orgs/{org_id}") == (
        "#/paths/~1v1~1realms~1%7Brealm%7D~1orgs~1%7Borg_id%7D/get"
    )
    assert link("post", "/a~b", "why", body={"x": "$response.body#/x"}) == {
        "operationRef": "#/paths/~1a~0b/post",
        "description": "why",
        "requestBody": {"x": "$response.body#/x"},
    }
