"""The console's roster import jobs (WEB-04, EN-07): one document per job, ``roster_jobs``.

Only the task that runs an import writes its job (its progress, then its outcome), so a plain
``$set`` is enough: nothing here is a check-then-change (X-13). Finished and silent jobs are
deleted after ``KEPT`` by the upkeep (X-14); the bad lines a job keeps are bounded by the
reader (``MAX_REFUSED_LINES``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from servicekit.facts import insert_new
from services.enroll.domain.imports import ImportJob, Phase, RefusedLine

Document = dict[str, Any]


def job_to_document(job: ImportJob) -> Document:
    doc = asdict(job)
    doc["_id"] = doc.pop("job_id")
    doc["phase"] = job.phase.value
    doc["refused"] = [asdict(r) for r in job.refused]
    return doc


def job_from_document(doc: Document) -> ImportJob:
    return ImportJob(
        job_id=str(doc["_id"]),
        insurer_number=doc["insurer_number"],
        started_by=doc["started_by"],
        started_at=doc["started_at"],
        updated_at=doc["updated_at"],
        phase=Phase(doc["phase"]),
        bytes_total=int(doc.get("bytes_total", 0)),
        bytes_read=int(doc.get("bytes_read", 0)),
        lines=int(doc.get("lines", 0)),
        refused_count=int(doc.get("refused_count", 0)),
        parts_total=int(doc.get("parts_total", 0)),
        parts_written=int(doc.get("parts_written", 0)),
        refused=tuple(
            RefusedLine(int(r["line"]), r.get("field"), str(r["reason"]))
            for r in doc.get("refused") or ()
        ),
        rows=doc.get("rows"),
        version=doc.get("version"),
        changed=doc.get("changed"),
    )


class ImportJobs:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["roster_jobs"]

    async def add(self, job: ImportJob) -> None:
        await self.collection.insert_one(job_to_document(job))

    async def add_once(self, job: ImportJob) -> bool:
        """The job, unless one of its id is there: a second 確定する of one upload starts
        nothing (X-13's insert, atomic on both databases). False: it was there."""
        return not await insert_new(self.collection, [job_to_document(job)])

    async def save(self, job: ImportJob) -> None:
        """The job as its task knows it now (its one writer)."""
        doc = job_to_document(job)
        await self.collection.replace_one({"_id": doc["_id"]}, doc)

    async def get(self, job_id: str) -> ImportJob | None:
        found = await self.collection.find_one({"_id": job_id})
        return None if found is None else job_from_document(found)

    async def purge(self, updated_before: datetime) -> int:
        deleted = await self.collection.delete_many({"updated_at": {"$lt": updated_before}})
        return int(deleted.deleted_count)
