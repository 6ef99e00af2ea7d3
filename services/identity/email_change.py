"""Changing the registered e-mail address (ID-EMAIL-01): confirmed by a link to the new address.

Nothing changes until the link is followed. The link carries 256 random bits; only their
SHA-256 is stored, and a newer request replaces the older link. Confirming is a new version of
the user (X-13), so two parallel confirmations of one link cannot both count (X-11).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import Enum

from contracts import (
    Actor,
    ActorKind,
    EmailChanged,
    EmailChangeRequested,
    EmailLinkConsumed,
    EmailLinkIssued,
    SealedSecret,
    UserProfileChanged,
)
from contracts.common import UserProfile
from contracts.identity import LinkPurpose, ProfileField
from servicekit.store import Change, Loaded
from services.identity.domain import envelope_of

LIFETIME = timedelta(hours=24)


class Confirmation(Enum):
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    INVALID = "invalid"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def confirmation_link(realm: str, token: str) -> str:
    """The path the mail links to; notify puts the realm's public base URL in front of it."""
    return f"/realms/{realm}/email-change/confirm?token={token}"


def request(
    current: Loaded,
    new_email: str,
    hashed: str,
    sealed_link: SealedSecret,
    correlation_id: str,
    now: datetime,
) -> Change[bool]:
    state = current.state
    assert state is not None, "a session names an existing user"
    expires_at = now + LIFETIME
    actor = Actor(kind=ActorKind.USER, id=state["user_id"])
    envelope = envelope_of(
        state["realm"], state["org_id"], state["user_id"], actor, correlation_id, now
    )
    events = [
        EmailChangeRequested(**envelope, new_email=new_email, expires_at=expires_at),
        EmailLinkIssued(
            **envelope,
            purpose=LinkPurpose.EMAIL_CHANGE_CONFIRMATION,
            recipient_email=new_email,
            sealed_link=sealed_link,
            expires_at=expires_at,
        ),
    ]
    pending = {"token_hash": hashed, "new_email": new_email, "expires_at": expires_at}
    return Change(outcome=True, state={**state, "email_change": pending}, events=events)


def confirm(
    current: Loaded,
    hashed: str,
    correlation_id: str,
    now: datetime,
    completion_notice: bool = False,
) -> Change[Confirmation]:
    """Follow the link: the address changes. Where the realm mails completion notices
    (ID-PW-07) the notice goes to the address registered until now, the one that can raise the
    alarm if the change was not its owner's doing (the new one has just proved itself)."""
    state = current.state
    pending = (state or {}).get("email_change")
    if state is None or not pending or pending["token_hash"] != hashed:
        return Change.nothing(Confirmation.INVALID)  # used, replaced by a newer link, or never
    if now >= pending["expires_at"]:
        return Change.nothing(Confirmation.EXPIRED)
    old = UserProfile.model_validate(state.get("profile", {}))
    profile = old.model_copy(update={"email": pending["new_email"]})
    actor = Actor(kind=ActorKind.USER, id=state["user_id"])
    envelope = envelope_of(
        state["realm"], state["org_id"], state["user_id"], actor, correlation_id, now
    )
    events = [
        EmailLinkConsumed(**envelope, purpose=LinkPurpose.EMAIL_CHANGE_CONFIRMATION),
        EmailChanged(
            **envelope,
            previous_email=old.email,
            new_email=pending["new_email"],
            completion_notice_to=(old.email or pending["new_email"]) if completion_notice else None,
        ),
        UserProfileChanged(
            **envelope,
            login_id=state["login_id"],
            profile=profile,
            changed_fields=frozenset({ProfileField.EMAIL}),
        ),
    ]
    new = {**state, "profile": profile.model_dump(exclude_none=True), "email_change": None}
    return Change(outcome=Confirmation.CONFIRMED, state=new, events=events)
