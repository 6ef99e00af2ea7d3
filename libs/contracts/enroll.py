"""Events of the enrolment service, on topic ``enroll.events`` (SPEC section 6, `kencom`).

``subject_id`` is the signup id for the sign-up story (``SignupStarted`` to
``MemberRegistered``), so resends, activation and the eligibility check stay in order; it is
the member's user id for what happens after registration (``SecretQuestionSet``,
``CheckupCodeVerified``, ``SecretAnswerUnlocked``).

Deliberately absent, and why:

* the password: credentials live only in identity (EN-05); the sign-up form's password goes
  to identity by a direct call, never over the bus;
* the insurance card's symbol and number (記号・番号) and the birth date: Japanese law restricts
  the use of health-insurance numbers, and no consumer needs them;
* the group-link code: what it resolves to travels (``group_id``). The invitation code does
  travel, on ``MemberRegistered`` only (EN-09): it names no secret (a member hands it to a
  friend) and resolves to nothing here, so the code itself is what the operator credits;
* the checkup view code (健診閲覧コード) and the secret answer: kept hashed by enrol (X-02).

All names are the issue's; none renamed. Two were added: ``SignupAlreadyRegistered``, the mail
that tells the owner of an address that it is registered already, since the sign-up's answer may
not; and ``SecretAnswerUnlocked`` (issue 20), the support desk's unlock of a locked secret answer,
which only support may do and whose event names who (EN-06).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import StringConstraints, model_validator

from contracts.common import EmailAddress, Identifier, UtcDatetime
from contracts.envelope import EnrollEvent
from contracts.sealed import SealedSecret

__all__ = [
    "CheckupCodeVerified",
    "ConsentVersion",
    "EligibilityChecked",
    "EligibilityOutcome",
    "EligibilityRestriction",
    "InsurerNumber",
    "InvitationCode",
    "MemberRegistered",
    "SecretAnswerUnlocked",
    "SecretQuestionSet",
    "SignupActivated",
    "SignupAlreadyRegistered",
    "SignupChannel",
    "SignupStarted",
]

InsurerNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,8}$")]
"""保険者番号: identifies the health-insurance union (public), 6 or 8 digits."""
InvitationCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{4,32}$")]
"""招待コード: a member's referral code (seed 003: 「すでにkencomをご利用の方からのご紹介」)."""
ConsentVersion = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z._-]{1,40}$")]
"""Which version of a document (会員規約, プライバシーポリシー) was accepted: the operator's
label for it."""


class SignupChannel(StrEnum):
    """Where the sign-up began; it sets the activation link's lifetime (EN-02)."""

    APP = "app"
    """The smartphone app: the link is valid 24 hours."""
    PC = "pc"
    """A PC browser: the link is valid 1 hour."""


class SignupStarted(EnrollEvent):
    """A provisional registration: notify mails the activation link (EN-01, EN-02).

    A resend is another ``SignupStarted`` for the same signup; it invalidates every earlier
    link.
    """

    type: Literal["SignupStarted"] = "SignupStarted"
    version: Literal[1] = 1
    channel: SignupChannel
    email: EmailAddress
    """The address that becomes the login ID and receives the activation mail."""
    sealed_activation_link: SealedSecret
    expires_at: UtcDatetime
    resend: bool = False
    invited: bool = False
    """An invitation code was given and accepted (the code itself does not travel)."""
    group_id: Identifier | None = None
    """The group a group-link code resolved to, if one was given."""


class SignupAlreadyRegistered(EnrollEvent):
    """A sign-up (or its resend) with an address that is already a member's login ID.

    The sign-up's answer is the same as for a new address (EN-01: it never says whether an
    address is registered); this mail, to that address only, says so and guides its owner to
    log in or to reset the password. Nothing secret: no link, no code.
    """

    type: Literal["SignupAlreadyRegistered"] = "SignupAlreadyRegistered"
    version: Literal[1] = 1
    channel: SignupChannel
    email: EmailAddress
    resend: bool = False


