"""The authorisation decision API (ID-PERM-03): the gateway and the services that hold business
data ask it before they act, with the caller's session as the credential."""

from fastapi import APIRouter, Request, Response

from servicekit.credentials import request_session_token
from servicekit.problems import Problem, ProblemCode
from services.identity.api.access_schemas import DecisionIn, DecisionOut
from services.identity.api.deps import Token
from services.identity.api.front import json_body
from services.identity.domain.permissions import Reason
from services.identity.usecases import Identity

router = APIRouter(prefix="/v1/authz", tags=["authorisation"])

#: What a person is told of a denial, where something can be done about it.
MESSAGES = {
    Reason.OTP_REQUIRED: ProblemCode.OTP_REQUIRED.title,
    Reason.LOGIN_INCOMPLETE: ProblemCode.PASSWORD_CHANGE_REQUIRED.title,
}


@router.post(
    "/decisions",
    summary="Allow or deny an action on a resource for a session (ID-PERM-03): deny by default",
    response_model=DecisionOut,
    responses={401: {"description": "SESSION_EXPIRED"}},
)
async def decide(request: Request, body: DecisionIn, token: Token) -> Response:
    """The session is the bearer token (or cookie) of the person acting; the resource side
    declares whether the operation is protected by the OTP. A denial says why (``reason``) and
    which rule decided (``rule``).

    This is the route as OpenAPI describes it; requests are answered by
    :func:`answer_decision`, mounted in front of FastAPI's routing (``api.front``)."""
    return await answer_decision(request)


async def answer_decision(request: Request) -> Response:
    """``POST /v1/authz/decisions`` as a plain endpoint (``api.front`` says why): the token
    read first and the body then, as FastAPI's dependencies would, the answer written as
    bytes."""
    token = request_session_token(request)
    body = await json_body(request, DecisionIn)
    identity: Identity = request.app.state.identity
    verdict = await identity.authorisation.decide(
        token, body.action, body.resource.to_resource(), body.protected
    )
    if verdict is None:
        raise Problem(ProblemCode.SESSION_EXPIRED)
    message = None
    if not verdict.allow:
        message = MESSAGES.get(verdict.reason, ProblemCode.FORBIDDEN.title)
    answer = DecisionOut(
        allow=verdict.allow, reason=verdict.reason, rule=verdict.rule, message=message
    )
    return Response(answer.model_dump_json(), media_type="application/json")
