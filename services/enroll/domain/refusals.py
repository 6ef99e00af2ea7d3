"""Refusals: commands a rule does not allow, as values of the domain; the API maps each once
to its problem (``api/refusals.py``). A refusal leaves every aggregate as it was."""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """``detail`` is for the person, in Japanese, when it helps."""

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or type(self).__name__)
        self.detail = detail
        self.extensions: dict[str, Any] = extensions


class NotPermitted(Refusal):
    """The caller may not do this (another realm, another role, an incomplete login)."""


class Unavailable(Refusal):
    """What the command needs is not there now (identity, the notify key): try again later."""


class NotFound(Refusal):
    """No such thing, as far as the caller may know."""


class LinkInvalid(Refusal):
    """An activation link that is not (or no longer) the sign-up's: voided by a resend, used."""


class SignupExpired(Refusal):
    """The link or the sign-up's step is past its time: start again (EN-02)."""


class SignupNotFound(Refusal):
    """No sign-up answers to this token (unknown, or its step is over)."""


class MailLimit(Refusal):
    """A sign-up has been mailed as often as it may be."""


class InputRefused(Refusal):
    """A field that cannot be accepted (an unknown group-link code...); names the field."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, field=field)
        self.field = field


class CardRefused(Refusal):
    """An insurance-card field that cannot be what a card holds (EN-03); names the field."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, field=field)
        self.field = field


class RosterRefused(Refusal):
    """A roster file that cannot be imported, naming the line and the field (EN-07): the
    first bad one; a whole file's refusal also lists the bad lines it kept (``refused_lines``:
    line, field, detail each), how many there were, and how many lines were read."""

    def __init__(self, line: int, field: str | None, detail: str, **more: Any) -> None:
        super().__init__(detail, line=line, field=field, **more)
        self.line = line
        self.field = field


class CodeInvalid(Refusal):
    """A wrong 健診閲覧コード (EN-06); ``tries_left`` says how many remain."""


class CodeLocked(Refusal):
    """Too many wrong codes: support reissues one (EN-06)."""


class IdentityCheckRequired(Refusal):
    """The secret question comes after the code (EN-06)."""


class QuestionRequired(Refusal):
    """No secret question is set yet, or its draft is gone."""


class AnswerInvalid(Refusal):
    """A wrong secret answer; ``tries_left`` says how many remain."""


class AnswerLocked(Refusal):
    """Too many wrong answers: support reissues a code, which starts the gate again."""