class SignupActivated(EnrollEvent):
    """The activation link was followed in time; the insurance-card step opens (EN-03)."""

    type: Literal["SignupActivated"] = "SignupActivated"
    version: Literal[1] = 1
    channel: SignupChannel


class EligibilityOutcome(StrEnum):
    """The answers of the eligibility check against the union's roster (EN-04)."""

    ELIGIBLE = "eligible"
    NO_MATCH = "no_match"
    """入力内容に誤り: nothing on the roster matches what was entered."""
    NOT_YET_LINKED = "not_yet_linked"
    """The union's data has not arrived yet (1–2 months after joining)."""
    RESTRICTED = "restricted"
    """The union restricts use (``restriction`` says how)."""
    ALREADY_REGISTERED = "already_registered"
    """One eligibility per person: the person is guided to the earlier account."""


class EligibilityRestriction(StrEnum):
    """How a union restricts use (EN-04)."""

    DEPENDANT_AGE_LIMIT = "dependant_age_limit"
    INSURED_PERSONS_ONLY = "insured_persons_only"
    OTHER = "other"


class EligibilityChecked(EnrollEvent):
    """The insurance-card data was checked against the roster (EN-04)."""

    type: Literal["EligibilityChecked"] = "EligibilityChecked"
    version: Literal[1] = 1
    outcome: EligibilityOutcome
    insurer_number: InsurerNumber
    restriction: EligibilityRestriction | None = None
    """Present exactly when ``outcome`` is ``restricted``."""

    @model_validator(mode="after")
    def _restriction_iff_restricted(self) -> Self:
        restricted = self.outcome is EligibilityOutcome.RESTRICTED
        if restricted != (self.restriction is not None):
            raise ValueError("restriction is given exactly when the outcome is 'restricted'")
        return self


class MemberRegistered(EnrollEvent):
    """Enrolment finished: identity created the member (EN-05). Keyed by the signup id."""

    type: Literal["MemberRegistered"] = "MemberRegistered"
    version: Literal[1] = 1
    user_id: Identifier
    """The member's user id in identity."""
    email: EmailAddress
    """The login ID (kencom members log in with their address)."""
    insurer_number: InsurerNumber
    group_id: Identifier | None = None
    invitation_code: InvitationCode | None = None
    """The 招待コード typed at sign-up (EN-09), recorded for the operator; nothing depends on it."""
    terms_version: ConsentVersion | None = None
    """The kencom 会員規約 the member accepted at STEP2 (EN-09); ``None`` only for a sign-up
    begun before consent was asked."""
    privacy_version: ConsentVersion | None = None
    """The プライバシーポリシー the member accepted with it."""
    consented_at: UtcDatetime | None = None
    """When both were accepted (the sign-up's 仮登録)."""


class SecretQuestionSet(EnrollEvent):
    """The member chose a secret question and confirmed an answer (EN-06).

    Only which question: the answer is stored hashed by enrol and never travels (X-02).
    """

    type: Literal["SecretQuestionSet"] = "SecretQuestionSet"
    version: Literal[1] = 1
    question_id: Identifier
    """Which question of the list was chosen."""


class CheckupCodeVerified(EnrollEvent):
    """The member proved identity with the checkup view code from the postcard (EN-06).

    The code itself never travels; it is kept hashed and limited by attempts (X-11).
    """

    type: Literal["CheckupCodeVerified"] = "CheckupCodeVerified"
    version: Literal[1] = 1


class SecretAnswerUnlocked(EnrollEvent):
    """The realm's support desk unlocked a member's secret answer, locked after its tries
    (EN-06); ``actor`` names the operator (kind ``support``). Nothing else unlocks it: not a new
    question, not the code typed again, not a reissued code. The answer never travels (X-02).
    """

    type: Literal["SecretAnswerUnlocked"] = "SecretAnswerUnlocked"
    version: Literal[1] = 1
