"""The last steps of a login: the e-mail login link (ID-MAIL-02, -03), browser registration
(ID-BIND-01), and the full session they lead to. Pure rules.

A login that reaches step 9 is *pending*: its session (restricted) waits on the waiting screen
while a link valid for 10 minutes is mailed to the confirmed e-mail-authentication address. The
link is bound to that pending login: only a POST that carries the pending login's own session
(the same browser) confirms it, so a forwarded link, or one opened where nobody is logging in,
logs nothing in (seed 000 Q19). The confirmation page's GET consumes nothing, so a mail scanner
that prefetches links uses nothing up. Once every step is done, the waiting browser completes the
login: in that one commit the browser is registered if it has to be, the link is spent, and a new
full session is announced (the session id rotates, as at every authentication).

One user has one pending login and one outstanding link. No second link is mailed within 10
minutes of the last one (Q17): a login within those minutes takes over the outstanding link if it
is still unused, and otherwise waits for the re-issue, which voids the older link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any

from contracts import (
    BrowserRegistered,
    EmailLinkConsumed,
    EmailLinkIssued,
    SessionStarted,
)
from contracts.envelope import Event
from contracts.identity import LinkPurpose
from domainkit.decision import Decision
from services.identity.domain.attempts import NewLink, NewSession, PendingStep
from services.identity.domain.refusals import NotPermitted, Refusal, StepsPending
from services.identity.domain.users import LoginLink, User

LIFETIME = timedelta(minutes=10)
RESEND_AFTER = timedelta(minutes=10)
"""No second link mail for the same user within this time (seed 000 Q17)."""


class TooSoon(Refusal):
    """A link was mailed less than 10 minutes ago (Q17); ``detail`` says until when."""


class StepState(StrEnum):
    TO_DO = "to_do"
    WAITING = "waiting"
    """An earlier step comes first."""
    MAILED = "mailed"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    """A later login of the same user took over: this one can no longer complete."""
    AT_COMPLETION = "at_completion"
    DONE = "done"


@dataclass(frozen=True)
class Progress:
    step: PendingStep
    state: StepState
    expires_at: datetime | None = None


def reach(
    user: User, link: NewLink | None, fields: dict[str, Any], now: datetime
) -> Decision[User, bool]:
    """The pending login reaches step 9 if its earlier steps are done: a link is mailed, or an
    unused one mailed within 10 minutes is bound to it. Answers whether a link was mailed."""
    pending = user.pending_login
    ready = not user.must_change_password and user.auth_email and user.auth_email.confirmed
    if pending is None or link is None or not ready or user.auth_email is None:
        return Decision.nothing(False)
    outstanding = user.login_link
    if outstanding is not None and now - outstanding.mailed_at < RESEND_AFTER:
        if outstanding.confirmed or outstanding.session_ref == pending.session_ref:
            return Decision.nothing(False)
        rebound = LoginLink(
            outstanding.token_hash,
            pending.session_ref,
            outstanding.mailed_at,
            outstanding.expires_at,
        )
        return Decision.commit(False, user.but(login_link=rebound))
    return _mailed(user, pending.session_ref, link, fields, now)


def _mailed(
    user: User, session_ref: str, link: NewLink, fields: dict[str, Any], now: datetime
) -> Decision[User, bool]:
    assert user.auth_email is not None
    expires_at = now + LIFETIME
    issued = EmailLinkIssued(
        **fields,
        purpose=LinkPurpose.LOGIN,
        recipient_email=user.auth_email.address,
        sealed_link=link.sealed_link,
        expires_at=expires_at,
    )
    mailed = LoginLink(link.token_hash, session_ref, now, expires_at)
    return Decision.commit(True, user.but(login_link=mailed), issued)


def reissue(
    user: User, session_ref: str, link: NewLink, correlation_id: str, now: datetime
) -> Decision[User, bool]:
    """再発行 (Q12): a new link for this pending login, voiding the older one, once 10 minutes
    have passed since the last mail (Q17)."""
    _require_pending(user, session_ref)
    if user.must_change_password or not (user.auth_email and user.auth_email.confirmed):
        raise StepsPending()
    last = user.login_link
    if last is not None and now - last.mailed_at < RESEND_AFTER:
        raise TooSoon(f"{int(RESEND_AFTER.total_seconds() // 60)}分以内の再送はできません")
    return _mailed(user, session_ref, link, user.envelope(user.as_actor, correlation_id, now), now)


class LinkAnswer(Enum):
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    INVALID = "invalid"
    """Unknown, used, or voided by a newer link."""
    OTHER_BROWSER = "other_browser"
    """Followed where its pending login is not: logs nothing in (Q19)."""


def confirm(
    user: User,
    token_hash: str,
    session_ref: str | None,
    ip: str | None,
    user_agent: str | None,
    correlation_id: str,
    now: datetime,
) -> Decision[User, LinkAnswer]:
    """The confirmation page's POST, from the browser that carries ``session_ref``."""
    link = user.login_link
    if link is None or link.token_hash != token_hash or link.confirmed:
        return Decision.nothing(LinkAnswer.INVALID)
    if now >= link.expires_at:
        return Decision.nothing(LinkAnswer.EXPIRED)
    if session_ref is None or link.session_ref != session_ref:
        return Decision.nothing(LinkAnswer.OTHER_BROWSER)
    consumed = EmailLinkConsumed(
        **user.envelope(user.as_actor, correlation_id, now),
        purpose=LinkPurpose.LOGIN,
        ip=ip,
        user_agent=user_agent,
    )
    confirmed = LoginLink(link.token_hash, link.session_ref, link.mailed_at, link.expires_at, True)
    return Decision.commit(LinkAnswer.CONFIRMED, user.but(login_link=confirmed), consumed)


