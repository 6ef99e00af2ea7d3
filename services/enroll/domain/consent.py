"""Consent at sign-up STEP2 (EN-09, seed 003 「STEP2 登録情報・規約確認」): the member accepts the
kencom 会員規約 and プライバシーポリシー, and the versions accepted are kept with the time. Pure.

The documents are the operator's (their addresses and versions are settings); a sign-up records
which versions its person accepted, so that audit can tell, member by member, what was agreed.
A client that says which versions it showed (the page does, in hidden fields) is refused when
the operator published a newer one meanwhile: the person reads it before agreeing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.enroll.domain.refusals import InputRefused

TERMS_REQUIRED = "kencom会員規約に同意してください"
PRIVACY_REQUIRED = "プライバシーポリシーに同意してください"
REVISED = "{}が改定されました。改定後の内容をご確認の上、同意してください"


@dataclass(frozen=True)
class Documents:
    """The documents in force: what the page links to and which versions it asks for."""

    terms_version: str
    terms_url: str
    privacy_version: str
    privacy_url: str


@dataclass(frozen=True)
class Ticked:
    """What the person ticked, and which versions the client showed (if it says)."""

    terms: bool = False
    privacy: bool = False
    terms_version: str | None = None
    privacy_version: str | None = None


@dataclass(frozen=True)
class Consent:
    """What one sign-up's person accepted, and when."""

    terms_version: str
    privacy_version: str
    accepted_at: datetime


def accept(documents: Documents, ticked: Ticked, now: datetime) -> Consent:
    """Both documents ticked, as they are in force now; refused naming the field otherwise."""
    if not ticked.terms:
        raise InputRefused("accept_terms", TERMS_REQUIRED)
    if not ticked.privacy:
        raise InputRefused("accept_privacy", PRIVACY_REQUIRED)
    shown_terms, shown_privacy = ticked.terms_version, ticked.privacy_version
    if shown_terms is not None and shown_terms != documents.terms_version:
        raise InputRefused("accept_terms", REVISED.format("kencom会員規約"))
    if shown_privacy is not None and shown_privacy != documents.privacy_version:
        raise InputRefused("accept_privacy", REVISED.format("プライバシーポリシー"))
    return Consent(documents.terms_version, documents.privacy_version, now)
