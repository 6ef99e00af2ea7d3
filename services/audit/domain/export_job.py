"""An access-history export job (AU-03, AU-04, issue 16), as a typed aggregate with pure
transitions: started, reading rows, then ready, without data, or failed; downloaded once.

What the states mean to the portal user (ファイル作成状況, the progress page): ``running`` shows
the rows read so far; ``ready`` offers the file once; ``no_data`` says 対象データがありません;
``failed`` asks them to start again; ``downloaded`` says the file was taken.

A job runs in the replica that accepted it and beats while it runs (X-16). A replica killed
mid-job stops beating: after :data:`STALE` its job is *unsettled*, and so is one whose last
write failed. Its ready commit, if the replica made it before dying, is the truth (X-03): the
job settles as ready with that file, else as failed (nobody will finish it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from services.audit.domain.export_ready import Requester
from services.audit.domain.export_request import ExportRequest
from services.audit.domain.sheet import Encoding

#: A running job whose heartbeat is older than this died with its replica.
STALE: Final = timedelta(seconds=30)
#: How long a finished file waits for its download.
KEPT: Final = timedelta(days=1)
#: How often a running job writes its heartbeat and its progress.
BEAT: Final = timedelta(seconds=1)


class ExportState(StrEnum):
    """ファイル作成状況: where a job stands, as stored and as the progress page reads it."""

    RUNNING = "running"
    READY = "ready"
    NO_DATA = "no_data"
    FAILED = "failed"
    DOWNLOADED = "downloaded"


class ExportUnknown(Exception):
    """No such job for this organisation (or it was purged): told like any unknown thing."""


class ExportGone(Exception):
    """The file was downloaded already (once, AU-04's job)."""


class ExportNotReady(Exception):
    """The file is still being made (or its job failed): the progress says which."""


@dataclass(frozen=True)
class FinishedFile:
    """The job's CSV, made: its rows, how many stored pieces hold it, its bytes, its name."""

    rows: int
    pieces: int
    size: int
    filename: str


@dataclass(frozen=True)
class ExportJob:
    """One export job of one organisation; ``file`` once it is ready."""

    export_id: str
    realm: str
    org_id: str
    state: ExportState
    encoding: Encoding
    created_at: datetime
    beat_at: datetime
    rows_read: int = 0
    file: FinishedFile | None = None
    requester: Requester | None = None
    """Who started it (the mail of :mod:`services.audit.domain.export_ready` goes to them)."""
    correlation_id: str = ""

    @classmethod
    def started(
        cls,
        export_id: str,
        request: ExportRequest,
        requester: Requester,
        now: datetime,
        correlation_id: str,
    ) -> ExportJob:
        """A job accepted now: running, nothing read yet."""
        return cls(
            export_id=export_id,
            realm=request.realm,
            org_id=request.org_id,
            state=ExportState.RUNNING,
            encoding=request.encoding,
            created_at=now,
            beat_at=now,
            requester=requester,
            correlation_id=correlation_id,
        )

    @property
    def kept_until(self) -> datetime:
        """Until when the file waits for its download (the mail and the page say so)."""
        return self.created_at + KEPT

    def belongs_to(self, realm: str, org_id: str) -> bool:
        """A job is only ever shown for the organisation it reads (X-15)."""
        return (self.realm, self.org_id) == (realm, org_id)

    def beat(self, now: datetime) -> ExportJob:
        """The replica making it is alive."""
        return replace(self, beat_at=now)

    def read(self, rows_read: int) -> ExportJob:
        """How many rows the job has read so far (the progress page counts them)."""
        return replace(self, rows_read=rows_read)

    def finished(self, file: FinishedFile) -> ExportJob:
        """The file is made and stored: ready, every row read."""
        return replace(self, state=ExportState.READY, rows_read=file.rows, file=file)

    def found_nothing(self) -> ExportJob:
        """対象データがありません: the period holds no row for the request."""
        return replace(self, state=ExportState.NO_DATA)

    def failed(self) -> ExportJob:
        """Making the file failed; the portal user asks again."""
        return replace(self, state=ExportState.FAILED)

    def taken(self) -> ExportJob:
        """Its one download has happened (or been claimed and ended)."""
        return replace(self, state=ExportState.DOWNLOADED)

    def file_to_take(self) -> FinishedFile:
        """The file, if it may be downloaded now: a downloaded one is gone, any other state is
        not ready (the state says which)."""
        if self.state is ExportState.DOWNLOADED:
            raise ExportGone()
        if self.state is not ExportState.READY or self.file is None:
            raise ExportNotReady(self.state.value)
        return self.file

    def unsettled(self, now: datetime) -> bool:
        """Running with a heartbeat older than :data:`STALE`, or failed: its ready commit, if
        there is one, says what it really is (:meth:`settled`)."""
        stalled = self.state is ExportState.RUNNING and now - self.beat_at > STALE
        return stalled or self.state is ExportState.FAILED

    def settled(self, committed: FinishedFile | None) -> ExportJob:
        """An unsettled job as it is: ready with its committed file, else failed."""
        return self.failed() if committed is None else self.finished(committed)
