"""What identity's pages depend on: the use cases, the realm, the user a page is about, and
the client. The JSON API has its own (``api.deps``); the two doors share the rules beneath
them (``usecases``), never each other. Who the page's browser is, is read by ``kit``.
"""

from typing import Annotated

from fastapi import Depends, Path, Request

from servicekit.problems import Problem, ProblemCode
from services.identity.domain.realms import RealmPolicy, realm_policy
from services.identity.usecases import Identity, addresses
from services.identity.usecases.context import Client


async def identity(request: Request) -> Identity:
    found: Identity = request.app.state.identity
    return found


async def realm(realm: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")]) -> RealmPolicy:
    policy = realm_policy(realm)
    if policy is None:
        raise Problem(ProblemCode.REALM_NOT_FOUND, detail=f"realm {realm!r}")
    return policy


async def client_address(request: Request) -> str | None:
    """The client's address, as the trusted proxies tell it (``usecases.addresses``)."""
    return addresses.client_address(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        request.app.state.trusted_proxies,
    )


ClientAddress = Annotated[str | None, Depends(client_address)]


async def client(request: Request, address: ClientAddress) -> Client:
    """The client as the records name it: its address and its browser."""
    return Client(address, request.headers.get("user-agent"))


IdentityDep = Annotated[Identity, Depends(identity)]
Realm = Annotated[RealmPolicy, Depends(realm)]
UserId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
ClientDep = Annotated[Client, Depends(client)]
