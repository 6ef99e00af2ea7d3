"""Changing the registered e-mail address (ID-EMAIL-01): confirmed by a link to the new address.

Nothing changes until the link is followed. The link carries 256 random bits; only their
SHA-256 is stored, and a newer request replaces the older link. Confirming is a new version of
the user (X-13), so two parallel confirmations of one link cannot both count (X-11).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from contracts import (
    EmailChanged,
    EmailChangeRequested,
    EmailLinkConsumed,
    EmailLinkIssued,
    SealedSecret,
    UserProfileChanged,
)
from contracts.identity import LinkPurpose, ProfileField
from domainkit.decision import Decision
from services.identity.domain.users import EmailChange, User

LIFETIME = timedelta(hours=24)


class Confirmation(Enum):
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    INVALID = "invalid"


def confirmation_link(realm: str, token: str) -> str:
    """The path the mail links to; notify puts the realm's public base URL in front of it."""
    return f"/realms/{realm}/email-change/confirm?token={token}"


def request(
    user: User,
    new_email: str,
    hashed: str,
    sealed_link: SealedSecret,
    correlation_id: str,
    now: datetime,
) -> Decision[User, bool]:
    expires_at = now + LIFETIME
    fields = user.envelope(user.as_actor, correlation_id, now)
    requested = EmailChangeRequested(**fields, new_email=new_email, expires_at=expires_at)
    link = EmailLinkIssued(
        **fields,
        purpose=LinkPurpose.EMAIL_CHANGE_CONFIRMATION,
        recipient_email=new_email,
        sealed_link=sealed_link,
        expires_at=expires_at,
    )
    pending = EmailChange(token_hash=hashed, new_email=new_email, expires_at=expires_at)
    return Decision.commit(True, user.but(email_change=pending), requested, link)


def confirm(
    user: User,
    hashed: str,
    correlation_id: str,
    now: datetime,
    completion_notice: bool = False,
) -> Decision[User, Confirmation]:
    """Follow the link: the address changes. Where the realm mails completion notices
    (ID-PW-07) the notice goes to the address registered until now, the one that can raise the
    alarm if the change was not its owner's doing (the new one has just proved itself)."""
    pending = user.email_change
    if pending is None or pending.token_hash != hashed:
        return Decision.nothing(Confirmation.INVALID)  # used, replaced by a newer link, or never
    if now >= pending.expires_at:
        return Decision.nothing(Confirmation.EXPIRED)
    old = user.profile
    profile = old.model_copy(update={"email": pending.new_email})
    fields = user.envelope(user.as_actor, correlation_id, now)
    events = (
        EmailLinkConsumed(**fields, purpose=LinkPurpose.EMAIL_CHANGE_CONFIRMATION),
        EmailChanged(
            **fields,
            previous_email=old.email,
            new_email=pending.new_email,
            completion_notice_to=(old.email or pending.new_email) if completion_notice else None,
        ),
        UserProfileChanged(
            **fields,
            login_id=user.login_id,
            profile=profile,
            changed_fields=frozenset({ProfileField.EMAIL}),
        ),
    )
    new = user.but(profile=profile, email_change=None)
    return Decision(Confirmation.CONFIRMED, new, events)
