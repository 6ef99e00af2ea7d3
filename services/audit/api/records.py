"""An organisation's latest access records, for the same callers as the export (AU-01)."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.audit.api.deps import AuditDep, OrgId, RealmName, Token
from services.audit.domain.records import AccessRecord

router = APIRouter(prefix="/v1", tags=["access history"])


class AccessRecordPage(BaseModel):
    items: list[AccessRecord]


@router.get(
    "/realms/{realm}/orgs/{org_id}/access-records",
    summary="An organisation's latest access records, for the same callers as the export",
    responses={403: {"description": "FORBIDDEN"}},
)
async def list_records(
    token: Token,
    realm: RealmName,
    org_id: OrgId,
    audit: AuditDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AccessRecordPage:
    await audit.access.exporter(token, realm, org_id)
    records = await audit.history.latest(realm, org_id, limit)
    return AccessRecordPage(items=records)
