"""A realm's delivery log: whom mail went to and what became of it, for its support desk only
(X-15); never a body or a secret (X-02).

No ``from __future__ import annotations``: FastAPI reads the annotations at definition time.
"""

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.notify.api.deps import Notify, SupportDesk
from services.notify.domain.deliveries import DeliverySearch, Status

router = APIRouter(prefix="/v1", tags=["delivery log"])


class Delivery(BaseModel):
    """One mail of the delivery log: no body and no secret, ever (X-02)."""

    event_id: str
    event_type: str
    template: str
    realm: str
    org_id: str | None
    recipient: str
    message_id: str
    status: Status
    attempts: int
    reason: str | None
    created_at: datetime
    updated_at: datetime


class DeliveryPage(BaseModel):
    items: list[Delivery]


@router.get(
    "/realms/{realm}/deliveries",
    summary="The realm's delivery log, newest first, for its support desk",
)
async def deliveries(
    realm: SupportDesk,
    usecases: Notify,
    recipient: Annotated[str | None, Query(max_length=254)] = None,
    event_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Status | None = None,
    org_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
    day: Annotated[date | None, Query(description="A Tokyo date: the mails begun that day")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeliveryPage:
    """Whom mail went to and what became of it; never a body or a secret (X-02).

    Only a support operator of ``realm`` with a complete login may read it. Anyone else,
    with or without a session, is refused the same way whether the realm has mail or
    not (X-15), and sees no other realm's mail.
    """
    wanted = DeliverySearch(realm, recipient, event_id, status, org_id, day, limit=limit)
    entries = await usecases.delivery_log.search(wanted)
    return DeliveryPage(items=[Delivery.model_validate(asdict(entry)) for entry in entries])
