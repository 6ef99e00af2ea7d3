"""What certs' routes depend on: the use cases, the realm, who operates, and the certificate
the gateway forwarded. ``async def`` throughout: FastAPI runs a plain ``def`` dependency in a
thread."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import Depends, Header, Path, Request

from contracts import Actor, ActorKind
from servicekit.credentials import Introspection, is_provisioning_token, session_token
from servicekit.problems import Problem, ProblemCode
from services.certs.domain import authz
from services.certs.usecases import Certs
from services.certs.usecases.gateway import forwarded_certificate

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


async def operator(
    request: Request, realm: Realm, token: Annotated[str, Depends(session_token)]
) -> Actor:
    """The back office (the provisioning token) or whom ``authz.operate`` lets operate, asked
    of identity (ID-SESS-02)."""
    if is_provisioning_token(token, request.app.state.provisioning_token):
        return BACK_OFFICE
    introspection: Introspection = request.app.state.introspection
    caller = await introspection.authorise(token, partial(authz.operate, realm=realm))
    return Actor(kind=ActorKind.SUPPORT, id=caller.user_id)


Operator = Annotated[Actor, Depends(operator)]


async def gateway_client_certificate(
    request: Request,
    x_gateway_secret: Annotated[str | None, Header(max_length=256)] = None,
    x_client_certificate: Annotated[str | None, Header(max_length=16_384)] = None,
) -> str | None:
    """The client certificate the gateway verified, if it came with the shared secret."""
    return forwarded_certificate(
        request.app.state.gateway_secret, x_gateway_secret, x_client_certificate
    )


GatewayCertificate = Annotated[str | None, Depends(gateway_client_certificate)]
