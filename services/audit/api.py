"""Audit's HTTP routes: the access-history preview and download (AU-03, AU-04), the export as a
job for large files (started, its progress, downloaded once), and a listing.

No ``from __future__ import annotations`` here: FastAPI reads the dependencies declared in
annotations, and those built inside ``router`` must be evaluated where they are defined.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from servicekit.credentials import Caller, Introspection, session_token
from servicekit.problems import Problem, ProblemCode
from services.audit.access import may_export
from services.audit.domain import AccessRecord
from services.audit.export_jobs import (
    ExportGone,
    ExportJobs,
    ExportNotReady,
    ExportUnknown,
    JobStatus,
)
from services.audit.export_ready import Requester
from services.audit.exports import ExportRequest, Exports, NoData
from services.audit.period import KNOWN_REALMS, PeriodRefused
from services.audit.sheet import Encoding, Order
from services.audit.usecases import AuditUseCases

RealmName = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$", examples=["demo"])]
OrgId = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,64}$")]
Token = Annotated[str, Depends(session_token)]


class AccessRecordPage(BaseModel):
    items: list[AccessRecord]


class PeriodOut(BaseModel):
    first: date
    last: date


class PreviewOut(BaseModel):
    """レコード件数とおおよそのファイルサイズ (seed 004 ③), and what the period was clipped to."""

    rows: int
    approx_bytes: int
    warning: str | None
    period: PeriodOut
    notes: list[str]


# Dependencies are ``async def``: FastAPI would run a plain ``def`` one in a worker thread.


async def export_request(
    realm: RealmName,
    org_id: OrgId,
    first: Annotated[date | None, Query(alias="from", description="開始日 (Asia/Tokyo)")] = None,
    last: Annotated[date | None, Query(alias="to", description="終了日 (Asia/Tokyo)")] = None,
    login_id: Annotated[
        str | None,
        Query(pattern=r"^[\x21-\x7e]{1,254}$", description="WebユーザーID; none: 全ユーザー指定"),
    ] = None,
    order: Annotated[
        Order, Query(description="user: WebユーザーID単位, time: アクセス日時単位")
    ] = (Order.BY_USER),
    encoding: Annotated[Encoding, Query()] = Encoding.CP932,
    client_info: Annotated[
        bool, Query(description="add IPアドレス and ユーザーエージェント columns")
    ] = False,
) -> ExportRequest:
    return ExportRequest(realm, org_id, first, last, login_id, order, encoding, client_info)


@contextmanager
def refusals() -> Iterator[None]:
    """The export's refusals as problems, in one place."""
    try:
        yield
    except PeriodRefused as err:
        raise Problem(ProblemCode.VALIDATION_ERROR, detail=str(err)) from None
    except NoData as err:
        raise Problem(ProblemCode.NO_DATA, notes=list(err.notes)) from None
    except ExportUnknown:
        raise Problem(ProblemCode.NOT_FOUND) from None
    except ExportNotReady as err:
        raise Problem(ProblemCode.EXPORT_NOT_READY, state=str(err)) from None
    except ExportGone:
        raise Problem(ProblemCode.EXPORT_GONE) from None


