"""The e-mail-authentication address (メール認証用アドレス, ID-MAIL-01, -04): pure rules.

A user without a confirmed address registers one at login, as a step of the pending login: a
confirmation link valid for 60 minutes goes to it. Following the link (its page's POST, from any
browser: it proves the mailbox, it logs nobody in) confirms the address, and the pending login
goes on to its login link in the same commit. After 60 minutes the link answers
``AUTH_EMAIL_PROVISIONAL_TIMEOUT``, and registering again sends a new one, voiding the older.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from contracts import AuthEmailConfirmed, EmailLinkConsumed, EmailLinkIssued
from contracts.identity import LinkPurpose
from domainkit.decision import Decision
from services.identity.domain import login_link
from services.identity.domain.attempts import NewLink
from services.identity.domain.refusals import NotPermitted, StepsPending
from services.identity.domain.users import AuthEmail, User

LIFETIME = timedelta(minutes=60)


class Confirmation(Enum):
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    INVALID = "invalid"


def register(
    user: User,
    session_ref: str,
    address: str,
    link: NewLink,
    correlation_id: str,
    now: datetime,
) -> Decision[User, bool]:
    """Register (or register again) the address of the pending login of ``session_ref``."""
    if user.pending_login is None or user.pending_login.session_ref != session_ref:
        raise NotPermitted()
    if user.must_change_password:
        raise StepsPending()
    if user.auth_email is not None and user.auth_email.confirmed:
        return Decision.nothing(False)
    expires_at = now + LIFETIME
    issued = EmailLinkIssued(
        **user.envelope(user.as_actor, correlation_id, now),
        purpose=LinkPurpose.AUTH_EMAIL_CONFIRMATION,
        recipient_email=address,
        sealed_link=link.sealed_link,
        expires_at=expires_at,
    )
    provisional = AuthEmail(
        address, confirmed=False, token_hash=link.token_hash, expires_at=expires_at
    )
    return Decision.commit(True, user.but(auth_email=provisional), issued)


def confirm(
    user: User, token_hash: str, next_link: NewLink, correlation_id: str, now: datetime
) -> Decision[User, Confirmation]:
    """The confirmation page's POST: the address is confirmed, and the pending login reaches
    its login link (mailed to the address just confirmed)."""
    pending = user.auth_email
    if pending is None or pending.confirmed or pending.token_hash != token_hash:
        return Decision.nothing(Confirmation.INVALID)
    if pending.expires_at is None or now >= pending.expires_at:
        return Decision.nothing(Confirmation.EXPIRED)
    fields = user.envelope(user.as_actor, correlation_id, now)
    confirmed = user.but(auth_email=AuthEmail(pending.address, confirmed=True))
    events = (
        EmailLinkConsumed(**fields, purpose=LinkPurpose.AUTH_EMAIL_CONFIRMATION),
        AuthEmailConfirmed(
            **fields,
            auth_email=pending.address,
            kept_session=None if user.pending_login is None else user.pending_login.session_ref,
        ),
    )
    reached = login_link.reach(confirmed, next_link, fields, now)
    return Decision(Confirmation.CONFIRMED, reached.state or confirmed, (*events, *reached.events))


#: What an expired registration is told: how to get a new link (ID-MAIL-01).
AUTH_EMAIL_AGAIN = (
    "メールアドレスを再度入力し「再登録」を押してください。新しいリンクをお送りします。"
)
