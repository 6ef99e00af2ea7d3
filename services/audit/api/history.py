"""The access-history preview and download (AU-03, AU-04): how many rows and how large, then
the CSV streamed in constant memory."""

from datetime import date

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from services.audit.api.deps import AuditDep, Authorised
from services.audit.api.problems import refusals

router = APIRouter(prefix="/v1", tags=["access history"])


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


@router.get(
    "/realms/{realm}/orgs/{org_id}/access-history/preview",
    summary="Rows and approximate size of an access-history export (AU-03)",
    responses={404: {"description": "NO_DATA"}, 403: {"description": "FORBIDDEN"}},
)
async def preview(request: Authorised, audit: AuditDep) -> PreviewOut:
    with refusals():
        found = await audit.exports.preview(request)
    return PreviewOut(
        rows=found.rows,
        approx_bytes=found.approx_bytes,
        warning=found.warning,
        period=PeriodOut(first=found.period.first, last=found.period.last),
        notes=list(found.notes),
    )


@router.get(
    "/realms/{realm}/orgs/{org_id}/access-history.csv",
    summary="Download the access history as CSV, streamed (AU-03, AU-04)",
    response_class=StreamingResponse,
    responses={404: {"description": "NO_DATA"}, 403: {"description": "FORBIDDEN"}},
)
async def download(request: Authorised, audit: AuditDep) -> StreamingResponse:
    with refusals():
        ready = await audit.exports.prepare(request)
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
