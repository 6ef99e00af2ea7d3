"""The export job's pages (WEB-01, AU-03, AU-04, issue 16): 「ファイルを作成する」 on the
アクセス履歴出力 screen starts the job, and its page shows
「CSVファイルを作成しています（N件読み込み済み）」 until the file is ready, then one
「ダウンロード」.

Without JavaScript: the running page reloads itself (a meta refresh) and says where it stands
in a status region; the mail of :mod:`services.audit.domain.export_ready` names this page, so
the user may also close it and come back. Starting a job and taking its one file change state,
so both are POST forms with the page's CSRF token (X-12); a prefetched link can consume nothing.
Who may see a job is the export's rule, as on the screen (X-15).
"""

from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from domainkit.callers import Refusal
from domainkit.tokyo import TOKYO
from servicekit.credentials import browser_session_token
from servicekit.problems import ProblemCode
from services.audit.domain.export_job import ExportGone, ExportNotReady, ExportUnknown
from services.audit.domain.export_ready import Requester, page_path
from services.audit.domain.period import PeriodRefused
from services.audit.pages.deps import PAGES, AuditDep, RealmName
from services.audit.pages.history import Choice, chosen
from webkit import csrf

ExportId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Org = Annotated[str, Query(max_length=64)]

#: How often the running page reloads itself: often enough to see it move, rarely enough that
#: a page left open costs one progress read every few seconds.
REFRESH_SECONDS: Final = 3


router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)


def screen(realm: str, org: str, query: str = "") -> str:
    """The アクセス履歴出力 screen, for the same organisation (and choice, if given)."""
    values = "&".join(v for v in (query, f"org={org}" if org else "") if v)
    return f"/realms/{realm}/access-history" + (f"?{values}" if values else "")


@router.post("/access-history/exports", dependencies=[Depends(csrf.checked)])
async def start(
    request: Request,
    realm: RealmName,
    audit: AuditDep,
    choice: Annotated[Choice, Depends(chosen)],
    org: Org = "",
) -> Response:
    found = await audit.access.page_reader(browser_session_token(request), realm, org)
    if isinstance(found, Refusal):
        return PAGES.refused(request, realm, found)
    org_id, caller = found
    wanted, _ = choice.request(realm, org_id)
    if wanted is None:
        return RedirectResponse(screen(realm, org, choice.query()), status_code=303)
    try:
        audit.exports.clip(wanted)  # a refused period is refused on the screen, not in the job
    except PeriodRefused:
        return RedirectResponse(screen(realm, org, choice.query() + "&check=1"), 303)
    requester = Requester.of(caller)
    job = await audit.jobs.start(wanted, requester)
    return RedirectResponse(page_path(realm, org_id, job.export_id, requester), 303)


@router.get("/access-history/exports/{export_id}")
async def progress(
    request: Request, realm: RealmName, export_id: ExportId, audit: AuditDep, org: Org = ""
) -> Response:
    found = await audit.access.page_reader(browser_session_token(request), realm, org)
    if isinstance(found, Refusal):
        return PAGES.refused(request, realm, found)
    try:
        job = await audit.jobs.status(realm, found[0], export_id)
    except ExportUnknown:
        return unknown(request, realm)
    return PAGES.render(
        request,
        "access_history_export",
        realm=realm,
        title="アクセス履歴ファイルの作成",
        job=job,
        refresh_seconds=REFRESH_SECONDS,
        kept_until=tokyo(job.kept_until),
        history=screen(realm, org),
        download=f"/realms/{realm}/access-history/exports/{export_id}/file"
        + (f"?org={org}" if org else ""),
    )


@router.post("/access-history/exports/{export_id}/file", dependencies=[Depends(csrf.checked)])
async def download(
    request: Request, realm: RealmName, export_id: ExportId, audit: AuditDep, org: Org = ""
) -> Response:
    found = await audit.access.page_reader(browser_session_token(request), realm, org)
    if isinstance(found, Refusal):
        return PAGES.refused(request, realm, found)
    org_id = found[0]
    try:
        status, pieces = await audit.jobs.take(realm, org_id, export_id)
    except ExportUnknown:
        return unknown(request, realm)
    except (ExportGone, ExportNotReady):  # its page says which: downloaded, running, failed
        back = f"/realms/{realm}/access-history/exports/{export_id}"
        return RedirectResponse(back + (f"?org={org}" if org else ""), status_code=303)
    return StreamingResponse(pieces, headers={**status.file_headers(), "Cache-Control": "no-store"})


def unknown(request: Request, realm: str) -> Response:
    """A job that is not this organisation's, or is gone after a day: not found, saying no
    more (X-15)."""
    code = ProblemCode.NOT_FOUND
    return PAGES.render(request, "webkit/message", code.status, realm=realm, title=code.title)


def tokyo(instant: datetime) -> str:
    """X-04: shown in Asia/Tokyo, as the portal writes dates (2026年4月2日 09:00)."""
    local = instant.astimezone(TOKYO)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
