"""What certs' screens depend on: the use cases, the realm, and the certificate the gateway
forwarded (the renewal screen's proof of possession). The API has its own (``api/deps.py``):
screens and API never import each other, and the rules both follow are the use cases'."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Request

from servicekit.problems import Problem, ProblemCode
from services.certs.usecases import Certs
from services.certs.usecases.gateway import forwarded_certificate


async def certs(request: Request) -> Certs:
    found: Certs = request.app.state.certs
    return found


CertsDep = Annotated[Certs, Depends(certs)]


async def realm(request: Request, realm: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")]) -> str:
    """Only the CA's own realm has these screens (CT: `kihonet`)."""
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
