"""Refusals of the CA's rules, as values of the domain; the API maps each once to its problem."""

from __future__ import annotations

from contracts.certs import CertRejection, CertRequestField


class Refusal(Exception):
    """A command a rule refuses; ``detail`` is for the person, in Japanese, when it helps."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or type(self).__name__)
        self.detail = detail


NEXT_YEAR_HINT = (
    "「ユーザーIDのお知らせ」の内容と一致しません。12月の最終営業日にユーザーIDの発行手続きを"
    "行った場合は、「年」に発行年の翌年を入力してお試しください。"
)


class InputInfoError(Refusal):
    """The request does not match the user-ID notice on record: status 3420 (CT-02).

    ``mismatched`` is for the operators' event only: telling the caller which field was wrong
    would let them guess the notice one field at a time.
    """

    status_code = 3420

    def __init__(self, mismatched: frozenset[CertRequestField]) -> None:
        super().__init__(NEXT_YEAR_HINT)
        self.mismatched = mismatched

    @property
    def suggest_next_year(self) -> bool:
        return CertRequestField.YEAR in self.mismatched


class RenewalRefused(Refusal):
    """Outside the renewal window (CT-05): too early, or the certificate has expired."""

    def __init__(self, rejection: CertRejection, detail: str) -> None:
        super().__init__(detail)
        self.rejection = rejection


class NoticeUsed(Refusal):
    """A notice issues one certificate; another needs a reissue notice (CT-06)."""


class NoticeConflict(Refusal):
    """A first-issue notice for this user ID exists with other fields: a reissue is recorded
    as a reissue notice, with the next branch number (CT-06)."""


class CertificateRevoked(Refusal):
    """The certificate was revoked: it proves nothing any more (CT-08)."""


class AlreadyRenewed(Refusal):
    """This certificate has been renewed already; the new one is in use (CT-05)."""


class UnknownCertificate(Refusal):
    """No certificate of this CA with that serial, as far as the caller may know."""


class NotPermitted(Refusal):
    """The caller may not do this (not the back office, not the realm's support desk)."""


class BadRequestData(Refusal):
    """A CSR or certificate that cannot be used (bad signature, weak key); ``detail`` says why."""
