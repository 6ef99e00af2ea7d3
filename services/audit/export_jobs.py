"""A large access-history export as a job (AU-03, AU-04): started, its progress shown, its file
downloaded once.

Why a job and not a stream: FerretDB filters by scanning (about 7,000-10,000 records a second
here) and sorts nothing, so a year of 1,000,000 rows is read and sorted on disk for over two
minutes before the file's first row exists, past a gateway's read timeout (nginx's is 60 s).
What a portal user knows from other portals is 「CSVファイルを作成しています」: the request is
answered at once, a page shows how many rows have been read, the file is offered when it is
ready, and it is downloaded once. The rows, their order and the bytes are the direct
download's (:class:`services.audit.exports.Download` writes both).

Across replicas (X-16): the job runs in the replica that accepted it, and its state and its
finished file live in the database (the file in pieces of about 1 MiB, read by ``_id``), so any
replica answers the progress and the download. A replica killed mid-job stops its heartbeat:
after :data:`STALE` the job shows as ``failed`` and is asked for again.

Once: the download claims the job's ``_id`` in ``export_downloads`` by insert (X-13), so two
downloads at once cannot both have it; the pieces go when it ends. A file nobody fetched goes
with its job after :data:`KEPT` (X-14: storage does not grow with exports).

Announced (X-03): "ready" is the insert of the job's one commit in the versioned store, which
carries ``AccessExportReady`` (:mod:`services.audit.export_ready`), so the fact and its
announcement are one document and the outbox relay publishes it at least once. The job's own
document is then marked ready as a hint for the progress page; a replica that dies between the
two leaves a job whose heartbeat stops, and its status is read from the commit instead of
showing ``failed``. Notify mails it once (NT-03, by the event's id).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel, ConfigDict
from pymongo import DeleteOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from servicekit.clock import Clock
from servicekit.logs import current_correlation_id, get_logger
from servicekit.store import VersionedStore, commit_id
from services.audit.export_ready import Ready, Requester, address_of, announcement
from services.audit.exports import Download, ExportRequest, Exports, NoData
from services.audit.store import ProfileHistories

log = get_logger(__name__)

PIECE_BYTES: Final = 1 << 20
#: A running job whose heartbeat is older than this died with its replica.
STALE: Final = timedelta(seconds=30)
#: How long a finished file waits for its download.
KEPT: Final = timedelta(days=1)
#: How often a running job writes its heartbeat and its progress.
BEAT: Final = timedelta(seconds=1)


class ExportUnknown(Exception):
    """No such job for this organisation (or it was purged): told like any unknown thing."""


class ExportGone(Exception):
    """The file was downloaded already (once, AU-04's job)."""


class ExportNotReady(Exception):
    """The file is still being made (or its job failed): the progress says which."""


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

    def file_headers(self) -> dict[str, str]:
        """What a download of the finished file says of it, from the API or from its page."""
        return {
            "Content-Type": f"text/csv; charset={self.encoding}",
            "Content-Disposition": f'attachment; filename="{self.filename}"',
            "Content-Length": str(self.size),
        }


class ExportJobs:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        exports: Exports,
        clock: Clock,
        store: VersionedStore,
        profiles: ProfileHistories,
    ) -> None:
        self.jobs = db["export_jobs"]
        self.pieces = db["export_pieces"]
        self.downloads = db["export_downloads"]
        self.exports = exports
        self.clock = clock
        self.store = store
        self.profiles = profiles
        self._running: set[asyncio.Task[None]] = set()

    async def start(self, request: ExportRequest, requester: Requester) -> JobStatus:
        """Accept the request and make the file in the background; answers its first status."""
        export_id = secrets.token_urlsafe(24)
        now = self.clock.now()
        job = {
            "_id": export_id,
            "realm": request.realm,
            "org_id": request.org_id,
            "state": "running",
            "encoding": request.encoding.value,
            "rows_read": 0,
            "created_at": now,
            "beat_at": now,
            "requester": requester.to_document(),
            "correlation_id": current_correlation_id(),
        }
        await self.jobs.insert_one(job)
        task = asyncio.create_task(self._make(export_id, request))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return _status(job)

    async def status(self, realm: str, org_id: str, export_id: str) -> JobStatus:
        return _status(await self._job(realm, org_id, export_id))

    async def take(
        self, realm: str, org_id: str, export_id: str
    ) -> tuple[JobStatus, AsyncIterator[bytes]]:
        """The finished file, once: its status and its bytes, piece by piece."""
        job = await self._job(realm, org_id, export_id)
        status = _status(job)
        if status.state == "downloaded":
            raise ExportGone()
        if status.state != "ready":
            raise ExportNotReady(status.state)
        try:
            await self.downloads.insert_one({"_id": export_id, "at": self.clock.now()})
        except DuplicateKeyError:
            raise ExportGone() from None
        return status, self._pieces(export_id, int(job["pieces"]))

    async def purge(self) -> int:
        """Forget jobs older than :data:`KEPT`, with their files and their commits (a scan of a
        small collection). A job whose announcement the relay has not published yet (Kafka away
        for a day) waits for the next purge: its commit is the announcement."""
        old = await self.jobs.find({"created_at": {"$lt": self.clock.now() - KEPT}}).to_list()
        gone = [job for job in old if await self._announced(job["_id"])]
        for job in gone:
            await self._drop_pieces(job["_id"], int(job.get("pieces", 0)))
        if gone:
            ids = [DeleteOne({"_id": job["_id"]}) for job in gone]
            await self.jobs.bulk_write(ids, ordered=False)
            await self.downloads.bulk_write(ids, ordered=False)
            commits = [DeleteOne({"_id": commit_id(_aggregate(j["_id"]), 1)}) for j in gone]
            await self.store.commits.bulk_write(commits, ordered=False)
            heads = [DeleteOne({"_id": _aggregate(job["_id"])}) for job in gone]
            await self.store.heads.bulk_write(heads, ordered=False)
        return len(gone)

    async def _announced(self, export_id: str) -> bool:
        """Nothing of the job is still waiting for the relay."""
        commit = await self.store.commits.find_one({"_id": commit_id(_aggregate(export_id), 1)})
        if commit is None or commit.get("marker") is None:
            return True
        return await self.store.outbox.find_one({"_id": commit["marker"]}) is None

    async def stop(self) -> None:
        """Cancel the jobs still running (the process is stopping): their heartbeat stops, and
        they show as failed once it is :data:`STALE`."""
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def _make(self, export_id: str, request: ExportRequest) -> None:
        heart = asyncio.create_task(self._heartbeat(export_id))
        try:
            await self._made(export_id, request)
        except Exception:  # logged and shown; the portal user asks again
            log.exception("export job failed", export_id=export_id)
            await self._set(export_id, state="failed")
        finally:
            heart.cancel()

    async def _heartbeat(self, export_id: str) -> None:
        """Every :data:`BEAT` while the job runs, however long the database takes to give a
        batch (a scan for a small organisation's records may find none for a while)."""
        while True:
            await asyncio.sleep(BEAT.total_seconds())
            await self._set(export_id, beat_at=self.clock.now())

    async def _made(self, export_id: str, request: ExportRequest) -> None:
        shown = self.clock.now()

        async def progress(rows_read: int) -> None:
            nonlocal shown
            if self.clock.now() - shown >= BEAT:
                shown = self.clock.now()
                await self._set(export_id, rows_read=rows_read)

        try:
            download = await self.exports.prepare(request, progress)
        except NoData:
            await self._set(export_id, state="no_data")
            return
        rows = download.spool.count
        pieces, size = await self._store(export_id, download)
        ready = {
            "state": "ready",
            "rows_read": rows,
            "rows": rows,
            "pieces": pieces,
            "size": size,
            "filename": download.filename,
        }
        mailed = await self._announce(export_id, download, ready)
        await self._set(export_id, **ready)
        log.info("export ready", export_id=export_id, rows=rows, size=size, mailed=mailed)

    async def _announce(self, export_id: str, download: Download, ready: dict[str, Any]) -> bool:
        """Ready and its ``AccessExportReady``, in the job's one commit (X-03); answers whether
        the event names an address (never logged, X-02)."""
        job = await self.jobs.find_one({"_id": export_id})
        assert job is not None, "a running job's document stays until it is a day old"
        requester = Requester.from_document(job["requester"])
        history = await self.profiles.of(job["realm"], requester.user_id)
        period = download.clipped.period
        event = announcement(
            realm=job["realm"],
            org_id=job["org_id"],
            export_id=export_id,
            requester=requester,
            ready=Ready(ready["rows"], ready["size"], period.first, period.last, _kept(job)),
            address=address_of(history),
            now=self.clock.now(),
            correlation_id=job["correlation_id"],
        )
        await self.store.append(_aggregate(export_id), 0, ready, [event])
        return event.recipient_email is not None

    async def _store(self, export_id: str, download: Download) -> tuple[int, int]:
        """The file's bytes into pieces of about :data:`PIECE_BYTES`: (pieces, size)."""
        pieces = size = 0
        buffer = bytearray()
        async for chunk in download.chunks():
            buffer += chunk
            size += len(chunk)
            if len(buffer) >= PIECE_BYTES:
                await self.pieces.insert_one(
                    {"_id": _piece(export_id, pieces), "data": bytes(buffer)}
                )
                pieces += 1
                buffer.clear()
        if buffer:
            await self.pieces.insert_one({"_id": _piece(export_id, pieces), "data": bytes(buffer)})
            pieces += 1
        return pieces, size

    async def _pieces(self, export_id: str, count: int) -> AsyncIterator[bytes]:
        try:
            for i in range(count):
                piece = await self.pieces.find_one({"_id": _piece(export_id, i)})
                if piece is None:
                    raise ExportGone()
                yield bytes(piece["data"])
        finally:
            await self._drop_pieces(export_id, count)
            await self._set(export_id, state="downloaded")

    async def _drop_pieces(self, export_id: str, count: int) -> None:
        if count:
            deletes = [DeleteOne({"_id": _piece(export_id, i)}) for i in range(count)]
            await self.pieces.bulk_write(deletes, ordered=False)

    async def _job(self, realm: str, org_id: str, export_id: str) -> dict[str, Any]:
        """The job as it is: one whose heartbeat stopped, or that failed, is ready if its
        commit says so (the replica died, or its last write failed, after announcing it), else
        failed (nobody will finish it)."""
        job = await self.jobs.find_one({"_id": export_id})
        if job is None or (job["realm"], job["org_id"]) != (realm, org_id):
            raise ExportUnknown()
        stalled = job["state"] == "running" and self.clock.now() - job["beat_at"] > STALE
        if stalled or job["state"] == "failed":
            committed = (await self.store.load(_aggregate(export_id))).state
            if committed is None:
                job["state"] = "failed"
            else:
                await self._set(export_id, **committed)
                job.update(committed)
        return job

    async def _set(self, export_id: str, **fields: Any) -> None:
        """One writer per job (the replica making it, then its one download): a plain update."""
        await self.jobs.update_one({"_id": export_id}, {"$set": fields})


def _piece(export_id: str, i: int) -> str:
    return f"{export_id}:{i:06d}"


def _aggregate(export_id: str) -> str:
    """The job's aggregate in the versioned store: one commit, made when the file is ready."""
    return f"export:{export_id}"


def _kept(job: dict[str, Any]) -> datetime:
    created: datetime = job["created_at"]
    return created + KEPT


def _status(job: dict[str, Any]) -> JobStatus:
    return JobStatus(
        export_id=job["_id"],
        state=job["state"],
        rows_read=int(job.get("rows_read", 0)),
        rows=job.get("rows"),
        size=job.get("size"),
        filename=job.get("filename"),
        encoding=job["encoding"],
        kept_until=_kept(job),
    )
