"""Enroll's one synchronous call (EN-05, EN-08): hold a sign-up's credential.

Only enroll calls it, with ``ENROLMENT_TOKEN`` (compared in constant time); the password
arrives here, is checked against the realm's policy, hashed and held, and goes no further.
"""

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, SecretStr, StringConstraints

from servicekit.credentials import matches_secret
from servicekit.problems import Problem, ProblemCode
from services.identity.api.deps import IdentityDep, Realm, Token

router = APIRouter(prefix="/v1/realms/{realm}", tags=["enrolment"])


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    signup_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    """The sign-up's id, which becomes the member's user id."""
    login_id: Annotated[str, StringConstraints(min_length=1, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class HoldOut(BaseModel):
    address_registered: bool
    """The address is a member's already: nothing is held (enroll mails the owner so)."""


@router.post(
    "/enrolments",
    summary="Enroll hands a sign-up's credential to identity, which hashes and holds it "
    "until eligibility (EN-05, EN-08)",
)
async def hold(
    request: Request, policy: Realm, body: HoldIn, token: Token, identity: IdentityDep
) -> HoldOut:
    expected: SecretStr = request.app.state.enrolment_token
    if not matches_secret(token, expected):
        raise Problem(ProblemCode.FORBIDDEN)
    registered = await identity.enrolments.hold(
        policy, body.signup_id, body.login_id, body.password
    )
    return HoldOut(address_registered=registered)