def router(
    usecases: AuditUseCases, exports: Exports, jobs: ExportJobs, introspection: Introspection
) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["access history"])

    async def require_reader(token: str, realm: str, org_id: str) -> Caller:
        """The organisation's admin, or its realm's support desk (AU-03), through identity's
        introspection of the caller's session.

        Asked before anything is looked up, so that a stranger, a caller of another realm or
        organisation, and one asking for an organisation or realm that does not exist all get
        the same answer (X-15). A caller who passes is of that realm, so a realm audit has no
        history rules for can only be one identity has and audit does not know yet.
        """
        caller = await introspection.authorise(
            token, lambda caller: may_export(caller, realm, org_id)
        )
        if realm not in KNOWN_REALMS:
            raise Problem(ProblemCode.REALM_NOT_FOUND, detail=f"realm {realm!r}")
        return caller

    async def authorised(
        token: Token, request: Annotated[ExportRequest, Depends(export_request)]
    ) -> ExportRequest:
        await require_reader(token, request.realm, request.org_id)
        return request

    Authorised = Annotated[ExportRequest, Depends(authorised)]

    @api.get(
        "/realms/{realm}/orgs/{org_id}/access-history/preview",
        summary="Rows and approximate size of an access-history export (AU-03)",
        responses={404: {"description": "NO_DATA"}, 403: {"description": "FORBIDDEN"}},
    )
    async def preview(request: Authorised) -> PreviewOut:
        with refusals():
            found = await exports.preview(request)
        return PreviewOut(
            rows=found.rows,
            approx_bytes=found.approx_bytes,
            warning=found.warning,
            period=PeriodOut(first=found.period.first, last=found.period.last),
            notes=list(found.notes),
        )

    @api.get(
        "/realms/{realm}/orgs/{org_id}/access-history.csv",
        summary="Download the access history as CSV, streamed (AU-03, AU-04)",
        response_class=StreamingResponse,
        responses={404: {"description": "NO_DATA"}, 403: {"description": "FORBIDDEN"}},
    )
    async def download(request: Authorised) -> StreamingResponse:
        with refusals():
            ready = await exports.prepare(request)
        period = ready.clipped.period
        return StreamingResponse(
            ready.chunks(),
            media_type=f"text/csv; charset={request.encoding.value}",
            headers={
                "Content-Disposition": f'attachment; filename="{ready.filename}"',
                "X-Access-History-Period": f"{period.first.isoformat()}/{period.last.isoformat()}",
                "X-Access-History-Rows": str(ready.spool.count),
            },
        )

    @api.post(
        "/realms/{realm}/orgs/{org_id}/access-history/exports",
        summary="Make the access-history CSV as a job, for files too large to wait for",
        status_code=202,
        responses={403: {"description": "FORBIDDEN"}},
    )
    async def start_export(
        token: Token, request: Annotated[ExportRequest, Depends(export_request)]
    ) -> JobStatus:
        caller = await require_reader(token, request.realm, request.org_id)
        with refusals():
            exports.clip(request)  # a refused period is refused now, not in the job
        return await jobs.start(request, Requester.of(caller))

    @api.get(
        "/realms/{realm}/orgs/{org_id}/access-history/exports/{export_id}",
        summary="How far the export job has come",
        responses={404: {"description": "NOT_FOUND"}, 403: {"description": "FORBIDDEN"}},
    )
    async def export_status(
        token: Token, realm: RealmName, org_id: OrgId, export_id: str
    ) -> JobStatus:
        await require_reader(token, realm, org_id)
        with refusals():
            return await jobs.status(realm, org_id, export_id)

    @api.get(
        "/realms/{realm}/orgs/{org_id}/access-history/exports/{export_id}/file",
        summary="The export job's CSV, downloaded once",
        response_class=StreamingResponse,
        responses={409: {"description": "EXPORT_NOT_READY"}, 410: {"description": "EXPORT_GONE"}},
    )
    async def export_file(
        token: Token, realm: RealmName, org_id: OrgId, export_id: str
    ) -> StreamingResponse:
        await require_reader(token, realm, org_id)
        with refusals():
            status, pieces = await jobs.take(realm, org_id, export_id)
        return StreamingResponse(
            pieces,
            headers={**status.file_headers(), "X-Access-History-Rows": str(status.rows)},
        )

    @api.get(
        "/realms/{realm}/orgs/{org_id}/access-records",
        summary="An organisation's latest access records, for the same callers as the export",
        responses={403: {"description": "FORBIDDEN"}},
    )
    async def list_records(
        token: Token,
        realm: RealmName,
        org_id: OrgId,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> AccessRecordPage:
        await require_reader(token, realm, org_id)
        records = await usecases.latest(realm, org_id, limit)
        return AccessRecordPage(items=records)

    return api
