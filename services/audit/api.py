"""Audit's HTTP routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from services.audit.domain import AccessRecord
from services.audit.usecases import AuditUseCases


class AccessRecordPage(BaseModel):
    items: list[AccessRecord]


def router(usecases: AuditUseCases) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["access history"])

    @api.get("/realms/{realm}/access-records", summary="Latest access records of a realm")
    async def list_records(
        realm: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")],
        org_id: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> AccessRecordPage:
        records = await usecases.latest(realm, org_id, limit)
        return AccessRecordPage(items=records)

    return api
