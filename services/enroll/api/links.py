"""Where enroll's answers lead: the OpenAPI links of its routes, in one place.

Each constant is the ``links`` of one route's success answer (``servicekit.links``). A sign-up
is held by the secrets its answers give (its resend handle, then the step token the activation
answers), so the links carry them into the next call's body; the activation's own token comes
by mail, so nothing links to the activation. A roster imported leads to the roster in force; a
member's checkup code issued leads to the member typing it, then to its secret question, one
of those the question list offers.
Schemathesis's stateful phase follows these links (tests/integration/test_fuzz_stateful.py).
"""

from typing import Any

from servicekit.links import link

REALM = "/v1/realms/{realm}"
SIGNUPS = f"{REALM}/signups"
ROSTER = f"{REALM}/rosters/{{insurer_number}}"
CHECKUP = f"{REALM}/checkup-access"

_SAME_REALM = {"path.realm": "$request.path.realm"}
_STEP_ANSWERED = {"signup_token": "$response.body#/signup_token"}
_STEP_SENT = {"signup_token": "$request.body#/signup_token"}

SIGNUP_SENT: dict[str, Any] = {
    "Resend": link(
        "post",
        f"{SIGNUPS}/resend",
        "仮登録メールの再送信: a new link, which voids the earlier ones",
        parameters=_SAME_REALM,
        body={"signup_ref": "$response.body#/signup_ref"},
    ),
}

SIGNUP_ACTIVATED: dict[str, Any] = {
    "CheckEligibility": link(
        "post",
        f"{SIGNUPS}/eligibility",
        "The insurance card against the union's roster, with the step token answered here",
        parameters=_SAME_REALM,
        body=_STEP_ANSWERED,
    ),
    "Progress": link(
        "post",
        f"{SIGNUPS}/progress",
        "Where the sign-up stands",
        parameters=_SAME_REALM,
        body=_STEP_ANSWERED,
    ),
}

SIGNUP_ELIGIBLE: dict[str, Any] = {
    "Progress": link(
        "post",
        f"{SIGNUPS}/progress",
        "Where the registration stands (it is asynchronous)",
        parameters=_SAME_REALM,
        body=_STEP_SENT,
    ),
}

ROSTER_IMPORTED: dict[str, Any] = {
    "Roster": link(
        "get",
        ROSTER,
        "The union's roster in force",
        parameters=_SAME_REALM | {"path.insurer_number": "$response.body#/insurer_number"},
    ),
}

CHECKUP_CODE_ISSUED: dict[str, Any] = {
    "VerifyCode": link(
        "post",
        f"{CHECKUP}/code",
        "The member types the code from the postcard, in its own session",
        parameters=_SAME_REALM,
        body={"code": "$response.body#/code"},
    ),
}

QUESTIONS_LISTED: dict[str, Any] = {
    "ChooseQuestion": link(
        "post",
        f"{CHECKUP}/secret-question",
        "Choose one of the questions listed (the first here) and type its answer",
        parameters=_SAME_REALM,
        body={"question_id": "$response.body#/0/question_id"},
    ),
}

CHECKUP_CODE_VERIFIED: dict[str, Any] = {
    "Questions": link(
        "get", f"{CHECKUP}/questions", "The secret questions to choose from", parameters=_SAME_REALM
    ),
    "SecretQuestion": link(
        "post", f"{CHECKUP}/secret-question", "Set a secret question", parameters=_SAME_REALM
    ),
}

SECRET_QUESTION_DRAFTED: dict[str, Any] = {
    "ConfirmQuestion": link(
        "post",
        f"{CHECKUP}/secret-question/confirm",
        "設定完了: save the question shown",
        parameters=_SAME_REALM,
    ),
}

SECRET_QUESTION_SET: dict[str, Any] = {
    "Gate": link("get", CHECKUP, "Where the checkup-results gate stands", parameters=_SAME_REALM),
    "Answer": link(
        "post", f"{CHECKUP}/answer", "Answer the secret question", parameters=_SAME_REALM
    ),
}