def progress(
    user: User, steps: tuple[PendingStep, ...], session_ref: str, now: datetime
) -> tuple[Progress, ...]:
    """Where each of a pending login's steps stands, for its waiting screen and introspection."""
    out: list[Progress] = []
    earlier_done = True
    for step in steps:
        found = _state(user, step, session_ref, now, earlier_done)
        out.append(found)
        if found.state not in (StepState.DONE, StepState.AT_COMPLETION):
            earlier_done = False
    return tuple(out)


def _state(
    user: User, step: PendingStep, session_ref: str, now: datetime, earlier_done: bool
) -> Progress:
    if step is PendingStep.PASSWORD_CHANGE:
        # Owed by this session until it changes the password itself, which takes the step off
        # it (ID-SESS-03): another session's change clears the user's flag, not this debt.
        return Progress(step, StepState.TO_DO)
    if step is PendingStep.BROWSER_REGISTRATION:
        return Progress(step, StepState.AT_COMPLETION)
    if step is PendingStep.AUTH_EMAIL_ADDRESS:
        address = user.auth_email
        if address is not None and address.confirmed:
            return Progress(step, StepState.DONE)
        if not earlier_done:
            return Progress(step, StepState.WAITING)
        if address is None or address.expires_at is None:
            return Progress(step, StepState.TO_DO)
        if now >= address.expires_at:
            return Progress(step, StepState.EXPIRED, address.expires_at)
        return Progress(step, StepState.MAILED, address.expires_at)
    if user.pending_login is None or user.pending_login.session_ref != session_ref:
        return Progress(step, StepState.SUPERSEDED)
    if not earlier_done:
        return Progress(step, StepState.WAITING)
    link = user.login_link
    if link is None or link.session_ref != session_ref:
        return Progress(step, StepState.TO_DO)
    if link.confirmed:
        return Progress(step, StepState.DONE)
    if now >= link.expires_at:
        return Progress(step, StepState.EXPIRED, link.expires_at)
    return Progress(step, StepState.MAILED, link.expires_at)


def ready(steps: tuple[Progress, ...]) -> bool:
    return all(p.state in (StepState.DONE, StepState.AT_COMPLETION) for p in steps)


def complete(
    user: User,
    steps: tuple[PendingStep, ...],
    session_ref: str,
    session: NewSession,
    browser: str | None,
    correlation_id: str,
    now: datetime,
) -> Decision[User, bool]:
    """Step 10 for a pending login whose steps are done: one commit registers the browser
    (``browser`` is the new binding cookie's hash), spends the link and starts the full
    session. A second completion of the same login finds nothing pending."""
    if PendingStep.LOGIN_LINK in steps:
        _require_pending(user, session_ref)
    if not ready(progress(user, steps, session_ref, now)):
        raise StepsPending()
    fields = user.envelope(user.as_actor, correlation_id, now)
    events: list[Event] = []
    new = user.but(pending_login=None, login_link=None)
    if PendingStep.BROWSER_REGISTRATION in steps:
        if user.browser_binding is not None or browser is None:
            raise StepsPending()  # registered meanwhile, by another completion
        new = new.but(browser_binding=browser)
        events.append(BrowserRegistered(**fields))
    events.append(
        SessionStarted(
            **fields,
            session_ref=session.ref,
            restricted=False,
            idle_timeout_seconds=session.idle_timeout_seconds,
            expires_at=session.expires_at,
        )
    )
    return Decision(True, new, tuple(events))


def _require_pending(user: User, session_ref: str) -> None:
    """Only the user's latest pending login may act on its last steps."""
    if user.pending_login is None or user.pending_login.session_ref != session_ref:
        raise NotPermitted()


#: What the waiting screen says once the login link is mailed (ID-MAIL-02).
WAITING_SCREEN = (
    "メール認証用リンクを通知しましたので、記載のリンクにアクセスしてください。"
    "本画面は閉じずに、10分以内にログインしてください。"
)
