"""A roster file uploaded from the console, held until the operator confirms it (WEB-04, WEB-05,
EN-07): what the confirmation shows (the union, the file's name, size and encoding, its lines and
the first of them), and the file itself, kept in the database in compressed chunks so that any
replica can start its import (X-16). Nothing of it is in force, or read by a check, until
確定する; the upkeep deletes what nobody confirmed within ``PENDING_KEPT`` (X-14).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import itertools
import os
import secrets
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from servicekit.logs import get_logger
from services.enroll.domain.imports import PENDING_KEPT, PREVIEW_LINES, PendingUpload
from services.enroll.domain.roster import Restrictions
from services.enroll.usecases import roster_encoding
from services.enroll.usecases.context import Context

log = get_logger(__name__)

CHUNK = 1 << 20
"""Bytes of the file per stored chunk (before compression)."""
PREVIEW_BYTES = 64 * 1024
PREVIEW_CELL = 60
"""Characters of a cell the confirmation shows (a cell of junk is cut there)."""
PREVIEW_COLUMNS = 12


@dataclass
class LineCount:
    """Line ends as the reader counts them (CRLF, LF, or a lone CR), block by block: neither
    cp932 nor UTF-8 has a CR or LF byte inside a character."""

    ends: int = 0
    last: bytes = b""

    def add(self, block: bytes) -> None:
        if not block:
            return
        self.ends += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
        if self.last == b"\r" and block[:1] == b"\n":
            self.ends -= 1  # a CRLF cut between two blocks
        self.last = block[-1:]

    @property
    def lines(self) -> int:
        unfinished = self.last not in (b"", b"\r", b"\n")
        return self.ends + unfinished


@dataclass
class Read:
    chunks: list[bytes] = field(default_factory=list)
    count: LineCount = field(default_factory=LineCount)


def preview(head: bytes, encoding: str, whole: bool) -> tuple[tuple[str, ...], ...]:
    """The file's first lines as cells, read as the import will read them; what the encoding
    cannot read shown as ``�`` (the import will name its line)."""
    text = head.decode(encoding, errors="replace")
    if not whole:
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]
    try:
        rows = list(itertools.islice(csv.reader(io.StringIO(text, newline="")), PREVIEW_LINES))
    except csv.Error:
        return ()
    return tuple(tuple(cell[:PREVIEW_CELL] for cell in row[:PREVIEW_COLUMNS]) for row in rows)


def _next_chunk(f: BinaryIO, count: LineCount) -> bytes | None:
    """The next block of the file, counted and compressed (in a worker thread)."""
    block = f.read(CHUNK)
    if not block:
        return None
    count.add(block)
    return zlib.compress(block, 1)


class RosterUploads:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.uploads = context.store.uploads

    async def hold(
        self,
        insurer_number: str,
        path: Path,
        file_name: str,
        encoding: str,
        restrictions: Restrictions,
        uploaded_by: str,
    ) -> PendingUpload:
        """The file at ``path`` (which this now owns and deletes) kept until its 確定する."""
        upload_id = secrets.token_hex(16)
        now = self.context.clock.now()
        try:
            detected, size = await asyncio.to_thread(roster_encoding.probe, path, encoding)
            with path.open("rb") as f:
                head = await asyncio.to_thread(f.read, PREVIEW_BYTES)
                f.seek(0)
                count, number = LineCount(), 0
                while (chunk := await asyncio.to_thread(_next_chunk, f, count)) is not None:
                    await self.uploads.write_chunk(upload_id, number, chunk, now)
                    number += 1
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        upload = PendingUpload(
            upload_id=upload_id,
            insurer_number=insurer_number,
            file_name=file_name[:200],
            size=size,
            encoding=encoding,
            detected=detected,
            lines=count.lines,
            preview=preview(head, detected, size <= PREVIEW_BYTES),
            restrictions=restrictions,
            uploaded_by=uploaded_by,
            uploaded_at=now,
            chunks=number,
        )
        await self.uploads.add(upload)
        log.info("roster upload held", upload_id=upload_id, insurer_number=insurer_number)
        return upload

    async def get(self, upload_id: str) -> PendingUpload | None:
        """The upload waiting for its 確定する; None once confirmed, discarded or expired."""
        found = await self.uploads.get(upload_id)
        if found is None or found.expired(self.context.clock.now()):
            return None
        return found

    async def file(self, upload: PendingUpload) -> Path:
        """The upload's bytes as a file of their own again, for the import (which deletes it);
        raises ``LookupError`` when a chunk is gone (purged meanwhile)."""
        handle, name = tempfile.mkstemp(prefix="roster-upload-", suffix=".csv")
        kept = False
        try:
            with os.fdopen(handle, "wb") as out:
                for number in range(upload.chunks):
                    data = await self.uploads.chunk(upload.upload_id, number)
                    if data is None:
                        raise LookupError(f"chunk {number} of {upload.upload_id} is gone")
                    await asyncio.to_thread(out.write, zlib.decompress(data))
            kept = True
        finally:
            if not kept:
                with contextlib.suppress(OSError):
                    os.unlink(name)
        return Path(name)

    async def discard(self, upload: PendingUpload) -> None:
        await self.uploads.delete(upload.upload_id, upload.chunks)

    async def purge(self) -> int:
        """Uploads nobody confirmed within ``PENDING_KEPT`` (X-14)."""
        return await self.uploads.purge(self.context.clock.now() - PENDING_KEPT)
