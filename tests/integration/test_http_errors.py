"""X-05 on the running identity service: whatever a client sends, the answer is a 2xx or a
4xx problem+json with a code and a Japanese title, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from harness import PROVISIONING, Namespace, ServiceProcess, running_service
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from identity_client import create_user, ready_admin, support_session

from contracts import generate_keypair

pytestmark = pytest.mark.integration

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
org_like = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=120) | json_values,
        "admin": st.fixed_dictionaries(
            {},
            optional={
                "login_id": st.text(max_size=300) | json_values,
                "profile": st.dictionaries(
                    st.sampled_from(["name", "email", "phone", "department", "title", "x"]),
                    st.text(max_size=120) | json_values,
                    max_size=5,
                ),
            },
        )
        | json_values,
        "extra": json_values,
    },
)
realms = st.sampled_from(["demo", "nexi", "UPPER", "a" * 41, "%00", "..", "kencom"])


def assert_problem_or_success(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"].isupper()
        assert body["title"]
        assert body["status"] == response.status_code


@pytest.fixture(scope="module")
def identity_url(request: pytest.FixtureRequest) -> Any:

    infra = request.getfixturevalue("infra")
    tmp = request.getfixturevalue("tmp_path_factory").mktemp("http-errors")
    proc = ServiceProcess("identity", infra, Namespace(), tmp).start()
    yield proc.url
    proc.stop()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(realm=realms, body=org_like | json_values)
def test_x_05_any_json_body_gets_success_or_a_problem_never_a_500(
    identity_url: str, realm: str, body: Any
) -> None:
    response = httpx.post(
        f"{identity_url}/v1/realms/{realm}/orgs", json=body, headers=PROVISIONING, timeout=10
    )
    assert_problem_or_success(response)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(["application/json", "text/plain", "", "application/xml"]),
)
def test_x_05_any_bytes_get_a_problem_never_a_500(
    identity_url: str, raw: bytes, content_type: str
) -> None:
    response = httpx.post(
        f"{identity_url}/v1/realms/demo/orgs",
        content=raw,
        headers=PROVISIONING | {"content-type": content_type},
        timeout=10,
    )
    assert_problem_or_success(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/realms/demo/orgs/zz"),
        ("DELETE", "/v1/realms/demo/orgs"),
        ("GET", "/nope"),
        ("PUT", "/healthz"),
    ],
)
def test_x_05_unknown_routes_and_methods_are_problems(
    identity_url: str, method: str, path: str
) -> None:
    response = httpx.request(method, f"{identity_url}{path}", timeout=10)
    assert 400 <= response.status_code < 500
    assert_problem_or_success(response)
    assert json.loads(response.text)["title"]


@pytest.fixture(scope="module")
def signed_in_identity(
    infra: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """Identity with the people who reach the deeper code: an admin with a business user, a
    support operator, and the ids their routes take."""

    public, _ = generate_keypair()
    with running_service(
        "identity", infra, tmp_path_factory.mktemp("every-route"), notify_public_key=public
    ) as (proc, _):
        admin, org = ready_admin(proc.url, profile={"email": "a@example.jp", "phone": "03-1"})
        user = create_user(proc.url, "demo", org["org_id"], admin, "XA5every").json()
        support, _ = support_session(proc)
        tokens = {"admin": admin, "support": support, "none": "", "junk": "x" * 43}
        ids = {"org_id": org["org_id"], "user_id": user["user_id"]}
        yield proc.url, tokens, ids


def identity_routes() -> list[tuple[str, str, list[str]]]:
    """Every operation in identity's OpenAPI document: method, path, body property names."""
    from services.identity.app import create_app

    document = create_app().openapi()
    routes = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path == "/v1/logout":
                continue  # it would end the sessions every other example needs
            schema = (
                operation.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
            )
            if "$ref" in schema:
                schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            routes.append((method.upper(), path, sorted(schema.get("properties", {}))))
    return routes


ROUTES = identity_routes()


@st.composite
def requests_to_any_route(draw: st.DrawFn, ids: dict[str, str]) -> tuple[str, str, Any, str]:
    method, template, fields = draw(st.sampled_from(ROUTES))
    values = {
        "realm": draw(st.sampled_from(["demo", "mypage", "nexi", "dantai-net", "kencom", "x"])),
        "org_id": draw(st.sampled_from([ids["org_id"], "0" * 32, "zz"])),
        "user_id": draw(st.sampled_from([ids["user_id"], "f" * 32, "-"])),
        "factor": draw(st.sampled_from(["browser", "auth-email", "x"])),
    }
    path = template.format(**values)
    shaped = st.fixed_dictionaries(
        {}, optional={f: st.text(max_size=60) | json_values for f in fields}
    )
    body = draw(shaped | json_values)
    return method, path, body, draw(st.sampled_from(["admin", "support", "none", "junk"]))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_x_05_every_route_answers_any_body_and_session_with_a_problem_never_a_500(
    signed_in_identity: tuple[str, dict[str, str], dict[str, str]], data: st.DataObject
) -> None:
    url, tokens, ids = signed_in_identity
    method, path, body, who = data.draw(requests_to_any_route(ids))
    headers = {"Authorization": f"Bearer {tokens[who]}"} if tokens[who] else {}
    response = httpx.request(method, f"{url}{path}", json=body, headers=headers, timeout=30)
    assert_problem_or_success(response)
