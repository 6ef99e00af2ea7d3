"""Traces across Kafka in one process (X-20): what a consumer does with a record's context, what
a commit keeps of the work that wrote it, and what a log line says of the active span."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from factories import status_changed
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_trace_id

from contracts import Event
from servicekit import traces
from servicekit.bus import DeadLetters, Received, _handle, each
from servicekit.logs import add_trace_ids
from servicekit.stored_event import StoredEvent

#: A traceparent as another service's relay would send it: trace 0af7…, span b7ad…, sampled.
REMOTE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@dataclass
class Record:
    """What the bus reads of an aiokafka record."""

    headers: Sequence[tuple[str, bytes]] | None
    value: bytes = b""
    topic: str = "t.identity.events"
    partition: int = 0
    offset: int = 0
    key: bytes = b""


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """servicekit's spans, kept in memory (the process's own provider restored after)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(traces._Tracing, "provider", None)
    monkeypatch.setattr(traces._Tracing, "tracer", trace.NoOpTracer())
    traces.use(provider)
    yield exporter
    provider.shutdown()


async def consume(records: list[tuple[Event, Record]], handler: Any) -> None:
    received = [Received(record, event, None) for event, record in records]
    await _handle(received, handler, DeadLetters(None, "test"), "audit")  # type: ignore[arg-type]


def consumer_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CONSUMER]


async def test_x_20_a_consumed_event_without_headers_starts_a_new_trace(
    spans: InMemorySpanExporter,
) -> None:
    event = status_changed("u-1", 0)
    seen: list[str | None] = []

    async def handler(events: Sequence[Event]) -> None:
        seen.extend(traces.trace_id_of(e) for e in events)

    await consume([(event, Record(headers=None))], handler)

    [span] = consumer_spans(spans)
    assert span.parent is None, "no context came with the record: the consumer's span is a root"
    assert span.context is not None
    assert seen == [format_trace_id(span.context.trace_id)]
    assert span.attributes is not None
    assert span.attributes["messaging.message.id"] == str(event.event_id)


async def test_x_20_a_consumed_event_continues_the_trace_in_its_headers(
    spans: InMemorySpanExporter,
) -> None:
    event = status_changed("u-1", 0)
    lines: list[dict[str, Any]] = []

    async def handler(got: Event) -> None:
        lines.append(add_trace_ids(None, "info", {"event": "handled"}))

    await consume([(event, Record(headers=[("traceparent", REMOTE.encode())]))], each(handler))

    [span] = consumer_spans(spans)
    assert span.parent is not None and span.parent.is_remote
    assert format_trace_id(span.parent.trace_id) == REMOTE.split("-")[1]
    assert lines[0]["trace_id"] == REMOTE.split("-")[1], "the handler's log line names the trace"


async def test_x_20_a_batch_of_several_traces_gives_each_event_its_own(
    spans: InMemorySpanExporter,
) -> None:
    first, second = status_changed("u-1", 0), status_changed("u-2", 0)
    ids: dict[str, str | None] = {}

    async def handler(events: Sequence[Event]) -> None:
        with traces.spans_for("audit record write", events):
            ids.update({e.subject_id: traces.trace_id_of(e) for e in events})

    await consume(
        [
            (first, Record(headers=[("traceparent", REMOTE.encode())])),
            (second, Record(headers=None)),
        ],
        handler,
    )

    assert ids["u-1"] == REMOTE.split("-")[1]
    assert ids["u-2"] not in (None, ids["u-1"]), "a record without context: a trace of its own"
    writes = [s for s in spans.get_finished_spans() if s.name == "audit record write"]
    assert {format_trace_id(s.context.trace_id) for s in writes if s.context} == set(ids.values())


def test_x_20_a_commit_keeps_the_trace_that_wrote_it_and_the_relay_reads_it_back() -> None:
    provider = TracerProvider()
    with provider.get_tracer("t").start_as_current_span("request") as request:
        kept = traces.current_traceparent()
    assert kept is not None
    assert kept.split("-")[1] == format_trace_id(request.get_span_context().trace_id)
    stored = StoredEvent.of(status_changed("u-1", 0))
    read = StoredEvent.from_document(stored.to_document(), kept)
    assert read.traceparent == kept
    assert StoredEvent.from_document(stored.to_document()).traceparent is None


def test_x_20_a_log_line_outside_any_span_names_no_trace() -> None:
    assert "trace_id" not in add_trace_ids(None, "info", {"event": "idle"})
