"""What enroll's routes take and answer. Request bodies are parsed, not just checked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from contracts.enroll import SignupChannel
from services.enroll.domain.signups import Status
from services.enroll.usecases.inputs import Strict

Token = Annotated[str, StringConstraints(min_length=20, max_length=100)]
Typed = Annotated[str, StringConstraints(min_length=1, max_length=60)]


class SignupOut(BaseModel):
    """The same answer whether or not the address is registered (EN-01); the mail tells."""

    signup_ref: str
    """Keep it to ask for the mail again (仮登録メールの再送信)."""
    channel: SignupChannel
    valid_hours: float
    message: str


class DocumentsOut(BaseModel):
    """What STEP2 asks the person to accept (EN-09)."""

    terms_version: str
    terms_url: str
    privacy_version: str
    privacy_url: str


class ResendIn(Strict):
    signup_ref: Token


class TokenIn(Strict):
    token: Token
    """The activation link's token (``…/activate?token=…``)."""


class ActivatedOut(BaseModel):
    signup_token: str
    """Opens the insurance-card step; answered once."""
    expires_at: datetime
    message: str


class StepIn(Strict):
    signup_token: Token


class CardIn(Strict):
    """保険証情報 (EN-03), as typed: normalised by the service."""

    signup_token: Token
    name_kana: Typed
    """氏名（フルネーム・全角カナ）; half-width kana and spaces are fine."""
    birth_date: date
    insurer_number: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    symbol: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    """記号: with a hyphen (71-1234), only the part after it counts."""
    number: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    """番号: of 8 digits or more, only the last 7 count."""


class EligibleOut(BaseModel):
    outcome: str
    code: str
    title: str
    guidance: list[str]
    status: Status
    tries_left: int


class ProgressOut(BaseModel):
    status: Status
    login_id: str
    tries_left: int
    user_id: str | None
    message: str
    step_expires_at: datetime | None


class RestrictionsIn(Strict):
    insured_only: bool = False
    dependant_min_age: Annotated[int, Field(ge=0, le=150)] | None = None
    dependant_max_age: Annotated[int, Field(ge=0, le=150)] | None = None


class RosterMember(Strict):
    symbol: Annotated[str, StringConstraints(max_length=60)]
    number: Annotated[str, StringConstraints(max_length=60)]
    name_kana: Annotated[str, StringConstraints(max_length=120)]
    birth_date: Annotated[str, StringConstraints(max_length=20)]
    relationship: Annotated[str, StringConstraints(max_length=20)]
    """本人 or 家族 (insured or dependant)."""
    former_symbol: Annotated[str, StringConstraints(max_length=60)] = ""
    """特例退職 (EN-10): the 記号 of the card the person held before retiring, if any."""
    former_number: Annotated[str, StringConstraints(max_length=60)] = ""
    """特例退職 (EN-10): the 番号 of that card; given with ``former_symbol`` or not at all."""


class RosterIn(Strict):
    """A union's whole roster through the API (EN-07); a file goes to ``…/file``."""

    restrictions: RestrictionsIn = RestrictionsIn()
    members: Annotated[list[RosterMember], Field(max_length=100_000)]


class RosterOut(BaseModel):
    insurer_number: str
    version: int
    rows: int
    digest: str
    changed: bool
    restrictions: RestrictionsIn
    imported_at: datetime | None
    under_maintenance: bool = False
    """The union is under kencom maintenance (EN-10): card checks answer the seed's guidance."""
    maintenance_since: datetime | None = None


class MaintenanceIn(Strict):
    """kencom maintenance of a union (EN-10, seed 003 A3 原因③), set or ended by support."""

    under_maintenance: bool


class CodeIn(Strict):
    code: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    """健診閲覧コード from the postcard."""


class IssuedCodeOut(BaseModel):
    user_id: str
    code: str
    """For the postcard: answered once, kept only hashed; the old code is void."""


class QuestionOut(BaseModel):
    question_id: str
    question: str


class SecretQuestionIn(Strict):
    question_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    answer: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    """Upper and lower case are told apart."""


class DraftOut(BaseModel):
    question_id: str
    question: str
    answer: str
    """Masked: 「セキュリティ上の観点から回答を非表示にしております」."""
    expires_at: datetime
    message: str


class AnswerIn(Strict):
    answer: Annotated[str, StringConstraints(min_length=1, max_length=50)]


class GateOut(BaseModel):
    code_issued: bool
    identity_verified: bool
    question_id: str | None
    question: str | None
    pending_question_id: str | None
    code_tries_left: int
    answer_tries_left: int
    answer_locked: bool
    """Locked after its tries: only the support desk unlocks it (EN-06)."""


class UnlockedOut(BaseModel):
    user_id: str
    unlocked: bool
    """``False``: the answer was not locked, and nothing was done."""
    message: str


class Done(BaseModel):
    message: str
