"""Traces across Kafka (X-20): one trace from the HTTP request to the mail and the access record.

OpenTelemetry, wired once per process by the runtime (:func:`configure_tracing`):

- the HTTP request is a server span (FastAPI's instrumentation), every database command a child
  span (PyMongo's instrumentation, a command listener, which the async client calls too);
- a commit keeps the ``traceparent`` of the work that wrote it (``VersionedStore.append``), so
  the relay, which publishes later, maybe in another task or replica, publishes each event in
  a "relay publish" span of the *originating* trace and puts that span's ``traceparent`` in the
  record's Kafka headers (W3C trace context);
- each consumer starts one span per record, a child of the context in its headers (a record
  without one starts a new trace), and runs its handling in it (:class:`Consuming`);
- log lines carry ``trace_id`` and ``span_id`` (``servicekit.logs``), audit's access records
  their event's ``trace_id``.

Why manual spans at Kafka and not the aiokafka instrumentation: the consumers read batches of
raw records through FastStream (``servicekit.bus``), and the relay must publish in the context
the commit kept, not in the one current when it sends.

Without an exporter endpoint the sampler records nothing: spans are non-recording, but their
trace ids are still made and propagated, so logs and records carry them at next to no cost.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, Protocol

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagators.textmap import DefaultGetter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased
from opentelemetry.trace import Link, Span, SpanKind, format_span_id, format_trace_id
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from contracts import Event

TRACEPARENT = "traceparent"
"""The W3C header (and commit field) that carries a trace's context."""

_PROPAGATOR = TraceContextTextMapPropagator()
_GETTER: DefaultGetter = DefaultGetter()


class TracingSettings(Protocol):
    """What :func:`configure_tracing` reads (``ServiceSettings`` has it)."""

    @property
    def service_name(self) -> str: ...

    @property
    def otel_exporter_otlp_endpoint(self) -> str: ...

    @property
    def trace_sampling_ratio(self) -> float: ...


class _Tracing:
    """The process's tracer provider: one per process, like the logging configuration."""

    provider: TracerProvider | None = None
    tracer: trace.Tracer = trace.NoOpTracer()


def configure_tracing(settings: TracingSettings) -> TracerProvider:
    """The process's tracer provider, made on first call (later calls get the same one).

    With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans go there by OTLP/HTTP in batches, sampled
    at ``TRACE_SAMPLING_RATIO`` at the trace's root and as their parent was below it. Without,
    nothing is recorded or exported, but trace ids are still made for logs and records.
    """
    if _Tracing.provider is not None:
        return _Tracing.provider
    endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/")
    sampler = ParentBased(TraceIdRatioBased(settings.trace_sampling_ratio)) if endpoint else None
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.service_name}),
        sampler=sampler or ALWAYS_OFF,
    )
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))
        )
    use(provider)
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

    # A global command listener: every client made from here on reports its commands as spans.
    PymongoInstrumentor().instrument(tracer_provider=provider)
    return provider


def use(provider: TracerProvider) -> None:
    """Make ``provider`` the one servicekit's spans go to (tests give one that keeps them)."""
    _Tracing.provider = provider
    _Tracing.tracer = provider.get_tracer("servicekit")


def tracer() -> trace.Tracer:
    return _Tracing.tracer


def flush(timeout_millis: int = 5000) -> None:
    """Export the spans still buffered (at stop: the last requests' spans are not lost)."""
    if _Tracing.provider is not None:
        _Tracing.provider.force_flush(timeout_millis)


def current_traceparent() -> str | None:
    """The ``traceparent`` of the work in progress, for a commit to keep; none outside a span."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get(TRACEPARENT)


def context_of(traceparent: str | None) -> otel_context.Context | None:
    """The context a kept or received ``traceparent`` names (``None``: a new trace)."""
    if not traceparent:
        return None
    return _PROPAGATOR.extract({TRACEPARENT: traceparent})


def traceparent_of(span: Span) -> str | None:
    """The ``traceparent`` that makes a receiver's span a child of ``span``."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, trace.set_span_in_context(span))
    return carrier.get(TRACEPARENT)


