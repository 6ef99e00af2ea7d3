"""The sign-up (新規登録, EN-01…05): provisional registration, activation, the insurance-card
step, and the member's registration, as one aggregate per sign-up and pure decisions.

The sign-up id is also the member's user id in identity, so the saga's messages need no map:
identity's ``UserCreated`` for that id ends the sign-up with ``MemberRegistered`` (EN-05).

Tokens are ``<sign-up id>.<256 random bits>`` and kept only as SHA-256 (X-02, X-11): the link
mailed for activation, the resend handle the sign-up answer gives, and the step token the
activation gives for the insurance-card step. Only the newest link is kept, so a resend voids
every earlier one (EN-02).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from contracts import Actor, ActorKind, SealedSecret
from contracts.enroll import (
    EligibilityChecked,
    EligibilityOutcome,
    EligibilityRestriction,
    MemberRegistered,
    SignupActivated,
    SignupAlreadyRegistered,
    SignupChannel,
    SignupStarted,
)
from domainkit.decision import Decision
from services.enroll.domain.consent import Consent
from services.enroll.domain.guidance import TRIES_EXHAUSTED
from services.enroll.domain.realm import envelope
from services.enroll.domain.refusals import (
    LinkInvalid,
    MailLimit,
    SignupExpired,
    SignupNotFound,
)

_TOKEN = re.compile(r"^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$")


class Status(StrEnum):
    PROVISIONAL = "provisional"
    """仮登録: the activation link is mailed (EN-02)."""
    ADDRESS_REGISTERED = "address_registered"
    """The address is a member's already: its mail says so; nothing else happens."""
    ACTIVATED = "activated"
    """本登録 begun: the insurance-card step is open (EN-03)."""
    REGISTERING = "registering"
    """Eligible (EN-04): identity is making the member from the credential it holds (EN-05)."""
    REGISTERED = "registered"
    """The member exists; ``MemberRegistered`` ended the sign-up."""
    FAILED = "failed"
    """Identity made no member (``failure`` says why); the person may start again."""


@dataclass(frozen=True)
class SignupPolicy:
    """kencom's times and limits; every one a setting."""

    app_link: timedelta = timedelta(hours=24)
    pc_link: timedelta = timedelta(hours=1)
    step: timedelta = timedelta(hours=24)
    """How long the insurance-card step stays open after activation."""
    resend_window: timedelta = timedelta(hours=24)
    """Resends are possible this long after the sign-up began; later, start again."""
    max_mails: int = 10
    max_tries: int = 5
    """Eligibility checks per sign-up (EN-04: the roster cannot be searched by guessing)."""

    def link_lifetime(self, channel: SignupChannel) -> timedelta:
        """24 hours from the app, 1 hour from a PC (EN-02)."""
        return self.app_link if channel is SignupChannel.APP else self.pc_link

    @property
    def longest_life(self) -> timedelta:
        """After this, a sign-up that did not reach eligibility can never be used again."""
        return self.resend_window + max(self.app_link, self.pc_link) + self.step


@dataclass(frozen=True)
class Expiring:
    """A token's hash and until when it works."""

    token_hash: str
    expires_at: datetime


@dataclass(frozen=True)
class NewLink:
    """An activation link: its token's hash, and the link sealed for notify (X-02)."""

    token_hash: str
    sealed: SealedSecret


@dataclass(frozen=True)
class Signup:
    signup_id: str
    email: str
    channel: SignupChannel
    status: Status
    started_at: datetime
    ref_hash: str
    """The resend handle's hash (仮登録メールの再送信)."""
    link: Expiring | None = None
    mails: int = 1
    step: Expiring | None = None
    tries: int = 0
    invited: bool = False
    group_id: str | None = None
    invitation_code: str | None = None
    """The 招待コード as typed (EN-09): recorded for the operator, nothing depends on it."""
    consent: Consent | None = None
    """The 会員規約 and プライバシーポリシー accepted at STEP2 (EN-09)."""
    insurer_number: str | None = None
    person_key: str | None = None
    """Whom the eligible check matched (a keyed digest): claimed once per person."""
    registered_at: datetime | None = None
    failure: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(kind=ActorKind.USER, id=self.signup_id)

    def envelope(self, correlation_id: str, now: datetime) -> dict[str, Any]:
        return envelope(self.signup_id, self.actor, correlation_id, now)

    def but(self, **changes: Any) -> Signup:
        return replace(self, **changes)


