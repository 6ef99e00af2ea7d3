"""The access-history export (アクセス履歴出力, AU-03, AU-04): preview, then a streamed CSV.

Both read the organisation's records of the period unsorted, resolve each record's login ID
and profile as they were at its time, and filter by user. The preview counts rows and the
exact bytes the file will have in the chosen encoding; the download sorts on disk (see
:mod:`services.audit.store.spool`) and streams the file a few thousand rows at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from servicekit.clock import Clock
from servicekit.store import gather_limited
from services.audit.domain.catalogue import Operation
from services.audit.domain.export_request import ExportRequest, NoData, Preview
from services.audit.domain.period import (
    FIRST_HISTORY_DAY,
    ClippedPeriod,
    Period,
    clip_period,
    tokyo_today,
)
from services.audit.domain.profiles import ProfileVersion, as_of
from services.audit.domain.sheet import (
    LARGE_FILE_BYTES,
    LARGE_FILE_WARNING,
    AccessRow,
    CsvEncoder,
    cells,
    headers,
)
from services.audit.store.records import AccessRecords, ProfileHistories
from services.audit.store.spool import Spool

BATCH: Final = 2000


@dataclass
class Download:
    """A download ready to stream: its rows spooled and counted, its period decided."""

    request: ExportRequest
    clipped: ClippedPeriod
    spool: Spool

    @property
    def filename(self) -> str:
        period = self.clipped.period
        return f"access-history_{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv"

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file, header first, a batch of rows per chunk; the spool is deleted at the end."""
        r = self.request
        encoder = CsvEncoder(r.encoding)
        try:
            yield encoder.encode([headers(r.order, r.client_info)])
            async for rows in self.spool.sorted(r.order, BATCH):
                yield encoder.encode(cells(row, r.order, r.client_info) for row in rows)
        finally:
            self.spool.close()


class Exports:
    def __init__(
        self,
        records: AccessRecords,
        profiles: ProfileHistories,
        clock: Clock,
        spool_dir: str | None = None,
    ) -> None:
        self.records = records
        self.profiles = profiles
        self.clock = clock
        self.spool_dir = spool_dir

    def clip(self, request: ExportRequest) -> ClippedPeriod:
        today = tokyo_today(self.clock.now())
        return clip_period(request.first, request.last, today, FIRST_HISTORY_DAY.get(request.realm))

    async def preview(self, request: ExportRequest) -> Preview:
        """Row count and the file's size in bytes; a warning above 5 MB (seed 004)."""
        clipped = self.clip(request)
        encoder = CsvEncoder(request.encoding)
        size = len(encoder.encode([headers(request.order, request.client_info)]))
        count = 0
        async for rows in self._rows(request, clipped.period):
            count += len(rows)
            size += len(encoder.encode(cells(r, request.order, request.client_info) for r in rows))
        if count == 0:
            raise NoData(clipped.notes)
        warning = LARGE_FILE_WARNING if size > LARGE_FILE_BYTES else None
        return Preview(count, size, warning, clipped.period, clipped.notes)

    async def prepare(
        self, request: ExportRequest, progress: Callable[[int], Awaitable[None]] | None = None
    ) -> Download:
        """Spool the period's rows to disk; :class:`NoData` when there are none. ``progress``
        hears the rows spooled so far after each batch (an export job shows it)."""
        clipped = self.clip(request)
        spool = Spool(self.spool_dir)
        try:
            async for rows in self._rows(request, clipped.period):
                await spool.add(rows)
                if progress is not None:
                    await progress(spool.count)
        except BaseException:
            spool.close()
            raise
        if spool.count == 0:
            spool.close()
            raise NoData(clipped.notes)
        return Download(request, clipped, spool)

    async def _rows(self, request: ExportRequest, period: Period) -> AsyncIterator[list[AccessRow]]:
        if period.empty:
            return
        histories: dict[str, tuple[ProfileVersion, ...]] = {}
        batch: list[dict[str, Any]] = []
        start, end = period.utc_bounds()
        async for doc in self.records.in_period(request.realm, request.org_id, start, end):
            batch.append(doc)
            if len(batch) >= BATCH:
                yield await self._resolved(request, batch, histories)
                batch = []
        if batch:
            yield await self._resolved(request, batch, histories)

    async def _resolved(
        self,
        request: ExportRequest,
        docs: list[dict[str, Any]],
        histories: dict[str, tuple[ProfileVersion, ...]],
    ) -> list[AccessRow]:
        """Rows with each user's login ID and profile as of the record's time (AU-01)."""
        unknown = list({d["subject_id"] for d in docs} - histories.keys())

        async def load(user_id: str) -> None:
            histories[user_id] = await self.profiles.of(request.realm, user_id)

        await gather_limited(load, unknown)
        rows = (_row(d, as_of(histories[d["subject_id"]], d["occurred_at"])) for d in docs)
        return [r for r in rows if request.login_id in (None, r.login_id)]


def _row(doc: dict[str, Any], profile: ProfileVersion | None) -> AccessRow:
    login_id = doc.get("login_id") or (profile.login_id if profile else doc["subject_id"])
    return AccessRow(
        login_id=login_id,
        occurred_at=doc["occurred_at"],
        operation=_operation(doc).shown,
        name=profile.name if profile else None,
        department=profile.department if profile else None,
        title=profile.title if profile else None,
        ip=doc.get("ip"),
        user_agent=doc.get("user_agent"),
    )


def _operation(doc: dict[str, Any]) -> Operation:
    """The record's catalogue entry. Records stored before the catalogue existed (the walking
    skeleton's) have none and show their event type, so an upgraded history still exports."""
    if "operation_code" in doc:
        return Operation(doc["operation_code"], doc["operation_label"])
    return Operation("-", str(doc.get("event_type", "")))
