"""A roster import started from the support console (WEB-04, EN-07): the API's import
(``RosterImports.import_file``, the same rules, all or nothing), run in the background of the
replica that took the upload, with its progress and its outcome recorded as a job that the
console's page reads from any replica (X-16).

The task reports the import's :class:`~services.enroll.usecases.roster_files.Tracker` every
``report_every`` seconds while it runs; a replica that dies leaves a job that stops being heard
of, shown as failed (``ImportJob.shown_phase``), and nothing of it in force. Jobs are deleted a
week after their last word by the upkeep (X-14).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from servicekit.logs import get_logger
from services.enroll.domain.imports import KEPT, ImportJob, PendingUpload, Phase, RefusedLine
from services.enroll.domain.refusals import RosterRefused
from services.enroll.domain.roster import Restrictions
from services.enroll.usecases.context import Context
from services.enroll.usecases.roster_files import Tracker
from services.enroll.usecases.rosters import RosterImports
from services.enroll.usecases.uploads import RosterUploads

log = get_logger(__name__)


def _refused_lines(refused: RosterRefused) -> tuple[RefusedLine, ...]:
    listed: Any = refused.extensions.get("refused_lines")
    if not isinstance(listed, list):
        return (RefusedLine(refused.line, refused.field, refused.detail or ""),)
    return tuple(
        RefusedLine(int(r["line"]), r.get("field"), str(r.get("detail") or "")) for r in listed
    )


def _delete(upload: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(upload)


class RosterImportJobs:
    def __init__(
        self,
        context: Context,
        rosters: RosterImports,
        uploads: RosterUploads | None = None,
        report_every: float = 1.0,
    ) -> None:
        self.context = context
        self.jobs = context.store.import_jobs
        self.rosters = rosters
        self.uploads = uploads or RosterUploads(context)
        self.report_every = report_every
        self._running: dict[str, asyncio.Task[None]] = {}

    async def start(
        self,
        insurer_number: str,
        upload: Path,
        encoding: str,
        restrictions: Restrictions,
        started_by: str,
    ) -> ImportJob:
        """The import of ``upload`` (a file this job now owns and deletes), in the background;
        answers its job at once. The caller is the support desk, asked before (``Access``)."""
        now = self.context.clock.now()
        job = ImportJob(
            job_id=uuid.uuid4().hex,
            insurer_number=insurer_number,
            started_by=started_by,
            started_at=now,
            updated_at=now,
            bytes_total=await asyncio.to_thread(os.path.getsize, upload),
        )
        try:
            await self.jobs.add(job)
        except BaseException:
            _delete(upload)
            raise
        self._track(job, self._run(job, upload, encoding, restrictions))
        log.info("roster import started", job_id=job.job_id, insurer_number=insurer_number)
        return job

    async def confirm(self, upload_id: str, confirmed_by: str) -> ImportJob | None:
        """確定する: the held upload's import, as a job of the upload's id, in the background;
        None when there is no such upload (expired, discarded, never). A second 確定する (a
        double click, another operator, another replica) finds the job the first started:
        the job's insert is the one atomic step (X-13), so one import runs."""
        started = await self.jobs.get(upload_id)
        if started is not None:
            return started
        upload = await self.uploads.get(upload_id)
        if upload is None:
            return None
        now = self.context.clock.now()
        job = ImportJob(
            job_id=upload_id,
            insurer_number=upload.insurer_number,
            started_by=confirmed_by,
            started_at=now,
            updated_at=now,
            bytes_total=upload.size,
        )
        if not await self.jobs.add_once(job):
            return await self.jobs.get(upload_id)
        self._track(job, self._confirmed(job, upload))
        log.info("roster import confirmed", job_id=job.job_id, insurer_number=job.insurer_number)
        return job

    async def _confirmed(self, job: ImportJob, upload: PendingUpload) -> None:
        """The held file back on this replica's disk, then the import; the upload is gone
        either way (its job now tells what became of it)."""
        try:
            path = await self.uploads.file(upload)
        except Exception:
            log.exception("roster upload unreadable", job_id=job.job_id)
            now = self.context.clock.now()
            await self.jobs.save(replace(job, updated_at=now, phase=Phase.FAILED))
            return
        finally:
            await self.uploads.discard(upload)
        await self._run(job, path, upload.encoding, upload.restrictions)

    def _track(self, job: ImportJob, running: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(running)
        self._running[job.job_id] = task
        task.add_done_callback(lambda _: self._running.pop(job.job_id, None))

    async def get(self, job_id: str) -> ImportJob | None:
        return await self.jobs.get(job_id)

    async def finished(self, job_id: str) -> None:
        """Waits for a job this replica runs (tests, and a graceful stop)."""
        task = self._running.get(job_id)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def _run(
        self, job: ImportJob, upload: Path, encoding: str, restrictions: Restrictions
    ) -> None:
        tracker = Tracker(bytes_total=job.bytes_total)
        importing = asyncio.create_task(
            self.rosters.import_file(job.insurer_number, upload, encoding, restrictions, tracker)
        )
        try:
            while not importing.done():
                await asyncio.wait({importing}, timeout=self.report_every)
                if not importing.done():
                    job = self._progress(job, tracker)
                    await self.jobs.save(job)
            imported = importing.result()
            job = replace(
                self._progress(job, tracker),
                phase=Phase.DONE,
                rows=imported.roster.rows,
                version=imported.version,
                changed=imported.changed,
            )
        except RosterRefused as refused:
            job = replace(
                self._progress(job, tracker),
                phase=Phase.REFUSED,
                refused=_refused_lines(refused),
                refused_count=int(refused.extensions.get("refused_count") or 1),
            )
        except Exception:
            log.exception("roster import failed", job_id=job.job_id)
            job = replace(self._progress(job, tracker), phase=Phase.FAILED)
        finally:
            if not importing.done():
                importing.cancel()
                with contextlib.suppress(BaseException):
                    await importing
            _delete(upload)
        await self.jobs.save(job)
        log.info("roster import ended", job_id=job.job_id, phase=job.phase.value)

    def _progress(self, job: ImportJob, tracker: Tracker) -> ImportJob:
        return replace(
            job,
            updated_at=self.context.clock.now(),
            phase=Phase.WRITING if tracker.parts_total else Phase.READING,
            bytes_read=min(tracker.bytes_read, tracker.bytes_total or tracker.bytes_read),
            lines=tracker.lines,
            refused_count=tracker.refused,
            parts_total=tracker.parts_total,
            parts_written=tracker.parts_written,
        )

    async def purge(self) -> int:
        """Jobs a week past their last word (X-14)."""
        return await self.jobs.purge(self.context.clock.now() - KEPT)
