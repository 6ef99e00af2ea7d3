"""X-05 and X-15 under schemathesis: every operation of every service's OpenAPI document, called
with what schemathesis generates from it, anonymously and as real people, answers no 500, and
every answer (a problem too) conforms to the document: its status and its body.

The five services run as processes, as in production; the people are made through identity's
HTTP API as a portal's people are (``identity_client``). Each (service, role) pair is one test;
schemathesis reports each operation of it as a subtest. Its phases: the documented examples,
coverage (boundaries and negative values of every parameter) and fuzzing (random values); the
stateful phase, which chains calls by the documents' links, is ``test_fuzz_stateful``'s.
Path parameters are fixed to each role's own realm, organisation and user, so that requests
reach past ``REALM_NOT_FOUND`` and ``FORBIDDEN`` into the code behind them; random paths are
``test_http_errors``'s part.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from fuzz_people import CHECKS, Role, people, served_document
from harness import Infra, running_service
from hypothesis import HealthCheck, settings
from identity_client import NOTIFY_PUBLIC

pytestmark = pytest.mark.integration

SERVICES = ("identity", "notify", "audit", "certs", "enroll")
ROLES = ("anonymous", "support", "admin", "business", "member")
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
"""Random cases per operation in the fuzzing phase, beside the examples and coverage cases
(``FUZZ_EXAMPLES``: the fuzzing walk runs a few)."""


@schemathesis.serializer("application/ocsp-request")
def _ocsp_request(ctx: Any, value: Any) -> bytes:
    """certs' OCSP responder takes DER (CT-10): the generated value's bytes, sent as they are,
    so the responder meets garbage of every shape and must answer it as a malformed request."""
    del ctx
    if isinstance(value, bytes):
        return value
    return str(value).encode()


@dataclass(frozen=True)
class Platform:
    urls: dict[str, str]
    roles: dict[str, Role]


@pytest.fixture(scope="module")
def platform(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The five services, and one person per role with the ids their routes take
    (``fuzz_people`` says whom each role's calls may touch)."""
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
    headers = caller.headers_for(
        case.operation.method, case.operation.path, platform.urls["identity"]
    )
    service = SERVICE_TITLES[case.operation.schema.raw_schema["info"]["title"]]
    for name, value in caller.path_parameters.items():
        if name in case.path_parameters:
            case.path_parameters[name] = value
    if service == "enroll" and "realm" in case.path_parameters:
        case.path_parameters["realm"] = "kencom"  # enrolment is kencom's (SPEC section 6)
    case.call_and_validate(
        base_url=platform.urls[service], headers=headers, checks=CHECKS, timeout=30
    )
