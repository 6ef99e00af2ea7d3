"""X-05 and X-15 under schemathesis: every operation of every service's OpenAPI document, called
with what schemathesis generates from it, anonymously and as real people, answers no 500, and
every answer (a problem too) conforms to the document: its status and its body.

The five services run as processes, as in production; the people are made through identity's
HTTP API as a portal's people are (``identity_client``). Each (service, role) pair is one test;
schemathesis reports each operation of it as a subtest. Its phases: the documented examples,
coverage (boundaries and negative values of every parameter) and fuzzing (random values); the
stateful phase is left out (its chains of calls would cost minutes and reach nothing new here).
Path parameters are fixed to each role's own realm, organisation and user, so that requests
reach past ``REALM_NOT_FOUND`` and ``FORBIDDEN`` into the code behind them; random paths are
``test_http_errors``'s part.
"""

from __future__ import annotations

import asyncio
import importlib
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from harness import Infra, Namespace, ServiceProcess, running_service
from hypothesis import HealthCheck, settings
from identity_client import (
    NEW_PASSWORD,
    NOTIFY_PUBLIC,
    bearer,
    create_user,
    log_in,
    new_org,
    opened,
    ready_admin,
    signed_in,
    support_session,
    token_of,
    user_events,
)
from pymongo import AsyncMongoClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.integration

SERVICES = ("identity", "notify", "audit", "certs", "enroll")
ROLES = ("anonymous", "support", "admin", "business", "member")
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
MAX_EXAMPLES = 10
"""Random cases per operation in the fuzzing phase, beside the examples and coverage cases."""


@schemathesis.serializer("application/ocsp-request")
def _ocsp_request(ctx: Any, value: Any) -> bytes:
    """certs' OCSP responder takes DER (CT-10): the generated value's bytes, sent as they are,
    so the responder meets garbage of every shape and must answer it as a malformed request."""
    del ctx
    if isinstance(value, bytes):
        return value
    return str(value).encode()


@dataclass(frozen=True)
class Role:
    """Whom schemathesis calls as: a session (or none) and the path it belongs on."""

    token: str
    realm: str
    org_id: str
    user_id: str
    login_id: str = ""
    """Who the session is, to log in again for a session of its own to end (logout)."""

    def headers(self) -> dict[str, str]:
        return bearer(self.token) if self.token else {}

    def another_session(self, identity_url: str) -> dict[str, str]:
        """A second session of the same person: logout ends it, not the one the role's other
        calls need."""
        if not self.token:
            return {}
        realm = "mypage" if self.realm == "mypage" else "demo"
        return bearer(token_of(log_in(identity_url, realm, self.login_id, NEW_PASSWORD)))

    @property
    def path_parameters(self) -> dict[str, str]:
        return {"realm": self.realm, "org_id": self.org_id, "user_id": self.user_id}


@dataclass(frozen=True)
class Platform:
    urls: dict[str, str]
    roles: dict[str, Role]


