"""The domain's refusals (and identity's, passed on) as the problems a client reads, mapped
once (SPEC section 7)."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from servicekit.problems import ProblemCode, problem_response
from services.enroll.domain import refusals
from services.enroll.identity import CredentialRefused

PROBLEMS: dict[type[refusals.Refusal], ProblemCode] = {
    refusals.NotPermitted: ProblemCode.FORBIDDEN,
    refusals.NotFound: ProblemCode.NOT_FOUND,
    refusals.Unavailable: ProblemCode.SERVICE_UNAVAILABLE,
    refusals.LinkInvalid: ProblemCode.LINK_INVALID,
    refusals.SignupExpired: ProblemCode.SIGNUP_EXPIRED,
    refusals.SignupNotFound: ProblemCode.SIGNUP_NOT_FOUND,
    refusals.MailLimit: ProblemCode.SIGNUP_MAIL_LIMIT,
    refusals.InputRefused: ProblemCode.VALIDATION_ERROR,
    refusals.CardRefused: ProblemCode.INSURANCE_CARD_INVALID,
    refusals.RosterRefused: ProblemCode.ROSTER_INVALID,
    refusals.CodeInvalid: ProblemCode.CHECKUP_CODE_INVALID,
    refusals.CodeLocked: ProblemCode.CHECKUP_CODE_LOCKED,
    refusals.IdentityCheckRequired: ProblemCode.CHECKUP_IDENTITY_REQUIRED,
    refusals.QuestionRequired: ProblemCode.SECRET_QUESTION_REQUIRED,
    refusals.AnswerInvalid: ProblemCode.SECRET_ANSWER_INVALID,
    refusals.AnswerLocked: ProblemCode.SECRET_ANSWER_LOCKED,
}

#: What identity may refuse a credential for, as enroll passes it on to the person.
PASSED_ON = {
    code.name: code
    for code in (
        ProblemCode.PASSWORD_POLICY,
        ProblemCode.HALF_WIDTH_REQUIRED,
        ProblemCode.VALIDATION_ERROR,
    )
}


def install(app: FastAPI) -> None:
    @app.exception_handler(refusals.Refusal)
    async def _refused(request: Request, refusal: refusals.Refusal) -> JSONResponse:
        return problem_response(
            PROBLEMS[type(refusal)],
            detail=refusal.detail,
            instance=request.url.path,
            **refusal.extensions,
        )

    @app.exception_handler(CredentialRefused)
    async def _credential(request: Request, refused: CredentialRefused) -> JSONResponse:
        code = PASSED_ON.get(refused.code, ProblemCode.VALIDATION_ERROR)
        return problem_response(code, detail=refused.detail, instance=request.url.path)