@dataclass(frozen=True)
class NewSignup:
    signup_id: str
    email: str
    channel: SignupChannel
    address_registered: bool
    ref_hash: str
    link: NewLink
    invited: bool
    group_id: str | None
    correlation_id: str
    invitation_code: str | None = None
    consent: Consent | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signup_of(token: str) -> str | None:
    """The sign-up a token names, if it has a token's shape."""
    match = _TOKEN.fullmatch(token)
    return None if match is None else match[1]


def _same(stored: str | None, given: str) -> bool:
    return stored is not None and hmac.compare_digest(stored, given)


def start(
    current: Signup | None, cmd: NewSignup, policy: SignupPolicy, now: datetime
) -> Decision[Signup, None]:
    """A provisional registration (EN-01, EN-02), or the mail that the address is registered:
    the same answer either way. Starting the same sign-up again commits nothing."""
    if current is not None:
        return Decision.nothing(None)
    expires_at = now + policy.link_lifetime(cmd.channel)
    signup = Signup(
        signup_id=cmd.signup_id,
        email=cmd.email,
        channel=cmd.channel,
        status=Status.ADDRESS_REGISTERED if cmd.address_registered else Status.PROVISIONAL,
        started_at=now,
        ref_hash=cmd.ref_hash,
        link=None if cmd.address_registered else Expiring(cmd.link.token_hash, expires_at),
        invited=cmd.invited,
        group_id=cmd.group_id,
        invitation_code=cmd.invitation_code,
        consent=cmd.consent,
    )
    return Decision.commit(None, signup, _mail(signup, cmd.link, cmd.correlation_id, now, False))


def _mail(
    signup: Signup, link: NewLink, correlation_id: str, now: datetime, resend: bool
) -> SignupStarted | SignupAlreadyRegistered:
    fields = signup.envelope(correlation_id, now)
    if signup.status is Status.ADDRESS_REGISTERED:
        return SignupAlreadyRegistered(
            **fields, channel=signup.channel, email=signup.email, resend=resend
        )
    assert signup.link is not None
    return SignupStarted(
        **fields,
        channel=signup.channel,
        email=signup.email,
        sealed_activation_link=link.sealed,
        expires_at=signup.link.expires_at,
        resend=resend,
        invited=signup.invited,
        group_id=signup.group_id,
    )


def resend(
    current: Signup | None,
    ref_hash: str,
    link: NewLink,
    policy: SignupPolicy,
    now: datetime,
    correlation_id: str,
) -> Decision[Signup, None]:
    """仮登録メールの再送信: a new link that voids every earlier one (EN-02)."""
    if current is None or not _same(current.ref_hash, ref_hash):
        raise SignupNotFound()
    if current.status not in (Status.PROVISIONAL, Status.ADDRESS_REGISTERED):
        raise LinkInvalid("この仮登録は既に本登録の手続きに進んでいます")
    if now > current.started_at + policy.resend_window:
        raise SignupExpired()
    if current.mails >= policy.max_mails:
        raise MailLimit()
    signup = current.but(mails=current.mails + 1)
    if signup.status is Status.PROVISIONAL:
        expiring = Expiring(link.token_hash, now + policy.link_lifetime(signup.channel))
        signup = signup.but(link=expiring)
    return Decision.commit(None, signup, _mail(signup, link, correlation_id, now, True))


@dataclass(frozen=True)
class Activated:
    step_expires_at: datetime
    channel: SignupChannel


def activate(
    current: Signup | None,
    link_hash: str,
    step_hash: str,
    policy: SignupPolicy,
    now: datetime,
    correlation_id: str,
) -> Decision[Signup, Activated]:
    """The link followed: the insurance-card step opens (EN-03). An earlier link (voided by a
    resend) or a used one is invalid; an expired one says to start again (EN-02)."""
    if current is None or current.status is not Status.PROVISIONAL or current.link is None:
        raise LinkInvalid()
    if not _same(current.link.token_hash, link_hash):
        raise LinkInvalid("新しい仮登録メールのリンクをご利用ください")
    if now > current.link.expires_at:
        raise SignupExpired()
    step = Expiring(step_hash, now + policy.step)
    signup = current.but(status=Status.ACTIVATED, link=None, step=step)
    activated = SignupActivated(**signup.envelope(correlation_id, now), channel=signup.channel)
    return Decision.commit(Activated(step.expires_at, signup.channel), signup, activated)


