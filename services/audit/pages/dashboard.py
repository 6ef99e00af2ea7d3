"""The ops dashboard (WEB-02, AU-05): the realm's live access records and the counters of
logins, failures, locks, mails and certificates, on a page fed by server-sent events.

Operator data (X-15): who sees it is ``domain.authz.may_watch``'s rule; anyone else is sent to
the login or refused alike, whatever the realm holds. Without JavaScript the page reloads
itself every ten seconds; with it, ``dashboard.js`` adds each record as it arrives.
"""

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from contracts import AccessRecorded
from domainkit.callers import Refusal
from domainkit.tokyo import TOKYO
from servicekit.credentials import browser_session_token
from services.audit.domain.counters import KINDS, kind_of
from services.audit.pages.deps import PAGES, AuditDep, RealmName

STREAM_SECONDS = 300.0
"""A stream ends after five minutes; the browser's EventSource opens the next one itself."""
HEARTBEAT_SECONDS = 15.0
KIND_LABELS = {
    "logins": "ログイン",
    "failures": "ログイン失敗",
    "locks": "アカウントロック",
    "mails": "メール",
    "certificates": "証明書",
}

router = APIRouter(prefix="/realms/{realm}/ops", tags=["pages"], include_in_schema=False)


def row(record: AccessRecorded) -> dict[str, str]:
    """A record as the dashboard shows it: Tokyo time, who, what, from where."""
    kind = kind_of(record.source_event_type)
    return {
        "at": record.occurred_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S"),
        "login_id": record.login_id,
        "user_name": record.user_name or "",
        "operation": f"[{record.operation_code}] {record.operation_label}",
        "kind": KIND_LABELS.get(kind or "", ""),
        "ip": str(record.ip or ""),
    }


@router.get("/dashboard")
async def dashboard(request: Request, realm: RealmName, audit: AuditDep) -> Response:
    found = await audit.access.watcher(browser_session_token(request), realm)
    if isinstance(found, Refusal):
        return PAGES.refused(request, realm, found)
    tail = audit.tail
    recent = [row(r) for r in reversed(tail.recent) if r.realm == realm]
    counts = tail.counts(realm)
    return PAGES.render(
        request,
        "dashboard",
        realm=realm,
        title="運用ダッシュボード",
        records=recent,
        counters=[(kind, KIND_LABELS[kind], counts[kind]) for kind in KINDS],
    )


@router.get("/dashboard/events")
async def events(request: Request, realm: RealmName, audit: AuditDep) -> Response:
    found = await audit.access.watcher(browser_session_token(request), realm)
    if isinstance(found, Refusal):
        return PAGES.refused(request, realm, found)
    tail = audit.tail
    queue = tail.listen()

    async def stream() -> AsyncIterator[str]:
        try:
            yield f"retry: 2000\nevent: counters\ndata: {json.dumps(tail.counts(realm))}\n\n"
            loop = asyncio.get_running_loop()
            end = loop.time() + STREAM_SECONDS
            while loop.time() < end:
                try:
                    record = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                if record.realm != realm:
                    continue
                yield f"event: record\ndata: {json.dumps(row(record), ensure_ascii=False)}\n\n"
                yield f"event: counters\ndata: {json.dumps(tail.counts(realm))}\n\n"
        finally:
            tail.leave(queue)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
