"""ログイン・操作履歴 (AU-07, seed 002): the member's own logins and changes of the last 90 days,
newest first, 50 a page, with what to do if one is not its own: change the password at once
(the link leads to identity's password change page of the realm).

Only reading, so a plain GET page without a form; ``page`` is read leniently (anything but a
page number shows the first), so no query string can make it answer other than a page.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from domainkit.callers import Refusal
from servicekit.credentials import browser_session_token
from services.audit.domain.own_history import (
    NOTICE,
    PAGE_SIZE,
    WINDOW_DAYS,
    password_change_page,
)
from services.audit.pages.deps import PAGES, AuditDep, RealmName

router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)


@router.get("/my-history")
async def my_history(
    request: Request,
    realm: RealmName,
    audit: AuditDep,
    page: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    caller = await audit.access.own_reader(browser_session_token(request), realm)
    if isinstance(caller, Refusal):
        return PAGES.refused(request, realm, caller)
    found = await audit.own.page(caller, int(page) if page.isdecimal() else 1)
    return PAGES.render(
        request,
        "my_history",
        realm=realm,
        title="ログイン・操作履歴",
        found=found,
        first=(found.page - 1) * PAGE_SIZE + 1,
        days=WINDOW_DAYS,
        notice=NOTICE,
        password_change=password_change_page(realm),
    )
