"""The live stream for ops dashboards (AU-05): ``AccessRecorded`` on ``audit.access``, and the
Prometheus counters of logins, failures, locks, mails and certificates.

A dashboard then needs nothing else: the stream says what happened, normalised onto the
catalogue, and ``/metrics`` says how often. Counters count a record once, when it is first
stored; a redelivered event is not counted again (X-03). The stream is at least once: a
batch is published whole, repeats included, until its offsets are committed, so a crash
publishes records again with the same event id (derived from the source event), which
consumers drop as a repeat.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter

from contracts import AccessRecorded
from servicekit.publish import Publisher
from services.audit.domain.counters import MAIL_OUTCOMES, kind_of
from services.audit.domain.records import AccessRecord

LOGINS = Counter("audit_logins_total", "Completed logins (ログイン)", ["realm"])
LOGIN_FAILURES = Counter(
    "audit_login_failures_total", "Failed login attempts, by reason", ["realm", "reason"]
)
LOCKS = Counter("audit_account_locks_total", "Accounts locked", ["realm"])
MAILS = Counter("audit_mails_total", "Mails sent or failed for good", ["realm", "outcome"])
CERTIFICATES = Counter(
    "audit_certificates_total",
    "Certificate events: issued, renewed, revoked...",
    ["realm", "event"],
)
RECORDS = Counter(
    "audit_access_records_total", "Access records stored, by operation code", ["realm", "operation"]
)


class LiveStream:
    """``AccessRecorded`` on ``audit.access``, through the process's publisher."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher

    async def publish(self, records: Sequence[AccessRecorded]) -> None:
        """Publish a batch and wait until the broker has every one (``acks=all``)."""
        await self.publisher.publish(records)


def count(records: Sequence[AccessRecord], reasons: dict[str, str]) -> None:
    """Count newly stored records; ``reasons`` gives a failed login's reason by event id."""
    for r in records:
        RECORDS.labels(r.realm, r.operation_code).inc()
        kind = kind_of(r.event_type)
        if kind == "logins":
            LOGINS.labels(r.realm).inc()
        elif kind == "failures":
            LOGIN_FAILURES.labels(r.realm, reasons.get(r.event_id, "unknown")).inc()
        elif kind == "locks":
            LOCKS.labels(r.realm).inc()
        elif kind == "mails":
            MAILS.labels(r.realm, MAIL_OUTCOMES[r.event_type]).inc()
        elif kind == "certificates":
            CERTIFICATES.labels(r.realm, r.event_type.removeprefix("Cert").lower()).inc()
