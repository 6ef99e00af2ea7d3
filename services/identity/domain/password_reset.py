"""kencom's forgotten password (ID-PW-08, seed 003 Q3 原因①): a reset link by mail. Pure rules.

The member types the e-mail address it logs in with; a link valid for one hour is mailed to the
*registered* address of the member who has that login ID, never to what was typed. The answer
is the same whoever the request names, and so is the work (see ``usecases.password_resets``):
every request commits one version with one event, on the user (the link mailed, or declined and
why) or on an unknown ID's shadow slot (declined).

The link carries 256 random bits; only their SHA-256 is kept, on the user and in the link-token
index that finds the user from the token (X-02). A newer link voids the older one, and one
member is mailed at most three an hour (the count is part of the user's versions, X-13). The
link's page consumes nothing when opened (mail scanners open links); its form's POST sets the
new password, in one new version of the user that also spends the link, so two parallel POSTs
cannot both succeed (X-11). The change unlocks the account (the mailbox is the proof that the
lock protects, the same one that set the password) and ends every session of the member
(ID-SESS-03).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from contracts import (
    AccountUnlocked,
    Actor,
    EmailLinkConsumed,
    EmailLinkIssued,
    PasswordChanged,
    PasswordResetDeclined,
    SealedSecret,
)
from contracts.common import Role
from contracts.envelope import Event
from contracts.identity import (
    LinkPurpose,
    PasswordChangeMethod,
    PasswordResetDeclineReason,
    UnlockReason,
)
from domainkit.decision import Decision, envelope
from services.identity.domain.lockout import ShadowId, ShadowSlot
from services.identity.domain.users import PasswordReset, User

LIFETIME = timedelta(hours=1)
ISSUE_WINDOW = timedelta(hours=1)
ISSUES_PER_WINDOW = 3
"""At most three links an hour to one member, as for temporary passwords (ID-PW-05): nobody
should be able to fill a mailbox with them."""

#: What a request is answered, whether or not a link was mailed (ID-PW-08).
MAIL_SENT_ANSWER = (
    "パスワード再設定用のURLを記載したメールを送信しました。"
    "メールに記載のURLから1時間以内に新しいパスワードを設定してください。"
    "ご入力のメールアドレスが登録されていない場合、メールは送信されません。"
)


def reset_path(realm: str) -> str:
    """The page the mail links to; notify puts the realm's public base URL in front of it."""
    return f"/realms/{realm}/password-reset"


def token_fact(token_hash: str) -> str:
    """The link-token index's key for a reset link's token (``store.LinkTokens``)."""
    return f"password-reset:{token_hash}"


class Outcome(Enum):
    RESET = "reset"
    EXPIRED = "expired"
    INVALID = "invalid"
    """Unknown, used, or voided by a newer link."""


@dataclass(frozen=True)
class Request:
    """One request, with what every request prepares whoever it names: a link's token hash and
    the link sealed for notify."""

    login_id: str
    token_hash: str
    sealed_link: SealedSecret
    correlation_id: str
    now: datetime


def request(
    user: User, asked: Request, offered_to: frozenset[Role], ignore_case: bool
) -> Decision[User, bool]:
    """Mail a link to the registered address, or decline and record why; either way one
    version with one event. Only a mailed link counts toward the three an hour."""
    recent = tuple(t for t in user.reset_issued if asked.now - t < ISSUE_WINDOW)
    fields = user.envelope(Actor.system(), asked.correlation_id, asked.now)
    reason = _declined(user, asked, offered_to, recent, ignore_case)
    if reason is not None or user.registered_email is None:
        declined = PasswordResetDeclined(
            **fields,
            login_id=asked.login_id,
            reason=reason or PasswordResetDeclineReason.NO_ADDRESS,
        )
        return Decision.commit(False, user.but(reset_issued=recent), declined)
    expires_at = asked.now + LIFETIME
    issued = EmailLinkIssued(
        **fields,
        purpose=LinkPurpose.PASSWORD_RESET,
        recipient_email=user.registered_email,
        sealed_link=asked.sealed_link,
        expires_at=expires_at,
    )
    new = user.but(
        password_reset=PasswordReset(asked.token_hash, expires_at),
        reset_issued=(*recent, asked.now),
    )
    return Decision.commit(True, new, issued)


def _declined(
    user: User,
    asked: Request,
    offered_to: frozenset[Role],
    recent: tuple[datetime, ...],
    ignore_case: bool,
) -> PasswordResetDeclineReason | None:
    typed, own = asked.login_id, user.login_id
    if ignore_case:  # the mail goes to the owner's address, never to what was typed
        typed, own = typed.lower(), own.lower()
    if own != typed:  # a former login ID of the user's (ID-USER-08)
        return PasswordResetDeclineReason.UNKNOWN_LOGIN_ID
    if user.role not in offered_to:
        return PasswordResetDeclineReason.NOT_OFFERED
    if len(recent) >= ISSUES_PER_WINDOW:
        return PasswordResetDeclineReason.LIMIT_REACHED
    return None


def decline_unknown(
    slot: ShadowSlot | None, shadow: ShadowId, asked: Request
) -> Decision[ShadowSlot, bool]:
    """An unknown ID: its shadow slot takes the version instead of a user, unchanged, so the
    request writes what a known ID's does."""
    fields = envelope(
        shadow.realm, None, shadow.subject_id, Actor.system(), asked.correlation_id, asked.now
    )
    declined = PasswordResetDeclined(
        **fields,
        login_id=asked.login_id,
        reason=PasswordResetDeclineReason.UNKNOWN_LOGIN_ID,
    )
    return Decision.commit(False, slot or ShadowSlot(shadow.realm, shadow.slot), declined)


def usable(user: User, token_hash: str, now: datetime) -> Outcome:
    """Whether ``token_hash`` is the user's outstanding link, still within its hour."""
    pending = user.password_reset
    if pending is None or pending.token_hash != token_hash:
        return Outcome.INVALID
    if now >= pending.expires_at:
        return Outcome.EXPIRED
    return Outcome.RESET


def reset(
    user: User,
    token_hash: str,
    new_hash: str,
    correlation_id: str,
    now: datetime,
    completion_notice: bool = False,
) -> Decision[User, Outcome]:
    """The link page's POST: the new password, the link spent, the lock lifted, in one version.
    A second POST of the same link decides on that version and finds nothing to use."""
    outcome = usable(user, token_hash, now)
    if outcome is not Outcome.RESET:
        return Decision.nothing(outcome)
    fields: dict[str, Any] = user.envelope(user.as_actor, correlation_id, now)
    events: list[Event] = [
        EmailLinkConsumed(**fields, purpose=LinkPurpose.PASSWORD_RESET),
        PasswordChanged(
            **fields,
            method=PasswordChangeMethod.RESET_LINK,
            must_change=False,
            completion_notice_to=user.registered_email if completion_notice else None,
        ),
    ]
    if user.locked:
        events.append(AccountUnlocked(**fields, reason=UnlockReason.PASSWORD_RESET_LINK))
    new = user.but(
        password_hash=new_hash,
        must_change_password=False,
        password_is_temporary=False,
        temporary_password=None,
        password_reset=None,
        failures=0,
        locked=False,
    )
    return Decision(Outcome.RESET, new, tuple(events))
