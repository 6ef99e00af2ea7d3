"""Which problem (SPEC section 7) each refusal of enrolment answers, mapped once: the API
answers it as problem+json, the pages show its title and guidance in their own words. Identity's
refusals of a sign-up's credential are passed on as identity named them."""

from __future__ import annotations

from typing import Any

from contracts.enroll import EligibilityOutcome
from servicekit.problems import Problem, ProblemCode
from services.enroll.domain import refusals
from services.enroll.domain.guidance import TRIES_EXHAUSTED, UNION_MAINTENANCE, guidance
from services.enroll.domain.signups import Answer

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

OUTCOME_PROBLEMS = {
    EligibilityOutcome.NO_MATCH: ProblemCode.ELIGIBILITY_NO_MATCH,
    EligibilityOutcome.NOT_YET_LINKED: ProblemCode.ELIGIBILITY_NOT_YET_LINKED,
    EligibilityOutcome.RESTRICTED: ProblemCode.ELIGIBILITY_RESTRICTED,
    EligibilityOutcome.ALREADY_REGISTERED: ProblemCode.ELIGIBILITY_ALREADY_REGISTERED,
    TRIES_EXHAUSTED: ProblemCode.ELIGIBILITY_TRIES_EXHAUSTED,
    UNION_MAINTENANCE: ProblemCode.ELIGIBILITY_UNION_MAINTENANCE,
}


def ineligible(answer: Answer) -> Problem:
    """An answer that is not eligible, with its outcome, guidance and the tries left (EN-04)."""
    extensions: dict[str, Any] = {
        "outcome": answer.outcome,
        "guidance": guidance(answer.outcome, answer.restriction),
        "tries_left": answer.tries_left,
    }
    if answer.restriction is not None:
        extensions["restriction"] = answer.restriction.value
    return Problem(OUTCOME_PROBLEMS[answer.outcome], **extensions)
