"""Where export jobs live (X-16): the job's document, its finished file in pieces, its one
download's claim, and its ready commit in the versioned store.

- ``export_jobs``: one document per job, read by ``_id``. One writer per job (the replica
  making it, then its one download), so each write is a plain ``$set`` of the fields it
  changes: the heartbeat and the progress write side by side without overwriting each other.
- ``export_pieces``: the file in pieces of about :data:`PIECE_BYTES`, read by ``_id``.
- ``export_downloads``: the download claims the job's ``_id`` by insert (X-13), so two
  downloads at once cannot both have it.
- The versioned store: "ready" is the insert of the job's one commit, which carries
  ``AccessExportReady``, so the fact and its announcement are one document (X-03).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Final

from pymongo import DeleteOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts import AccessExportReady
from servicekit.store import VersionedStore
from services.audit.domain.export_job import ExportJob, ExportState, FinishedFile
from services.audit.domain.export_ready import Requester
from services.audit.domain.sheet import Encoding

Document = dict[str, Any]

PIECE_BYTES: Final = 1 << 20


class ExportJobStore:
    """Export jobs, their files and their announcements: the only way the use case reaches
    them."""

    def __init__(self, db: AsyncDatabase[Document], store: VersionedStore) -> None:
        self.jobs = db["export_jobs"]
        self.pieces = db["export_pieces"]
        self.downloads = db["export_downloads"]
        self.store = store

    async def add(self, job: ExportJob) -> None:
        await self.jobs.insert_one(_document(job))

    async def get(self, export_id: str) -> ExportJob | None:
        found = await self.jobs.find_one({"_id": export_id})
        return None if found is None else _job(found)

    async def created_before(self, cutoff: datetime) -> list[ExportJob]:
        """Jobs created before ``cutoff`` (a scan of a small collection)."""
        return [_job(d) for d in await self.jobs.find({"created_at": {"$lt": cutoff}}).to_list()]

    async def save_beat(self, job: ExportJob) -> None:
        await self._set(job.export_id, beat_at=job.beat_at)

    async def save_progress(self, job: ExportJob) -> None:
        await self._set(job.export_id, rows_read=job.rows_read)

    async def save_outcome(self, job: ExportJob) -> None:
        """The job's state, and its file once it is ready."""
        await self._set(job.export_id, **_outcome(job))

    async def commit_ready(self, job: ExportJob, announcement: AccessExportReady) -> None:
        """The job's one commit: its finished file, with the event that announces it."""
        await self.store.append(_aggregate(job.export_id), 0, _outcome(job), [announcement])

    async def committed_file(self, export_id: str) -> FinishedFile | None:
        """The file the job's ready commit names, if the job got that far."""
        state = (await self.store.load(_aggregate(export_id))).state
        return None if state is None else _file(state)

    async def announced(self, export_id: str) -> bool:
        """Nothing of the job is still waiting for the relay."""
        return await self.store.relayed(_aggregate(export_id), 1)

    async def put_file(self, export_id: str, chunks: AsyncIterator[bytes]) -> tuple[int, int]:
        """The file's bytes into pieces of about :data:`PIECE_BYTES`: (pieces, size)."""
        pieces = size = 0
        buffer = bytearray()
        async for chunk in chunks:
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

    async def piece(self, export_id: str, i: int) -> bytes | None:
        found = await self.pieces.find_one({"_id": _piece(export_id, i)})
        return None if found is None else bytes(found["data"])

    async def drop_file(self, export_id: str, pieces: int) -> None:
        if pieces:
            deletes = [DeleteOne({"_id": _piece(export_id, i)}) for i in range(pieces)]
            await self.pieces.bulk_write(deletes, ordered=False)

    async def claim_download(self, export_id: str, at: datetime) -> bool:
        """The one download of the job's file: ``False`` if another one has it (X-13)."""
        try:
            await self.downloads.insert_one({"_id": export_id, "at": at})
        except DuplicateKeyError:
            return False
        return True

    async def forget(self, jobs: Sequence[ExportJob]) -> None:
        """Jobs gone with their files, download claims and commits (X-14)."""
        for job in jobs:
            await self.drop_file(job.export_id, job.file.pieces if job.file else 0)
        if jobs:
            ids = [DeleteOne({"_id": job.export_id}) for job in jobs]
            await self.jobs.bulk_write(ids, ordered=False)
            await self.downloads.bulk_write(ids, ordered=False)
            await self.store.forget([_aggregate(job.export_id) for job in jobs])

    async def _set(self, export_id: str, **fields: Any) -> None:
        await self.jobs.update_one({"_id": export_id}, {"$set": fields})


def _piece(export_id: str, i: int) -> str:
    return f"{export_id}:{i:06d}"


def _aggregate(export_id: str) -> str:
    """The job's aggregate in the versioned store: one commit, made when the file is ready."""
    return f"export:{export_id}"


def _outcome(job: ExportJob) -> Document:
    """What a job's end writes: its state, and with a file its rows and the file's fields."""
    outcome: Document = {"state": job.state.value}
    if job.state is ExportState.READY and job.file is not None:
        file = job.file
        outcome |= {"rows_read": job.rows_read, "rows": file.rows, "pieces": file.pieces}
        outcome |= {"size": file.size, "filename": file.filename}
    return outcome


def _file(doc: Document) -> FinishedFile | None:
    """The finished file a job's document or its commit names (``pieces``: it is stored)."""
    if "pieces" not in doc:
        return None
    rows = int(doc.get("rows") or doc.get("rows_read") or 0)
    return FinishedFile(rows, int(doc["pieces"]), int(doc.get("size", 0)), doc.get("filename", ""))


def _document(job: ExportJob) -> Document:
    doc: Document = {
        "_id": job.export_id,
        "realm": job.realm,
        "org_id": job.org_id,
        "state": job.state.value,
        "encoding": job.encoding.value,
        "rows_read": job.rows_read,
        "created_at": job.created_at,
        "beat_at": job.beat_at,
        "requester": None if job.requester is None else job.requester.to_document(),
        "correlation_id": job.correlation_id,
    }
    return doc | _outcome(job)


def _job(doc: Document) -> ExportJob:
    """A stored job; one written by an older audit may lack what it did not know yet."""
    requester = doc.get("requester")
    created: datetime = doc["created_at"]
    return ExportJob(
        export_id=doc["_id"],
        realm=doc["realm"],
        org_id=doc["org_id"],
        state=ExportState(doc["state"]),
        encoding=Encoding(doc["encoding"]),
        created_at=created,
        beat_at=doc.get("beat_at", created),
        rows_read=int(doc.get("rows_read", 0)),
        file=_file(doc),
        requester=None if requester is None else Requester.from_document(requester),
        correlation_id=doc.get("correlation_id", ""),
    )
