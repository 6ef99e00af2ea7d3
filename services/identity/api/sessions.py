"""Sessions (ID-SESS-01, -02): introspection for the gateway and other services, and logout."""

import json
from typing import Annotated, Final

from fastapi import APIRouter, Cookie, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from servicekit.credentials import SESSION_COOKIE, forget_cookie, request_session_token
from servicekit.problems import Problem, ProblemCode
from services.identity.api.deps import IdentityDep, Token
from services.identity.api.links import SESSION_READ
from services.identity.api.login_steps import steps_out
from services.identity.api.schemas import SessionOut, StepOut
from services.identity.domain.attempts import PendingStep
from services.identity.domain.login_link import StepState
from services.identity.domain.realms import realm_policy
from services.identity.usecases import Identity

router = APIRouter(prefix="/v1", tags=["sessions"])


@router.get(
    "/sessions/current",
    summary="Introspect a session (ID-SESS-02): for the gateway and other services",
    response_model=SessionOut,
    responses={
        200: {"links": SESSION_READ},
        401: {"description": "SESSION_EXPIRED"},
        403: {"description": "OTP_REQUIRED, for a protected operation (ID-OTP-04)"},
    },
)
async def introspect(
    request: Request,
    protected: Annotated[
        bool,
        Query(
            description="The request is for a protected operation (the gateway's route says "
            "so): a session that still owes an OTP is answered OTP_REQUIRED"
        ),
    ] = False,
    session_cookie: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Who the session is, with its permission matrix and OTP state, for the gateway to forward
    (GW-02), in the answer and as ``X-Auth-*`` headers (nginx's ``auth_request`` reads only
    headers). A pending login's session also says where each of its steps stands.

    This is the route as OpenAPI describes it; requests are answered by
    :func:`answer_introspection`, mounted in front of FastAPI's routing (``api.front``)."""
    return await answer_introspection(request)


_PROTECTED: Final = TypeAdapter(bool)


async def answer_introspection(request: Request) -> Response:
    """``GET /v1/sessions/current`` as a plain endpoint (``api.front`` says why): the
    parameters read from the request, the answer written as bytes. Only the steps whose state
    lives in the user (dantai-net's last steps) cost a read of the user; a forced password
    change is its session's to do."""
    try:
        protected = _PROTECTED.validate_python(request.query_params.get("protected", False))
    except ValidationError as err:
        errors = err.errors(include_url=False)
        raise RequestValidationError(
            [{**e, "loc": ("query", "protected")} for e in errors]
        ) from None
    token = request_session_token(request)
    identity: Identity = request.app.state.identity
    session = await identity.login.introspect(token)
    if session is None:
        raise Problem(ProblemCode.SESSION_EXPIRED)
    if protected and not session.restricted and session.needs_otp:
        raise Problem(ProblemCode.OTP_REQUIRED)
    steps = [StepOut(step=step, state=StepState.TO_DO.value) for step in session.pending_steps]
    if set(session.pending_steps) - {PendingStep.PASSWORD_CHANGE}:
        realm = realm_policy(session.realm)
        assert realm is not None, "sessions are of known realms"
        steps = steps_out(await identity.login_steps.progress(realm, session, token))
    answer = SessionOut(
        user_id=session.user_id,
        realm=session.realm,
        org_id=session.org_id,
        role=session.role.value,
        login_id=session.login_id,
        restricted=session.restricted,
        otp_verified=session.otp_verified,
        previous_login_at=session.previous_login_at,
        expires_at=session.expires_at,
        readable_org_ids=list(session.readable_org_ids),
        pending_steps=list(session.pending_steps),
        steps=steps,
        permissions=session.permissions,
        otp_required=session.otp_required,
    )
    return Response(
        answer.model_dump_json(), media_type="application/json", headers=gateway_headers(answer)
    )


def gateway_headers(answer: SessionOut) -> dict[str, str]:
    """Who the session is, as the gateway forwards it to the services (GW-02): user, realm,
    organisation, role, permissions and OTP state. Read from the answer's fields by name, so
    fields the answer gains (permissions, ID-PERM) reach the gateway as they appear."""
    permissions = answer.model_dump(mode="json", include={"permissions"}).get("permissions", {})
    return {
        "X-Auth-User-Id": answer.user_id,
        "X-Auth-Realm": answer.realm,
        "X-Auth-Org-Id": answer.org_id or "",
        "X-Auth-Role": answer.role,
        "X-Auth-Login-Id": answer.login_id,
        "X-Auth-Restricted": json.dumps(answer.restricted),
        "X-Auth-Otp-Verified": json.dumps(answer.otp_verified),
        "X-Auth-Permissions": json.dumps(permissions, separators=(",", ":")),
    }


@router.post("/logout", status_code=204, summary="End the session")
async def log_out(token: Token, identity: IdentityDep, response: Response) -> Response:
    await identity.login.log_out(token)
    response.status_code = 204
    forget_cookie(response)
    return response
