"""One's own history (AU-07): the session's user's logins and changes of the last 90 days,
newest first, and where to change its password if a row is not its own."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from domainkit.callers import Refusal
from servicekit.credentials import refused
from services.audit.api.deps import AuditDep, RealmName, Token
from services.audit.domain.own_history import NOTICE, WINDOW_DAYS, password_change_page

router = APIRouter(prefix="/v1", tags=["own history"])


class OwnRowOut(BaseModel):
    occurred_at: datetime
    operation_code: str
    operation_label: str
    done_by: str | None
    """Who did it when another person did (管理者 / サポート窓口): their address is not shown."""
    ip: str | None
    user_agent: str | None
    browser: str | None
    """The user agent as a person names it: Google Chrome（Windows）."""


class OwnHistoryOut(BaseModel):
    days: int
    page: int
    pages: int
    total: int
    rows: list[OwnRowOut]
    notice: str
    password_change: str
    """Identity's password change page of the realm."""


@router.get(
    "/realms/{realm}/my-history",
    summary="The session's own logins and changes of the last 90 days, newest first (AU-07)",
    responses={401: {"description": "SESSION_EXPIRED"}, 403: {"description": "FORBIDDEN"}},
)
async def my_history(
    token: Token,
    realm: RealmName,
    audit: AuditDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> OwnHistoryOut:
    caller = await audit.access.own_reader(token, realm)
    if isinstance(caller, Refusal):
        raise refused(caller)
    found = await audit.own.page(caller, page)
    rows = [
        OwnRowOut(
            occurred_at=r.occurred_at,
            operation_code=r.operation_code,
            operation_label=r.operation_label,
            done_by=r.done_by,
            ip=r.ip,
            user_agent=r.user_agent,
            browser=r.browser,
        )
        for r in found.rows
    ]
    return OwnHistoryOut(
        days=WINDOW_DAYS,
        page=found.page,
        pages=found.pages,
        total=found.total,
        rows=rows,
        notice=NOTICE,
        password_change=password_change_page(realm),
    )
