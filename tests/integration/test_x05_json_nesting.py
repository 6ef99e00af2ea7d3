"""X-05 for JSON nesting on every service: any operation that takes a JSON body, in all five
services' OpenAPI documents, answers arrays and objects nested to any depth (at the root or in
any property, below and past ``json.loads``' recursion) with a success or a problem, never a
500. Identity's decision API reads its body ahead of FastAPI's routing (``api.front``) and
answered 500 past Python's recursion limit; FastAPI's own routes answer 400.

The five services run as processes, as in production; requests carry no session, a session
that is not one, an admin's session, or the back office's token, so they reach the body.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from harness import PROVISIONING, Infra, running_service
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from identity_client import NOTIFY_PUBLIC, bearer, ready_admin

pytestmark = pytest.mark.integration

SERVICES = ("identity", "notify", "audit", "certs", "enroll")
REALMS = {"certs": "kihonet", "enroll": "kencom"}


def json_operations() -> list[tuple[str, str, str, list[str]]]:
    """(service, method, path, body property names) of every operation with a JSON body."""
    found = []
    for service in SERVICES:
        document = importlib.import_module(f"services.{service}.app").create_app().openapi()
        schemas = document.get("components", {}).get("schemas", {})
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                content = operation.get("requestBody", {}).get("content", {})
                if "application/json" not in content:
                    continue
                schema = content["application/json"].get("schema", {})
                if "$ref" in schema:
                    schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
                properties = sorted(schema.get("properties", {}))
                found.append((service, method.upper(), path, properties))
    return found


OPERATIONS = json_operations()


@pytest.fixture(scope="module")
def platform(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The five services' URLs, and the values of the paths' parameters."""
    logs = tmp_path_factory.mktemp("nesting")
    with ExitStack() as stack:
        identity, _ = stack.enter_context(
            running_service("identity", infra, logs, notify_public_key=NOTIFY_PUBLIC)
        )
        urls = {"identity": identity.url}
        for name in SERVICES[1:]:
            sealing = {"notify_public_key": NOTIFY_PUBLIC} if name == "enroll" else {}
            proc, _ = stack.enter_context(
                running_service(name, infra, logs, identity_url=identity.url, **sealing)
            )
            urls[name] = proc.url
        admin, org = ready_admin(identity.url)
        yield urls, {"admin": admin, "org_id": org["org_id"], "user_id": org["admin_user_id"]}


def nested(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a": ' * depth + b"1" + b"}" * depth


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_x_05_json_nested_to_any_depth_gets_a_problem_never_a_500(
    platform: tuple[dict[str, str], dict[str, str]], data: st.DataObject
) -> None:
    urls, ids = platform
    service, method, template, properties = data.draw(st.sampled_from(OPERATIONS))
    depth = data.draw(
        st.integers(1, 3000) | st.sampled_from([200, 255, 256, 999, 1000, 1001, 100_000])
    )
    value = nested(depth, data.draw(st.sampled_from(["array", "object"])))
    where = data.draw(st.sampled_from([None, *properties]))
    body = value if where is None else b'{"' + where.encode() + b'": ' + value + b"}"
    headers = {"content-type": "application/json"} | data.draw(
        st.sampled_from(
            [{}, bearer("not-a-session"), bearer(ids["admin"]), PROVISIONING]  # type: ignore[list-item]
        )
    )
    values = {"realm": REALMS.get(service, "demo"), "org_id": ids["org_id"]}
    path = re.sub(r"{(\w+)[^}]*}", lambda m: values.get(m.group(1), ids["user_id"]), template)
    answer = httpx.request(
        method, f"{urls[service]}{path}", content=body, headers=headers, timeout=60
    )
    assert answer.status_code < 500, (service, method, template, where, depth, answer.text)
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json"
        problem: dict[str, Any] = answer.json()
        assert problem["code"].isupper() and problem["title"]
