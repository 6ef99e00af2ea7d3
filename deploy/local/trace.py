"""One trace from Jaeger, as a tree an operator reads in a terminal (X-20).

    .venv/bin/python deploy/local/trace.py <trace id> [--jaeger http://127.0.0.1:26686]

The trace id is what every log line and access record of the request names (``trace_id``).
Each line is a span: when it began after the trace's first span, how long it took, the service
and the operation; children are indented under their parent, whichever process made them (the
relay's publish under the request that committed, a consumer's span under the publish).
Jaeger's own URL comes from ``--jaeger``, else ``JAEGER_URL``, else the stack's ``RUN_DIR/env``.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

RUN_DIR = Path(os.environ.get("INFRA_RUN", Path(__file__).resolve().parents[2] / ".cache" / "run"))


@dataclass(frozen=True)
class Span:
    span_id: str
    parent_id: str | None
    service: str
    operation: str
    start_us: int
    duration_us: int


def fetch(jaeger_url: str, trace_id: str) -> list[Span]:
    """The trace's spans as Jaeger's query API answers them (``/api/traces/<id>``)."""
    answer = httpx.get(f"{jaeger_url.rstrip('/')}/api/traces/{trace_id}", timeout=10)
    if answer.status_code == 404:
        return []
    answer.raise_for_status()
    return [span for trace in answer.json().get("data") or [] for span in spans_of(trace)]


def spans_of(trace: dict[str, Any]) -> list[Span]:
    services = {pid: p["serviceName"] for pid, p in trace["processes"].items()}
    return [
        Span(
            span_id=s["spanID"],
            parent_id=next(
                (r["spanID"] for r in s.get("references", []) if r["refType"] == "CHILD_OF"),
                None,
            ),
            service=services[s["processID"]],
            operation=s["operationName"],
            start_us=int(s["startTime"]),
            duration_us=int(s["duration"]),
        )
        for s in trace["spans"]
    ]


def tree(spans: list[Span]) -> list[str]:
    """The spans as indented lines, each under its parent, siblings by start time."""
    if not spans:
        return []
    known = {s.span_id for s in spans}
    children: dict[str | None, list[Span]] = {}
    for span in spans:
        parent = span.parent_id if span.parent_id in known else None
        children.setdefault(parent, []).append(span)
    first = min(s.start_us for s in spans)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for span in sorted(children.get(parent, []), key=lambda s: s.start_us):
            at, took = (span.start_us - first) / 1000, span.duration_us / 1000
            lines.append(
                f"{at:9.1f} ms {took:8.1f} ms  {'  ' * depth}{span.service}: {span.operation}"
            )
            walk(span.span_id, depth + 1)

    walk(None, 0)
    return lines


def jaeger_url(given: str | None) -> str:
    if given:
        return given
    if os.environ.get("JAEGER_URL"):
        return os.environ["JAEGER_URL"]
    env = RUN_DIR / "env"
    if env.exists():
        for line in env.read_text().splitlines():
            key, _, value = line.partition("=")
            if key == "JAEGER_URL":
                return value
    sys.exit("no Jaeger: start the stack (make up), or name it with --jaeger or JAEGER_URL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace_id")
    parser.add_argument("--jaeger")
    args = parser.parse_args()
    spans = fetch(jaeger_url(args.jaeger), args.trace_id)
    if not spans:
        sys.exit(f"Jaeger has no trace {args.trace_id} (yet: spans arrive within seconds)")
    print("\n".join(tree(spans)))


if __name__ == "__main__":
    main()
