"""Events of the notify service, on topic ``notify.events`` (SPEC section 3).

``subject_id`` is the source event's subject, so the outcome of a mail sits in the same
partition order as what caused it; ``causation_id`` is the source ``event_id`` as text, and
``source_event_id`` says the same as a typed field, because it is the key of NT-03's "one mail
per source event".

Recipients are masked (``ta***@example.co.jp``): these events feed dashboards and logs, which
need to tell mails apart, not to read addresses.

All names are the issue's; none renamed.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from contracts.envelope import NotifyEvent

__all__ = ["MailFailed", "MailSent", "MaskedEmail", "TemplateName", "mask_email"]

MaskedEmail = Annotated[
    str, StringConstraints(min_length=3, max_length=254, pattern=r"^[^@\s]*\*[^@\s]*@[^@\s]+$")
]
"""An address whose local part is masked with ``*``: refuses an unmasked address."""

TemplateName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
"""The mail template used, e.g. ``login_link`` (NT-02)."""

_KEEP_CHARS = 2


def mask_email(address: str) -> str:
    """Mask an address's local part for ``MailSent``/``MailFailed``: ``ta***@example.co.jp``.

    Keeps at most two leading characters (none for a local part of two or fewer), so the
    masked form never equals the address.
    """
    local, at, domain = address.rpartition("@")
    if not at:
        raise ValueError("not an e-mail address")
    kept = local[:_KEEP_CHARS] if len(local) > _KEEP_CHARS else ""
    return f"{kept}***@{domain}"


class MailSent(NotifyEvent):
    """A mail for a source event was accepted by the SMTP server (NT-04)."""

    type: Literal["MailSent"] = "MailSent"
    version: Literal[1] = 1
    source_event_id: UUID
    source_event_type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    template: TemplateName
    recipient_masked: MaskedEmail
    message_id: Annotated[str, StringConstraints(min_length=3, max_length=255)]
    """The mail's ``Message-ID``, derived from the source event id (NT-03)."""
    attempts: Annotated[int, Field(ge=1)]


class MailFailed(NotifyEvent):
    """The last attempt failed; the message went to the dead-letter topic (NT-04)."""

    type: Literal["MailFailed"] = "MailFailed"
    version: Literal[1] = 1
    source_event_id: UUID
    source_event_type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    template: TemplateName
    recipient_masked: MaskedEmail
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    """What went wrong (the SMTP reply, say); never the mail body, which may hold a secret."""
    attempts: Annotated[int, Field(ge=1)]
