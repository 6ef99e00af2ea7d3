"""What both of certs' doors depend on: the use cases, who operates (``Access``), the realm
named in the path, and the client certificate the gateway forwarded.

The JSON API (``api``) and the screens (``pages``) share their dependencies here, never each
other: each door's ``deps`` re-exports these, and the API adds who operates. ``async def``
throughout: FastAPI runs a plain ``def`` dependency in a thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Request

from servicekit.problems import Problem, ProblemCode
from services.certs.usecases import Certs
from services.certs.usecases.access import Access
from services.certs.usecases.gateway import forwarded_certificate


async def certs(request: Request) -> Certs:
    found: Certs = request.app.state.certs
    return found


CertsDep = Annotated[Certs, Depends(certs)]


async def access(request: Request) -> Access:
    """Who operates the CA, as ``domain/authz`` decides (the API's and the console's)."""
    found: Access = request.app.state.access
    return found


AccessDep = Annotated[Access, Depends(access)]


async def realm(
    request: Request,
    realm: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$", examples=["kihonet"])],
) -> str:
    """Only the CA's own realm exists here (CT: `kihonet`)."""
    if realm != request.app.state.realm:
        raise Problem(ProblemCode.REALM_NOT_FOUND, detail=f"realm {realm!r}")
    return realm


Realm = Annotated[str, Depends(realm)]


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
