"""A large access-history export as a job (AU-03, AU-04): started, its progress shown, its file
downloaded once.

Why a job and not a stream: FerretDB filters by scanning (about 7,000-10,000 records a second
here) and sorts nothing, so a year of 1,000,000 rows is read and sorted on disk for over two
minutes before the file's first row exists, past a gateway's read timeout (nginx's is 60 s).
What a portal user knows from other portals is 「CSVファイルを作成しています」: the request is
answered at once, a page shows how many rows have been read, the file is offered when it is
ready, and it is downloaded once. The rows, their order and the bytes are the direct
download's (:class:`services.audit.usecases.exports.Download` writes both).

Across replicas (X-16): the job runs in the replica that accepted it, and its state and its
finished file live in the database (the file in pieces of about 1 MiB, read by ``_id``), so any
replica answers the progress and the download. A replica killed mid-job stops its heartbeat:
after ``STALE`` the job shows as ``failed`` and is asked for again.

Once: the download claims the job's ``_id`` in ``export_downloads`` by insert (X-13), so two
downloads at once cannot both have it; the pieces go when it ends. A file nobody fetched goes
with its job after ``KEPT`` (X-14: storage does not grow with exports).

Announced (X-03): "ready" is the insert of the job's one commit in the versioned store, which
carries ``AccessExportReady`` (:mod:`services.audit.domain.export_ready`), so the fact and its
announcement are one document and the outbox relay publishes it at least once. The job's own
document is then marked ready as a hint for the progress page; a replica that dies between the
two leaves a job whose heartbeat stops, and its status is read from the commit instead of
showing ``failed``. Notify mails it once (NT-03, by the event's id).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from servicekit.clock import Clock
from servicekit.logs import current_correlation_id, get_logger
from services.audit.domain.export_job import (
    BEAT,
    KEPT,
    ExportGone,
    ExportJob,
    ExportUnknown,
    FinishedFile,
)
from services.audit.domain.export_ready import Ready, Requester, address_of, announcement
from services.audit.domain.export_request import ExportRequest, NoData
from services.audit.store.export_jobs import ExportJobStore
from services.audit.store.records import ProfileHistories
from services.audit.usecases.exports import Download, Exports

log = get_logger(__name__)


class JobStatus(BaseModel):
    """ファイル作成状況, what the progress page shows: ``running`` (the rows read so far),
    ``ready`` (rows, bytes, the file's name), ``no_data``, ``failed`` (ask again) or
    ``downloaded``."""

    model_config = ConfigDict(frozen=True)

    export_id: str
    state: str
    rows_read: int
    rows: int | None
    size: int | None
    filename: str | None
    encoding: str
    kept_until: datetime
    """Until when the file waits for its download (the mail and the page say so)."""

    @classmethod
    def of(cls, job: ExportJob) -> JobStatus:
        file = job.file
        return cls(
            export_id=job.export_id,
            state=job.state.value,
            rows_read=job.rows_read,
            rows=None if file is None else file.rows,
            size=None if file is None else file.size,
            filename=None if file is None else file.filename,
            encoding=job.encoding.value,
            kept_until=job.kept_until,
        )

    def file_headers(self) -> dict[str, str]:
        """What a download of the finished file says of it, from the API or from its page."""
        return {
            "Content-Type": f"text/csv; charset={self.encoding}",
            "Content-Disposition": f'attachment; filename="{self.filename}"',
            "Content-Length": str(self.size),
        }


class ExportJobs:
    """Start a job, show its progress, give its file once, forget it after a day."""

    def __init__(
        self,
        jobs: ExportJobStore,
        exports: Exports,
        clock: Clock,
        profiles: ProfileHistories,
    ) -> None:
        self.jobs = jobs
        self.exports = exports
        self.clock = clock
        self.profiles = profiles
        self._running: set[asyncio.Task[None]] = set()

    async def start(self, request: ExportRequest, requester: Requester) -> JobStatus:
        """Accept the request and make the file in the background; answers its first status."""
        job = ExportJob.started(
            secrets.token_urlsafe(24),
            request,
            requester,
            self.clock.now(),
            current_correlation_id(),
        )
        await self.jobs.add(job)
        task = asyncio.create_task(self._make(job, request))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return JobStatus.of(job)

    async def status(self, realm: str, org_id: str, export_id: str) -> JobStatus:
        return JobStatus.of(await self._job(realm, org_id, export_id))

    async def take(
        self, realm: str, org_id: str, export_id: str
    ) -> tuple[JobStatus, AsyncIterator[bytes]]:
        """The finished file, once: its status and its bytes, piece by piece."""
        job = await self._job(realm, org_id, export_id)
        file = job.file_to_take()
        if not await self.jobs.claim_download(export_id, self.clock.now()):
            raise ExportGone()
        return JobStatus.of(job), self._pieces(job, file)

    async def purge(self) -> int:
        """Forget jobs older than ``KEPT``, with their files and their commits. A job whose
        announcement the relay has not published yet (Kafka away for a day) waits for the next
        purge: its commit is the announcement."""
        old = await self.jobs.created_before(self.clock.now() - KEPT)
        gone = [job for job in old if await self.jobs.announced(job.export_id)]
        await self.jobs.forget(gone)
        return len(gone)

    async def stop(self) -> None:
        """Cancel the jobs still running (the process is stopping): their heartbeat stops, and
        they show as failed once it is stale."""
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def _make(self, job: ExportJob, request: ExportRequest) -> None:
        heart = asyncio.create_task(self._heartbeat(job))
        try:
            await self._made(job, request)
        except Exception:  # logged and shown; the portal user asks again
            log.exception("export job failed", export_id=job.export_id)
            await self.jobs.save_outcome(job.failed())
        finally:
            heart.cancel()

    async def _heartbeat(self, job: ExportJob) -> None:
        """Every ``BEAT`` while the job runs, however long the database takes to give a batch
        (a scan for a small organisation's records may find none for a while)."""
        while True:
            await asyncio.sleep(BEAT.total_seconds())
            await self.jobs.save_beat(job.beat(self.clock.now()))

    async def _made(self, job: ExportJob, request: ExportRequest) -> None:
        shown = self.clock.now()

        async def progress(rows_read: int) -> None:
            nonlocal shown
            if self.clock.now() - shown >= BEAT:
                shown = self.clock.now()
                await self.jobs.save_progress(job.read(rows_read))

        try:
            download = await self.exports.prepare(request, progress)
        except NoData:
            await self.jobs.save_outcome(job.found_nothing())
            return
        rows = download.spool.count
        pieces, size = await self.jobs.put_file(job.export_id, download.chunks())
        ready = job.finished(FinishedFile(rows, pieces, size, download.filename))
        mailed = await self._announce(ready, download)
        await self.jobs.save_outcome(ready)
        log.info("export ready", export_id=job.export_id, rows=rows, size=size, mailed=mailed)

    async def _announce(self, job: ExportJob, download: Download) -> bool:
        """Ready and its ``AccessExportReady``, in the job's one commit (X-03); answers whether
        the event names an address (never logged, X-02)."""
        assert job.requester is not None, "a job this replica started names who asked"
        assert job.file is not None, "announced once its file is stored"
        history = await self.profiles.of(job.realm, job.requester.user_id)
        period = download.clipped.period
        event = announcement(
            realm=job.realm,
            org_id=job.org_id,
            export_id=job.export_id,
            requester=job.requester,
            ready=Ready(job.file.rows, job.file.size, period.first, period.last, job.kept_until),
            address=address_of(history),
            now=self.clock.now(),
            correlation_id=job.correlation_id,
        )
        await self.jobs.commit_ready(job, event)
        return event.recipient_email is not None

    async def _pieces(self, job: ExportJob, file: FinishedFile) -> AsyncIterator[bytes]:
        try:
            for i in range(file.pieces):
                piece = await self.jobs.piece(job.export_id, i)
                if piece is None:
                    raise ExportGone()
                yield piece
        finally:
            await self.jobs.drop_file(job.export_id, file.pieces)
            await self.jobs.save_outcome(job.taken())

    async def _job(self, realm: str, org_id: str, export_id: str) -> ExportJob:
        """The job as it is: an unsettled one (its heartbeat stopped, or it failed) is ready if
        its commit says so (the replica died, or its last write failed, after announcing it),
        else failed (nobody will finish it)."""
        job = await self.jobs.get(export_id)
        if job is None or not job.belongs_to(realm, org_id):
            raise ExportUnknown()
        if not job.unsettled(self.clock.now()):
            return job
        committed = await self.jobs.committed_file(export_id)
        settled = job.settled(committed)
        if committed is not None:
            await self.jobs.save_outcome(settled)
        return settled
