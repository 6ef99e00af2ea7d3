"""One trace from the HTTP request to the mail and the access record (X-20), on real processes.

Identity, notify and audit run as in production, each exporting its spans by OTLP/HTTP to a
collector in this test (as they would to Jaeger). Each request carries a ``traceparent`` the
test made, as a gateway or a browser's instrumentation would, so the test knows the trace id to
look for; everything else (the commit, the relay, the Kafka headers, the consumers) carries it
on by itself.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from harness import PROVISIONING, REPO, Infra, Namespace, ServiceProcess, eventually
from identity_client import new_org
from mail_catchers import Mailpit, new_address
from mail_events import PRIVATE_KEY, PUBLIC_KEY
from otlp_collector import CollectedSpan, Collector, otlp_collector
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration

LOGIN = "/v1/realms/demo/login"


@pytest.fixture
def collector() -> Iterator[Collector]:
    """Requested before ``services``, so it outlives them: their last spans find it at stop."""
    with otlp_collector() as started:
        yield started


def new_traceparent() -> tuple[str, str]:
    """A sampled ``traceparent`` of a new trace, and its trace id."""
    trace_id = secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-01", trace_id


def start_three(services: Any, endpoint: str) -> dict[str, ServiceProcess]:
    """Identity, notify and audit, each sending its spans to ``endpoint`` (OTLP/HTTP)."""
    traced = {"otel_exporter_otlp_endpoint": endpoint, "otel_bsp_schedule_delay": "100"}
    identity = services("identity", notify_public_key=PUBLIC_KEY, **traced)
    return {
        "identity": identity,
        "notify": services("notify", notify_private_key=PRIVATE_KEY, **traced),
        "audit": services("audit", identity_url=identity.url, **traced),
    }


def open_org(identity: ServiceProcess, traceparent: str) -> dict[str, Any]:
    """An organisation opened by the back office, in the trace ``traceparent`` names."""
    r = httpx.post(
        f"{identity.url}/v1/realms/demo/orgs",
        headers={**PROVISIONING, "traceparent": traceparent},
        json={"name": "テスト団体", "admin": {"login_id": f"XA3{uuid.uuid4().hex[:8]}"}},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def locked_in_a_trace(identity: ServiceProcess, org: dict[str, Any]) -> str:
    """Three wrong passwords for the organisation's admin, the third (which locks) in a new
    trace: its trace id."""
    login = {"login_id": org["admin_login_id"], "password": "wrong"}
    for _ in range(2):
        assert httpx.post(f"{identity.url}{LOGIN}", json=login).status_code == 401
    traceparent, trace_id = new_traceparent()
    locking = httpx.post(f"{identity.url}{LOGIN}", json=login, headers={"traceparent": traceparent})
    assert locking.status_code == 423, locking.text
    return trace_id


async def mailed_in_a_trace(identity: ServiceProcess, infra: Infra) -> tuple[dict[str, Any], str]:
    """A new organisation's admin asks for a temporary password in a new trace, and its mail
    arrives: the organisation and the trace id."""
    to = new_address("admin")
    org = new_org(identity.url, "demo", f"XA3{uuid.uuid4().hex[:8]}", {"email": to})
    traceparent, trace_id = new_traceparent()
    asked = httpx.post(
        f"{identity.url}/v1/realms/demo/temporary-password",
        json={"login_id": org["admin_login_id"], "email": to},
        headers={"traceparent": traceparent},
    )
    assert asked.status_code == 202, asked.text
    await eventually(lambda: Mailpit(infra.mailpit_url).mails_to(to), timeout=30)
    return org, trace_id


def has(spans: list[CollectedSpan], service: str, name: str) -> bool:
    return any(s.service == service and s.name == name for s in spans)


def log_lines_of(proc: ServiceProcess, trace_id: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in proc.log_path.read_text().splitlines() if "{" in line]
    return [line for line in lines if line.get("trace_id") == trace_id]


async def access_records(
    infra: Infra, ns: Namespace, subject_id: str, event_type: str
) -> list[dict[str, Any]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    try:
        found = client[ns.database("audit")]["access_records"].find(
            {"subject_id": subject_id, "event_type": event_type}
        )
        return await found.to_list()
    finally:
        await client.close()


def one_trace_of(collector: Collector, trace_id: str, wanted: list[tuple[str, str]]) -> Any:
    def complete() -> list[CollectedSpan] | None:
        spans = collector.trace(trace_id)
        return spans if all(has(spans, service, name) for service, name in wanted) else None

    return complete


async def test_x_20_a_login_that_locks_is_one_trace_from_the_request_to_the_access_record(
    collector: Collector, services: Any, infra: Infra, ns: Namespace
) -> None:
    procs = start_three(services, collector.url)
    identity = procs["identity"]
    org_traceparent, org_trace_id = new_traceparent()
    org = open_org(identity, org_traceparent)
    trace_id = locked_in_a_trace(identity, org)

    spans = await eventually(
        one_trace_of(
            collector,
            trace_id,
            [
                ("identity", "POST /v1/realms/{realm}/login"),
                ("identity", "relay publish"),
                ("notify", "mail consume"),
                ("audit", "access-history consume"),
                ("audit", "audit record write"),
            ],
        ),
        timeout=60,
    )
    by_id = {s.span_id: s for s in spans}
    for consumed in [s for s in spans if s.name.endswith(" consume")]:
        relayed = by_id[consumed.parent_span_id]
        assert (relayed.service, relayed.name) == ("identity", "relay publish"), (
            "each consumer's span is a child of the relay's publish span of its record"
        )
        assert relayed.attributes["messaging.destination.name"] == "identity.events"
        assert by_id[relayed.parent_span_id].service == "identity", "and that of the request's"
    assert any(s.service == "identity" and s.name.endswith("_identity.insert") for s in spans), (
        "the request's database commands (the commit) are in the trace"
    )

    [locked] = await access_records(infra, ns, org["admin_user_id"], "AccountLocked")
    assert locked["trace_id"] == trace_id, "the access record names the login's trace"
    recorded = log_lines_of(procs["audit"], trace_id)
    assert any(line["event"] == "recording access" for line in recorded)
    opened = log_lines_of(procs["identity"], org_trace_id)
    assert [line["event"] for line in opened] == ["organisation opened"], (
        "identity's line of the request that opened the organisation names that request's trace"
    )


async def test_x_20_a_mailed_temporary_password_is_one_trace_to_the_smtp_send(
    collector: Collector, services: Any, infra: Infra, ns: Namespace
) -> None:
    procs = start_three(services, collector.url)
    identity = procs["identity"]
    org, trace_id = await mailed_in_a_trace(identity, infra)

    spans = await eventually(
        one_trace_of(
            collector,
            trace_id,
            [
                ("identity", "POST /v1/realms/{realm}/temporary-password"),
                ("identity", "relay publish"),
                ("notify", "mail consume"),
                ("notify", "smtp send"),
                ("audit", "audit record write"),
            ],
        ),
        timeout=60,
    )
    [sent] = [s for s in spans if s.name == "smtp send"]
    consume = {s.span_id for s in spans if s.service == "notify" and s.name == "mail consume"}
    assert sent.parent_span_id in consume, "the mail is sent in the consumer's span of its event"
    [issued] = await access_records(infra, ns, org["admin_user_id"], "TemporaryPasswordIssued")
    assert issued["trace_id"] == trace_id
    mailed = log_lines_of(procs["notify"], trace_id)
    assert any(line["event"] == "mail sent" for line in mailed), "notify's line names the trace"


def trace_tool() -> ModuleType:
    """``deploy/local/trace.py``, the operator's view of a trace (a script, not a package)."""
    spec = importlib.util.spec_from_file_location("trace_tool", REPO / "deploy/local/trace.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["trace_tool"] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


def jaeger_of(infra: Infra) -> str:
    if not (infra.jaeger_url and infra.otlp_endpoint):
        pytest.fail(f"the infrastructure ({infra.source}) names no Jaeger: JAEGER_URL is unset")
    return infra.jaeger_url


async def read_back(jaeger_url: str, trace_id: str, wanted: list[tuple[str, str]]) -> list[Any]:
    """The trace from Jaeger's query API once it holds every span ``wanted``, checked as the
    operator's tree prints it: the request at the root, every consumer's span under the publish
    of its record (the relay's, under the request that committed, or a consumer's own)."""
    tool = trace_tool()

    def complete() -> list[Any] | None:
        spans = tool.fetch(jaeger_url, trace_id)
        seen = {(s.service, s.operation) for s in spans}
        return spans if all(w in seen for w in wanted) else None

    spans: list[Any] = await eventually(complete, timeout=60)
    lines = tool.tree(spans)
    assert lines[0].endswith(f"{wanted[0][0]}: {wanted[0][1]}"), "the request is the root"
    assert len(lines) == len(spans), "every span is in the tree, under its parent"
    by_id = {s.span_id: s for s in spans}
    for consumed in [s for s in spans if s.operation.endswith(" consume")]:
        published = by_id[consumed.parent_id]  # the relay's, or a consumer's own (MailSent)
        assert published.operation in ("relay publish", "publish"), published
    relayed = [s for s in spans if s.operation == "relay publish"]
    assert relayed, "the commit's events went out through the relay"
    for one in relayed:
        assert by_id[one.parent_id].service == "identity", "under the request that committed"
    return spans


async def test_x_20_a_locked_logins_trace_reads_back_from_jaeger(
    services: Any, infra: Infra, ns: Namespace
) -> None:
    """The same locking login, exported to the infrastructure's Jaeger (v2, built by infra.sh,
    as ``make up`` runs it) and read back through its query API, as an operator would, by the
    trace id its access record names."""
    jaeger_url = jaeger_of(infra)
    identity = start_three(services, infra.otlp_endpoint)["identity"]
    org = open_org(identity, new_traceparent()[0])
    trace_id = locked_in_a_trace(identity, org)
    [locked] = await eventually(
        lambda: access_records(infra, ns, org["admin_user_id"], "AccountLocked"), timeout=30
    )
    assert locked["trace_id"] == trace_id
    wanted = [
        ("identity", "POST /v1/realms/{realm}/login"),
        ("identity", "relay publish"),
        ("notify", "mail consume"),
        ("audit", "access-history consume"),
        ("audit", "audit record write"),
    ]
    await read_back(jaeger_url, trace_id, wanted)


async def test_x_20_a_mailed_temporary_passwords_trace_reads_back_from_jaeger(
    services: Any, infra: Infra, ns: Namespace
) -> None:
    """A lock asks for no mail; a temporary password does: its trace in Jaeger runs from the
    request to notify's SMTP send and audit's record."""
    jaeger_url = jaeger_of(infra)
    identity = start_three(services, infra.otlp_endpoint)["identity"]
    _, trace_id = await mailed_in_a_trace(identity, infra)
    wanted = [
        ("identity", "POST /v1/realms/{realm}/temporary-password"),
        ("identity", "relay publish"),
        ("notify", "mail consume"),
        ("notify", "smtp send"),
        ("audit", "audit record write"),
    ]
    spans = await read_back(jaeger_url, trace_id, wanted)
    [sent] = [s for s in spans if s.operation == "smtp send"]
    assert next(s for s in spans if s.span_id == sent.parent_id).operation == "mail consume"


def test_x_20_the_collector_reads_what_it_is_sent(tmp_path: Path) -> None:
    """The test's own collector decodes an exporter's request (else the tests above prove
    nothing about the services)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    with otlp_collector() as collector:
        provider = TracerProvider(resource=Resource.create({"service.name": "probe"}))
        provider.add_span_processor(
            SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{collector.url}/v1/traces"))
        )
        with provider.get_tracer("t").start_as_current_span("probe span") as span:
            trace_id = f"{span.get_span_context().trace_id:032x}"
        provider.shutdown()
        [got] = collector.trace(trace_id)
    assert (got.service, got.name) == ("probe", "probe span")
