"""The authorisation decision API (ID-PERM-03): the gateway and the services that hold business
data ask it before they act, with the caller's session as the credential."""

from fastapi import APIRouter

from servicekit.problems import Problem, ProblemCode
from services.identity.api.access_schemas import DecisionIn, DecisionOut
from services.identity.api.deps import IdentityDep, Token
from services.identity.domain.permissions import Reason

router = APIRouter(prefix="/v1/authz", tags=["authorisation"])

#: What a person is told of a denial, where something can be done about it.
MESSAGES = {
    Reason.OTP_REQUIRED: ProblemCode.OTP_REQUIRED.title,
    Reason.LOGIN_INCOMPLETE: ProblemCode.PASSWORD_CHANGE_REQUIRED.title,
}


@router.post(
    "/decisions",
    summary="Allow or deny an action on a resource for a session (ID-PERM-03): deny by default",
    responses={401: {"description": "SESSION_EXPIRED"}},
)
async def decide(body: DecisionIn, token: Token, identity: IdentityDep) -> DecisionOut:
    """The session is the bearer token (or cookie) of the person acting; the resource side
    declares whether the operation is protected by the OTP. A denial says why (``reason``) and
    which rule decided (``rule``)."""
    verdict = await identity.authorisation.decide(
        token, body.action, body.resource.to_resource(), body.protected
    )
    if verdict is None:
        raise Problem(ProblemCode.SESSION_EXPIRED)
    message = None
    if not verdict.allow:
        message = MESSAGES.get(verdict.reason, ProblemCode.FORBIDDEN.title)
    return DecisionOut(
        allow=verdict.allow, reason=verdict.reason, rule=verdict.rule, message=message
    )
