"""Which problem (SPEC section 7) each refusal of the CA answers, mapped once: the API answers
it as problem+json, the screens show its title in their own words."""

from __future__ import annotations

from contracts.certs import CertRejection
from servicekit.problems import ProblemCode
from services.certs.domain import refusals

PROBLEMS: dict[type[refusals.Refusal], ProblemCode] = {
    refusals.InputInfoError: ProblemCode.INPUT_INFO_ERROR,
    refusals.NoticeUsed: ProblemCode.NOTICE_ALREADY_USED,
    refusals.NoticeConflict: ProblemCode.NOTICE_EXISTS,
    refusals.CertificateRevoked: ProblemCode.CERT_REVOKED,
    refusals.AlreadyRenewed: ProblemCode.CERT_ALREADY_RENEWED,
    refusals.UnknownCertificate: ProblemCode.CERT_UNKNOWN,
    refusals.NotPermitted: ProblemCode.FORBIDDEN,
    refusals.BadRequestData: ProblemCode.VALIDATION_ERROR,
}
RENEWALS = {
    CertRejection.RENEWAL_NOT_OPEN: ProblemCode.RENEWAL_NOT_OPEN,
    CertRejection.CERT_EXPIRED: ProblemCode.CERT_EXPIRED,
}


def problem_of(refusal: refusals.Refusal) -> ProblemCode:
    """The refusal's problem, for the API's answers and the pages' words alike."""
    if isinstance(refusal, refusals.RenewalRefused):
        return RENEWALS[refusal.rejection]
    return PROBLEMS.get(type(refusal), ProblemCode.VALIDATION_ERROR)
