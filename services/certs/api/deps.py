"""What certs' routes depend on: the use cases, the realm, who operates, and the request's
context. ``async def`` throughout: FastAPI runs a plain ``def`` dependency in a thread."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Path, Request

from contracts import Actor, ActorKind
from contracts.common import Role
from servicekit.credentials import Caller, Introspection, Refusal, session_token
from servicekit.logs import current_correlation_id, get_logger
from servicekit.problems import Problem, ProblemCode
from services.certs.domain.decisions import Context
from services.certs.usecases import Certs

log = get_logger(__name__)

BACK_OFFICE = Actor(kind=ActorKind.SERVICE, id="provisioning")


async def certs(request: Request) -> Certs:
    found: Certs = request.app.state.certs
    return found


CertsDep = Annotated[Certs, Depends(certs)]


async def realm(
    request: Request,
    realm: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$", examples=["kihonet"])],
) -> str:
    """Only the CA's own realm exists here (CT: `kihonet`)."""
    if realm != request.app.state.realm:
        raise Problem(ProblemCode.REALM_NOT_FOUND, detail=f"realm {realm!r}")
    return realm


Realm = Annotated[str, Depends(realm)]


def context_of(request: Request, realm: str, actor: Actor) -> Context:
    """The request's context for the domain's events: who, which request (X-08), when (X-04)."""
    certs_: Certs = request.app.state.certs
    return Context(realm, actor, current_correlation_id(), certs_.keeper.now())


async def operator(
    request: Request, realm: Realm, token: Annotated[str, Depends(session_token)]
) -> Actor:
    """The back office (the provisioning token, compared in constant time) or a support
    operator of the realm with a complete login (asked of identity, ID-SESS-02)."""
    expected: str = request.app.state.provisioning_token
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return BACK_OFFICE
    introspection: Introspection = request.app.state.introspection

    def support_of_realm(caller: Caller) -> Refusal | None:
        if caller.realm != realm or caller.role != Role.SUPPORT.value:
            return Refusal.NOT_PERMITTED
        if caller.restricted:
            return Refusal.LOGIN_INCOMPLETE
        return None

    caller = await introspection.authorise(token, support_of_realm)
    return Actor(kind=ActorKind.SUPPORT, id=caller.user_id)


Operator = Annotated[Actor, Depends(operator)]


async def gateway_client_certificate(
    request: Request,
    x_gateway_secret: Annotated[str | None, Header(max_length=256)] = None,
    x_client_certificate: Annotated[str | None, Header(max_length=16_384)] = None,
) -> str | None:
    """The client certificate the gateway verified in its TLS handshake (URL-encoded PEM, as
    nginx's ``$ssl_client_escaped_cert``), believed only beside the secret the gateway and
    this service share: the gateway strips both headers from what clients send (GW-02)."""
    expected: str = request.app.state.gateway_secret
    if not (expected and x_gateway_secret and x_client_certificate):
        return None
    if not hmac.compare_digest(x_gateway_secret.encode(), expected.encode()):
        log.warning("client certificate header with a wrong gateway secret ignored")
        return None
    return x_client_certificate


GatewayCertificate = Annotated[str | None, Depends(gateway_client_certificate)]
