"""Audit use cases."""

from __future__ import annotations

from collections.abc import Sequence

from contracts import Event
from servicekit.clock import Clock
from servicekit.logs import get_logger
from services.audit.domain import AccessRecord
from services.audit.store import AccessRecords

log = get_logger(__name__)


class AuditUseCases:
    def __init__(self, records: AccessRecords, clock: Clock) -> None:
        self.records = records
        self.clock = clock

    async def record(self, events: Sequence[Event]) -> None:
        """Project a batch of events into access records, in one idempotent bulk write."""
        new = await self.records.add([AccessRecord.of(e) for e in events], self.clock.now())
        for event in events:
            log.info(
                "access recorded",
                event_type=event.type,
                event_id=str(event.event_id),
                correlation_id=event.correlation_id,
            )
        if new < len(events):
            log.info("redelivered events skipped", skipped=len(events) - new)

    async def latest(self, realm: str, org_id: str | None, limit: int) -> list[AccessRecord]:
        return await self.records.list(realm, org_id, limit)
