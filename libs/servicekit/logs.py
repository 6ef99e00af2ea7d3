"""Structured JSON logs carrying the request's ``correlation_id`` everywhere (X-08), and the
active span's ``trace_id`` and ``span_id`` (X-20, ``servicekit.traces``).

HTTP middleware sets the correlation id for the request; use cases copy it into the events they
emit; the relay puts it into Kafka headers; subscribers bind it again from the event, so one
request can be followed across services by grepping one id.
"""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar
from typing import Any

import structlog

from servicekit.traces import ids_of_current

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current_correlation_id() -> str:
    """The correlation id of the work in progress, or a new one for work nobody asked for."""
    cid = _correlation_id.get()
    if cid is None:
        cid = new_correlation_id()
        bind_correlation_id(cid)
    return cid


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def bind_correlation_id(cid: str) -> None:
    """Make ``cid`` the correlation id of this task and of every log line it writes."""
    _correlation_id.set(cid)
    structlog.contextvars.bind_contextvars(correlation_id=cid)


def add_trace_ids(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor: the active span's ``trace_id`` and ``span_id`` on the line (X-20),
    unless the line names its own (a batch's line about one record of another trace)."""
    ids = ids_of_current()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """JSON lines on stdout, one format for our code, FastStream, aiokafka and uvicorn."""
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*processors, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for library in ("faststream", "faststream.access", "uvicorn", "uvicorn.error"):
        # Libraries that install their own handlers would print plain text beside our JSON.
        logger = logging.getLogger(library)
        logger.handlers.clear()
        logger.propagate = True
    for noisy in ("aiokafka", "pymongo", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
