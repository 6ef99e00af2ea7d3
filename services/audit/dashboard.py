"""The ops dashboard (WEB-02, AU-05): the realm's live access records and the counters of
logins, failures, locks, mails and certificates, on a page fed by server-sent events.

Operator data (X-15): only a support operator of the realm with a complete login sees it (the
realm's operations desk; the SPEC names no other ops role). Anyone else is sent to the login
or refused alike, whatever the realm holds. Without JavaScript the page reloads itself every
ten seconds; with it, ``dashboard.js`` adds each record as it arrives.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response, StreamingResponse

from contracts import AccessRecorded
from contracts.common import Role
from servicekit.credentials import Caller, Introspection, Refusal
from services.audit.live_tail import KINDS, Tail
from services.audit.stream import kind_of
from webkit.pages import Pages, page_caller

TOKYO = ZoneInfo("Asia/Tokyo")
PAGES = Pages(Path(__file__).resolve().parent / "templates")
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
RealmName = Annotated[str, PathParam(pattern=r"^[a-z0-9-]{1,40}$")]


def may_watch(caller: Caller, realm: str) -> Refusal | None:
    """The realm's support operators, once their login is complete."""
    if caller.restricted:
        return Refusal.LOGIN_INCOMPLETE
    if caller.realm == realm and caller.role == Role.SUPPORT:
        return None
    return Refusal.NOT_PERMITTED


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


def router(tail: Tail, introspection: Introspection) -> APIRouter:
    pages = APIRouter(prefix="/realms/{realm}/ops", tags=["pages"], include_in_schema=False)

    async def watcher(request: Request, realm: str) -> Caller | Refusal:
        found = await page_caller(request, introspection)
        if isinstance(found, Refusal):
            return found
        return may_watch(found, realm) or found

    @pages.get("/dashboard")
    async def dashboard(request: Request, realm: RealmName) -> Response:
        found = await watcher(request, realm)
        if isinstance(found, Refusal):
            return PAGES.refused(request, realm, found)
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

    @pages.get("/dashboard/events")
    async def events(request: Request, realm: RealmName) -> Response:
        found = await watcher(request, realm)
        if isinstance(found, Refusal):
            return PAGES.refused(request, realm, found)
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

    return pages
