"""The CA's refusals as the problems a client reads (SPEC section 7), mapped once."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from contracts.certs import CertRejection
from servicekit.problems import ProblemCode, problem_response
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


def install(app: FastAPI) -> None:
    """Every refusal leaves as its problem+json, whichever route or use case raised it."""

    @app.exception_handler(refusals.Refusal)
    async def _refused(request: Request, refusal: refusals.Refusal) -> JSONResponse:
        code = problem_of(refusal)
        if isinstance(refusal, refusals.InputInfoError):  # 3420, as the seed shows it
            return problem_response(
                code,
                detail=refusal.detail,
                instance=request.url.path,
                status_code=refusal.status_code,
            )
        return problem_response(code, detail=refusal.detail, instance=request.url.path)
