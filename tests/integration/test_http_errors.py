"""X-05 on the running identity service: whatever a client sends, the answer is a 2xx or a
4xx problem+json with a code and a Japanese title, never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    from harness import Namespace, ServiceProcess

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
    response = httpx.post(f"{identity_url}/v1/realms/{realm}/orgs", json=body, timeout=10)
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
        headers={"content-type": content_type},
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
