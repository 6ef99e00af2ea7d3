"""The access-history export as a job, for files too large to wait for (AU-03, AU-04, issue
16): started, its progress, its file downloaded once."""

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from services.audit.api.deps import AuditDep, OrgId, RealmName, Requested, Token
from services.audit.api.problems import refusals
from services.audit.domain.export_ready import Requester
from services.audit.usecases.export_jobs import JobStatus

router = APIRouter(prefix="/v1", tags=["access history"])


@router.post(
    "/realms/{realm}/orgs/{org_id}/access-history/exports",
    summary="Make the access-history CSV as a job, for files too large to wait for",
    status_code=202,
    responses={403: {"description": "FORBIDDEN"}},
)
async def start_export(token: Token, request: Requested, audit: AuditDep) -> JobStatus:
    caller = await audit.access.exporter(token, request.realm, request.org_id)
    with refusals():
        audit.exports.clip(request)  # a refused period is refused now, not in the job
    return await audit.jobs.start(request, Requester.of(caller))


@router.get(
    "/realms/{realm}/orgs/{org_id}/access-history/exports/{export_id}",
    summary="How far the export job has come",
    responses={404: {"description": "NOT_FOUND"}, 403: {"description": "FORBIDDEN"}},
)
async def export_status(
    token: Token, realm: RealmName, org_id: OrgId, export_id: str, audit: AuditDep
) -> JobStatus:
    await audit.access.exporter(token, realm, org_id)
    with refusals():
        return await audit.jobs.status(realm, org_id, export_id)


@router.get(
    "/realms/{realm}/orgs/{org_id}/access-history/exports/{export_id}/file",
    summary="The export job's CSV, downloaded once",
    response_class=StreamingResponse,
    responses={409: {"description": "EXPORT_NOT_READY"}, 410: {"description": "EXPORT_GONE"}},
)
async def export_file(
    token: Token, realm: RealmName, org_id: OrgId, export_id: str, audit: AuditDep
) -> StreamingResponse:
    await audit.access.exporter(token, realm, org_id)
    with refusals():
        status, pieces = await audit.jobs.take(realm, org_id, export_id)
    return StreamingResponse(
        pieces,
        headers={**status.file_headers(), "X-Access-History-Rows": str(status.rows)},
    )
