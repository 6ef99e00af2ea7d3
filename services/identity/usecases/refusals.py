"""The domain's refusals as the problems a client reads (SPEC section 7), mapped once: the JSON
API answers them as problem+json, the pages announce their titles in the form that caused them.
"""

from servicekit.problems import Problem, ProblemCode
from services.identity.domain import bot_defence, login_link, otp, refusals
from services.identity.domain.login_link import LinkAnswer

PROBLEMS: dict[type[refusals.Refusal], ProblemCode] = {
    refusals.NotPermitted: ProblemCode.FORBIDDEN,
    refusals.StepsPending: ProblemCode.PASSWORD_CHANGE_REQUIRED,
    refusals.NotFound: ProblemCode.NOT_FOUND,
    refusals.SessionEnded: ProblemCode.SESSION_EXPIRED,
    refusals.LoginIdTaken: ProblemCode.LOGIN_ID_TAKEN,
    refusals.KeyNamesAnotherCreation: ProblemCode.CONFLICT,
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
    bot_defence.TrustedListFull: ProblemCode.VALIDATION_ERROR,
}


def link_problem(realm: str, answer: LinkAnswer) -> Problem | None:
    """The login link's refusals, the expiry with its re-issue action (ID-MAIL-03)."""
    if answer is LinkAnswer.EXPIRED:
        return Problem(
            ProblemCode.AUTH_LINK_TIMEOUT,
            detail="待機画面の「再発行」を押してください。新しいリンクをお送りします。",
            actions=[
                {"rel": "reissue", "method": "POST", "href": f"/v1/realms/{realm}/login/link"}
            ],
        )
    if answer is LinkAnswer.OTHER_BROWSER:
        return Problem(
            ProblemCode.LINK_INVALID,
            detail="ログインボタンを押したブラウザでリンクを開いてください（ログインは完了していません）",
        )
    if answer is LinkAnswer.INVALID:
        return Problem(ProblemCode.LINK_INVALID)
    return None