def trace_id_of_span(span: Span) -> str | None:
    context = span.get_span_context()
    return format_trace_id(context.trace_id) if context.is_valid else None


def ids_of_current() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` of the active span, as hex, for a log line."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format_trace_id(context.trace_id), format_span_id(context.span_id)


def header_traceparent(headers: Sequence[tuple[str, bytes]] | None) -> str | None:
    """The ``traceparent`` among a Kafka record's headers, if it has one."""
    for key, value in headers or ():
        if key == TRACEPARENT:
            return value.decode(errors="replace")
    return None


def start_producer_span(name: str, origin: str | None, topic: str) -> Span:
    """A span for publishing one record: a child of ``origin`` (the commit's ``traceparent``)
    when given, else of the work in progress."""
    parent = context_of(origin) if origin is not None else None
    return _Tracing.tracer.start_span(
        name,
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic},
    )


_consuming: ContextVar[Mapping[str, Span] | None] = ContextVar("consuming", default=None)


class Consuming:
    """The spans of one consumed batch: one per event, each a child of its record's context.

    While the batch is handled, ``within(event)`` makes an event's span the active one (a
    per-event step, its log lines), and ``trace_id_of(event)`` names its trace (audit's record).
    The batch's own work (bulk writes) runs in the first event's span when the whole batch is
    one trace, else in a "consume batch" span linked to every event's span.
    """

    def __init__(self, name: str, events: Sequence[tuple[Event, str | None]]) -> None:
        self.name = name
        self.spans: dict[str, Span] = {}
        for event, traceparent in events:
            self.spans.setdefault(str(event.event_id), self._start(event, traceparent))

    def _start(self, event: Event, traceparent: str | None) -> Span:
        return _Tracing.tracer.start_span(
            f"{self.name} consume",
            context=context_of(traceparent),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.message.id": str(event.event_id),
                "event.type": event.type,
                "correlation_id": event.correlation_id,
            },
        )

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Run the batch's handling with its spans known and the batch's span active."""
        spans = list(self.spans.values())
        token = _consuming.set(self.spans)
        traces = {s.get_span_context().trace_id for s in spans}
        try:
            if len(traces) == 1:
                with trace.use_span(spans[0], end_on_exit=False, record_exception=False):
                    yield
            else:
                links = [Link(s.get_span_context()) for s in spans]
                name = f"{self.name} consume batch"
                with _Tracing.tracer.start_as_current_span(name, links=links):
                    yield
        except BaseException as err:
            for span in spans:
                span.record_exception(err)
                span.set_status(trace.StatusCode.ERROR, type(err).__name__)
            raise
        finally:
            _consuming.reset(token)
            for span in spans:
                span.end()


def _span_of(event: Event) -> Span | None:
    spans = _consuming.get()
    return None if spans is None else spans.get(str(event.event_id))


@contextlib.contextmanager
def within(event: Event) -> Iterator[None]:
    """Make the span of ``event`` (consumed in this batch) the active one; else change nothing."""
    span = _span_of(event)
    if span is None:
        yield
        return
    with trace.use_span(span, end_on_exit=False, record_exception=False):
        yield


def trace_id_of(event: Event) -> str | None:
    """The trace id of a consumed event's handling (its request's trace, or a new one)."""
    span = _span_of(event)
    return None if span is None else trace_id_of_span(span)


@contextlib.contextmanager
def spans_for(name: str, events: Sequence[Event], **attributes: Any) -> Iterator[None]:
    """One span named ``name`` in each event's trace around a step done for all together (a
    bulk insert of a batch's records): each trace shows the step, whatever batch it rode in."""
    spans = []
    for event in events:
        parent = _span_of(event)
        if parent is not None:
            context = trace.set_span_in_context(parent)
            spans.append(_Tracing.tracer.start_span(name, context=context, attributes=attributes))
    try:
        yield
    finally:
        for span in spans:
            span.end()
