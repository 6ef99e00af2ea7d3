"""Roster files uploaded from the console and waiting for their 確定する (WEB-04, EN-07).

The file must outlive the request that brought it, and be readable by whichever replica takes
the confirmation (X-16), so it is kept in the database: one small document per upload in
``roster_uploads`` (what the confirmation shows), its bytes in ``roster_upload_chunks``, one
document per compressed chunk, ``_id`` = upload id and chunk number, each read by its ``_id``.
Both carry the upload's time, and the upkeep deletes whatever is older than ``PENDING_KEPT``
(X-14): an abandoned upload does not stay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.enroll.domain.imports import PendingUpload
from services.enroll.domain.roster import Restrictions

Document = dict[str, Any]


def chunk_id(upload_id: str, number: int) -> str:
    return f"{upload_id}:{number:06d}"


def upload_to_document(upload: PendingUpload) -> Document:
    return {
        "_id": upload.upload_id,
        "insurer_number": upload.insurer_number,
        "file_name": upload.file_name,
        "size": upload.size,
        "encoding": upload.encoding,
        "detected": upload.detected,
        "lines": upload.lines,
        "preview": [{"cells": list(row)} for row in upload.preview],  # FerretDB: no [[…]]
        "restrictions": vars(upload.restrictions),
        "uploaded_by": upload.uploaded_by,
        "uploaded_at": upload.uploaded_at,
        "chunks": upload.chunks,
    }


def upload_from_document(doc: Document) -> PendingUpload:
    return PendingUpload(
        upload_id=str(doc["_id"]),
        insurer_number=doc["insurer_number"],
        file_name=doc["file_name"],
        size=int(doc["size"]),
        encoding=doc["encoding"],
        detected=doc["detected"],
        lines=int(doc["lines"]),
        preview=tuple(
            tuple(str(cell) for cell in row["cells"]) for row in doc.get("preview") or ()
        ),
        restrictions=Restrictions(**doc["restrictions"]),
        uploaded_by=doc["uploaded_by"],
        uploaded_at=doc["uploaded_at"],
        chunks=int(doc["chunks"]),
    )


class PendingUploads:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.uploads = db["roster_uploads"]
        self.chunks = db["roster_upload_chunks"]

    async def write_chunk(
        self, upload_id: str, number: int, data: bytes, uploaded_at: datetime
    ) -> None:
        doc = {"_id": chunk_id(upload_id, number), "data": data, "uploaded_at": uploaded_at}
        await self.chunks.insert_one(doc)

    async def add(self, upload: PendingUpload) -> None:
        """The upload's description, once its chunks are all written."""
        await self.uploads.insert_one(upload_to_document(upload))

    async def get(self, upload_id: str) -> PendingUpload | None:
        found = await self.uploads.find_one({"_id": upload_id})
        return None if found is None else upload_from_document(found)

    async def chunk(self, upload_id: str, number: int) -> bytes | None:
        found = await self.chunks.find_one({"_id": chunk_id(upload_id, number)})
        return None if found is None else bytes(found["data"])

    async def delete(self, upload_id: str, chunks: int) -> None:
        """The description first: a half-deleted upload can no longer be confirmed."""
        await self.uploads.delete_one({"_id": upload_id})
        for number in range(chunks):
            await self.chunks.delete_one({"_id": chunk_id(upload_id, number)})

    async def purge(self, uploaded_before: datetime) -> int:
        """Uploads nobody confirmed in time, and chunks of uploads that never got described
        (a request that died while storing them)."""
        deleted = await self.uploads.delete_many({"uploaded_at": {"$lt": uploaded_before}})
        await self.chunks.delete_many({"uploaded_at": {"$lt": uploaded_before}})
        return int(deleted.deleted_count)