@pytest.fixture(scope="module")
def platform(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The five services, and one person per role with the ids their routes take.

    Each role's path points at people no other role's calls can touch: support manages an
    admin nobody logs in as, the admin a business user nobody logs in as, so that no role's
    fuzzing ends another role's session (a disabled or reset user's sessions end, ID-SESS-01).
    Logout ends a second session of the same person, for the same reason.
    """
    logs = tmp_path_factory.mktemp("fuzz")
    with ExitStack() as stack:
        identity, ns = stack.enter_context(
            running_service("identity", infra, logs, notify_public_key=NOTIFY_PUBLIC)
        )
        sealing = {"enroll": {"notify_public_key": NOTIFY_PUBLIC}}  # sign-ups mail a link
        others = {
            name: stack.enter_context(
                running_service(
                    name, infra, logs, identity_url=identity.url, **sealing.get(name, {})
                )
            )
            for name in SERVICES[1:]
        }
        roles = people(identity, ns, infra)
        yield Platform(
            {"identity": identity.url} | {name: proc.url for name, (proc, _) in others.items()},
            roles,
        )
        for name, role in roles.items():
            if role.token:
                alive = httpx.get(
                    f"{identity.url}/v1/sessions/current", headers=role.headers(), timeout=30
                )
                assert alive.status_code == 200, (
                    f"{name}'s session ended while it was fuzzed, so later calls stopped at 401"
                )


def people(identity: ServiceProcess, ns: Namespace, infra: Infra) -> dict[str, Role]:
    url = identity.url
    admin, org = ready_admin(url)
    managed = create_user(url, "demo", org["org_id"], admin, f"XA5{uuid.uuid4().hex[:8]}")
    business_login = f"XA5{uuid.uuid4().hex[:8]}"
    business = create_user(url, "demo", org["org_id"], admin, business_login).json()
    support, operator = support_session(identity, "demo")
    other_org = new_org(url, "demo", f"XA3{uuid.uuid4().hex[:8]}")
    member_id, member_login, member = asyncio.run(a_member(identity, ns, infra))
    return {
        "anonymous": Role("", "dantai-net", org["org_id"], managed.json()["user_id"]),
        "support": Role(
            support, "demo", other_org["org_id"], other_org["admin_user_id"], operator["login_id"]
        ),
        "admin": Role(
            admin, "demo", org["org_id"], managed.json()["user_id"], org["admin_login_id"]
        ),
        "business": Role(
            signed_in(url, "demo", business_login, business["initial_password"]),
            "demo",
            org["org_id"],
            managed.json()["user_id"],
            business_login,
        ),
        "member": Role(member, "mypage", org["org_id"], member_id, member_login),
    }


async def a_member(identity: ServiceProcess, ns: Namespace, infra: Infra) -> tuple[str, str, str]:
    """A `mypage` member registered by support, signed in with the password mailed to it."""
    support, _ = support_session(identity, "mypage")
    login_id = f"member-{uuid.uuid4().hex[:8]}"
    registered = httpx.post(
        f"{identity.url}/v1/realms/mypage/members",
        json={"login_id": login_id, "profile": {"name": "共済太郎", "email": "m@example.jp"}},
        headers=bearer(support),
        timeout=30,
    )
    assert registered.status_code == 201, registered.text
    user_id = registered.json()["user_id"]
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri)
    try:
        [issued] = await user_events(mongo, ns, "mypage", user_id, "InitialPasswordIssued")
    finally:
        await mongo.close()
    password = opened(issued, "sealed_password")
    return user_id, login_id, signed_in(identity.url, "mypage", login_id, password)


def served_document(service: str) -> dict[str, Any]:
    """The OpenAPI document a service serves, built in this process from the same code, so that
    schemathesis can make one test per operation when pytest collects this module."""
    app = importlib.import_module(f"services.{service}.app")
    document: dict[str, Any] = app.create_app().openapi()
    return document


SCHEMAS = {
    service: schemathesis.openapi.from_dict(
        served_document(service),
        config=schemathesis.Config.from_dict({"phases": {"stateful": {"enabled": False}}}),
    )
    for service in SERVICES
}

SERVICE_TITLES = {schema.raw_schema["info"]["title"]: name for name, schema in SCHEMAS.items()}


def test_x_08_each_service_serves_the_document_fuzzed_here(platform: Platform) -> None:
    for service, url in platform.urls.items():
        assert httpx.get(f"{url}/openapi.json", timeout=30).json() == SCHEMAS[service].raw_schema


@schemathesis.pytest.parametrize(**SCHEMAS)
@pytest.mark.parametrize("role", ROLES)
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_x_05_every_operation_answers_as_documented_and_never_a_500(
    case: schemathesis.Case, role: str, platform: Platform
) -> None:
    caller = platform.roles[role]
    headers = caller.headers()
    if case.operation.path == "/v1/logout":
        headers = caller.another_session(platform.urls["identity"])
    service = SERVICE_TITLES[case.operation.schema.raw_schema["info"]["title"]]
    for name, value in caller.path_parameters.items():
        if name in case.path_parameters:
            case.path_parameters[name] = value
    if service == "enroll" and "realm" in case.path_parameters:
        case.path_parameters["realm"] = "kencom"  # enrolment is kencom's (SPEC section 6)
    case.call_and_validate(
        base_url=platform.urls[service], headers=headers, checks=CHECKS, timeout=30
    )