def open_step(current: Signup | None, step_hash: str, now: datetime) -> Signup:
    """The sign-up behind an insurance-card step's token, while the step is open."""
    if current is None or current.step is None or not _same(current.step.token_hash, step_hash):
        raise SignupNotFound()
    if current.status is Status.ACTIVATED and now > current.step.expires_at:
        raise SignupExpired()
    return current


@dataclass(frozen=True)
class Checked:
    """What the roster and the one-check-per-person rule said of the card."""

    outcome: EligibilityOutcome
    insurer_number: str
    restriction: EligibilityRestriction | None = None
    person_key: str | None = None


@dataclass(frozen=True)
class Answer:
    """The eligibility answer: an outcome (or ``tries_exhausted``) and the tries left."""

    outcome: str
    restriction: EligibilityRestriction | None
    tries_left: int
    status: Status
    person_key: str | None = None
    """Whom the sign-up is eligible as, once it is (its claims are kept for that person)."""

    @property
    def eligible(self) -> bool:
        return self.outcome == EligibilityOutcome.ELIGIBLE

    def holds(self, person_key: str) -> bool:
        """The sign-up is eligible as this person: what it claimed for it is its own."""
        return self.status in (Status.REGISTERING, Status.REGISTERED) and (
            self.person_key == person_key
        )


def check(
    current: Signup | None,
    step_hash: str,
    checked: Checked,
    policy: SignupPolicy,
    now: datetime,
    correlation_id: str,
) -> Decision[Signup, Answer]:
    """EN-04: one try of the insurance-card check, counted atomically (X-13)."""
    signup = open_step(current, step_hash, now)
    if signup.status is not Status.ACTIVATED:  # eligible already: the answer is its progress
        tries_left = policy.max_tries - signup.tries
        return Decision.nothing(
            Answer(EligibilityOutcome.ELIGIBLE, None, tries_left, signup.status, signup.person_key)
        )
    if signup.tries >= policy.max_tries:
        return Decision.nothing(Answer(TRIES_EXHAUSTED, None, 0, signup.status))
    signup = signup.but(tries=signup.tries + 1, insurer_number=checked.insurer_number)
    if checked.outcome is EligibilityOutcome.ELIGIBLE:
        signup = signup.but(status=Status.REGISTERING, person_key=checked.person_key)
    event = EligibilityChecked(
        **signup.envelope(correlation_id, now),
        outcome=checked.outcome,
        insurer_number=checked.insurer_number,
        restriction=checked.restriction,
    )
    answer = Answer(
        checked.outcome,
        checked.restriction,
        policy.max_tries - signup.tries,
        signup.status,
        signup.person_key,
    )
    return Decision.commit(answer, signup, event)


def registered(
    current: Signup | None, now: datetime, correlation_id: str, causation_id: str
) -> Decision[Signup, bool]:
    """Identity made the member (its ``UserCreated``): ``MemberRegistered`` ends the sign-up."""
    if current is None or current.status is not Status.REGISTERING:
        return Decision.nothing(False)
    assert current.insurer_number is not None, "an eligible sign-up knows its union"
    signup = current.but(status=Status.REGISTERED, registered_at=now)
    consent = signup.consent
    done = MemberRegistered(
        **signup.envelope(correlation_id, now) | {"causation_id": causation_id},
        user_id=signup.signup_id,
        email=signup.email,
        insurer_number=current.insurer_number,
        group_id=signup.group_id,
        invitation_code=signup.invitation_code,
        terms_version=consent.terms_version if consent else None,
        privacy_version=consent.privacy_version if consent else None,
        consented_at=consent.accepted_at if consent else None,
    )
    return Decision.commit(True, signup, done)


def failed(current: Signup | None, reason: str) -> Decision[Signup, Signup | None]:
    """Identity made no member: the sign-up fails, and what it held is to be freed."""
    if current is None or current.status is not Status.REGISTERING:
        return Decision.nothing(None)
    return Decision.commit(current, current.but(status=Status.FAILED, failure=reason))
