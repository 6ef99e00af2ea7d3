"""Notify's HTTP routes: a template preview for operators, and a realm's delivery log.

The preview shows wording with sample data only, so it is open; the delivery log says whom
mail went to, so only the realm's support desk reads it (X-15).

No ``from __future__ import annotations``: FastAPI reads the annotations at definition time.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from servicekit.credentials import Introspection, session_token
from servicekit.problems import Problem, ProblemCode
from services.notify.access import may_read_deliveries
from services.notify.domain import Template
from services.notify.realms import Language
from services.notify.store import Status
from services.notify.usecases import NotifyUseCases, UnknownRealm

RealmName = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$", examples=["kencom"])]
Token = Annotated[str, Depends(session_token)]


class Preview(BaseModel):
    """A mail as it would be sent, with sample data in place of the event's facts and secrets."""

    template: Template
    sender: str
    subject: str
    text: str
    html: str | None
    attachment_text: str | None
    """The notice that travels as an AES-256 ZIP (NT-06), shown unencrypted for checking."""


class Delivery(BaseModel):
    """One mail of the delivery log: no body and no secret, ever (X-02)."""

    event_id: str
    event_type: str
    template: str
    realm: str
    recipient: str
    message_id: str
    status: Status
    attempts: int
    reason: str | None
    created_at: datetime
    updated_at: datetime


class DeliveryPage(BaseModel):
    items: list[Delivery]


def router(usecases: NotifyUseCases, introspection: Introspection) -> APIRouter:
    api = APIRouter(prefix="/v1")

    async def support_desk(realm: RealmName, token: Token) -> str:
        """The realm whose support desk is calling, asked before anything is searched."""
        await introspection.authorise(token, lambda caller: may_read_deliveries(caller, realm))
        return realm

    @api.get(
        "/realms/{realm}/templates/{template}/preview",
        summary="A mail's wording with sample data; nothing is sent",
        tags=["templates"],
    )
    async def preview(
        realm: RealmName, template: Template, lang: Language | None = None
    ) -> Preview:
        try:
            sender, rendered = usecases.preview(realm, template, lang)
        except UnknownRealm:
            raise Problem(ProblemCode.REALM_NOT_FOUND) from None
        return Preview(
            template=template,
            sender=sender,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            attachment_text=rendered.attachment_text,
        )

    @api.get(
        "/realms/{realm}/deliveries",
        summary="The realm's delivery log, newest first, for its support desk",
        tags=["delivery log"],
    )
    async def deliveries(
        realm: Annotated[str, Depends(support_desk)],
        recipient: Annotated[str | None, Query(max_length=254)] = None,
        event_id: Annotated[str | None, Query(max_length=64)] = None,
        status: Status | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> DeliveryPage:
        """Whom mail went to and what became of it; never a body or a secret (X-02).

        Only a support operator of ``realm`` with a complete login may read it. Anyone else,
        with or without a session, is refused the same way whether the realm has mail or
        not (X-15), and sees no other realm's mail.
        """
        docs = await usecases.search(
            realm=realm, recipient=recipient, event_id=event_id, status=status, limit=limit
        )
        return DeliveryPage(
            items=[Delivery.model_validate({**d, "event_id": d["_id"]}) for d in docs]
        )

    return api
