"""The domain's refusals as the problems a client reads (SPEC section 7), mapped once."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from servicekit.problems import ProblemCode, problem_response
from services.identity.domain import bot_defence, login_link, otp, refusals

PROBLEMS: dict[type[refusals.Refusal], ProblemCode] = {
    refusals.NotPermitted: ProblemCode.FORBIDDEN,
    refusals.StepsPending: ProblemCode.PASSWORD_CHANGE_REQUIRED,
    refusals.NotFound: ProblemCode.NOT_FOUND,
    refusals.SessionEnded: ProblemCode.SESSION_EXPIRED,
    refusals.LoginIdTaken: ProblemCode.LOGIN_ID_TAKEN,
    refusals.BusinessUserLimitReached: ProblemCode.BUSINESS_USER_LIMIT,
    refusals.WrongPassword: ProblemCode.INVALID_CREDENTIALS,
    refusals.AccountLocked: ProblemCode.ACCOUNT_LOCKED,
    refusals.PasswordRefused: ProblemCode.PASSWORD_POLICY,
    refusals.MissingContact: ProblemCode.VALIDATION_ERROR,
    refusals.HalfWidthRequired: ProblemCode.HALF_WIDTH_REQUIRED,
    refusals.LoginIdFormat: ProblemCode.VALIDATION_ERROR,
    refusals.InMaintenance: ProblemCode.MAINTENANCE,
    refusals.ProfileRefused: ProblemCode.VALIDATION_ERROR,
    login_link.TooSoon: ProblemCode.LINK_RESEND_TOO_SOON,
    refusals.OtpRequired: ProblemCode.OTP_REQUIRED,
    otp.TooManyCodes: ProblemCode.OTP_ISSUE_LIMIT,
    bot_defence.ChallengeRequired: ProblemCode.CHALLENGE_REQUIRED,
    bot_defence.ChallengeFailed: ProblemCode.CHALLENGE_FAILED,
}


def install(app: FastAPI) -> None:
    """Every refusal leaves as its problem+json, whichever route or use case raised it."""

    @app.exception_handler(refusals.Refusal)
    async def _refused(request: Request, refusal: refusals.Refusal) -> JSONResponse:
        return problem_response(
            PROBLEMS[type(refusal)], detail=refusal.detail, instance=request.url.path
        )
