"""What audit's JSON routes depend on: the use cases, the session's token, the export the
query asks for, and the callers the export's rule lets through (AU-03, X-15).

``async def`` throughout: FastAPI would run a plain ``def`` dependency in a worker thread. No
``from __future__ import annotations``: FastAPI reads these annotations at import time.
"""

from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from servicekit.credentials import session_token
from services.audit.domain.export_request import ExportRequest
from services.audit.domain.sheet import Encoding, Order
from services.audit.usecases import Audit

RealmName = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$", examples=["demo"])]
OrgId = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,64}$")]
Token = Annotated[str, Depends(session_token)]


async def audit(request: Request) -> Audit:
    found: Audit = request.app.state.audit
    return found


AuditDep = Annotated[Audit, Depends(audit)]


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


Requested = Annotated[ExportRequest, Depends(export_request)]


async def authorised(token: Token, request: Requested, audit: AuditDep) -> ExportRequest:
    """The export the query asks for, once the export's rule lets its caller have it: asked
    only of a query that reads (an invalid one is answered 422 first)."""
    await audit.access.exporter(token, request.realm, request.org_id)
    return request


Authorised = Annotated[ExportRequest, Depends(authorised)]
