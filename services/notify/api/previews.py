"""A mail's wording with sample data, for operators checking it: open to anyone, since it shows
sample data only and sends nothing.

No ``from __future__ import annotations``: FastAPI reads the annotations at definition time.
"""

from fastapi import APIRouter
from pydantic import BaseModel

from servicekit.problems import Problem, ProblemCode
from services.notify.api.deps import Notify, RealmName
from services.notify.domain.mails import Template
from services.notify.domain.realms import Language
from services.notify.usecases.previews import UnknownRealm

router = APIRouter(prefix="/v1", tags=["templates"])


class Preview(BaseModel):
    """A mail as it would be sent, with sample data in place of the event's facts and secrets."""

    template: Template
    sender: str
    subject: str
    text: str
    html: str | None
    attachment_text: str | None
    """The notice that travels as an AES-256 ZIP (NT-06), shown unencrypted for checking."""


@router.get(
    "/realms/{realm}/templates/{template}/preview",
    summary="A mail's wording with sample data; nothing is sent",
)
async def preview(
    realm: RealmName, template: Template, usecases: Notify, lang: Language | None = None
) -> Preview:
    try:
        sender, rendered = usecases.previews.preview(realm, template, lang)
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
