"""What both of identity's doors depend on: the use cases, the realm named in the path, the
user a route is about, and the client as the records name it.

The JSON API (``api``) and the pages (``pages``) share their dependencies here, never each
other: each door's ``deps`` re-exports these and adds its own way of telling who calls (a
bearer or cookie for the API, the browser's cookie for the pages, read by ``pages.kit``).

Dependencies are ``async def`` although most await nothing: FastAPI runs a plain ``def``
dependency in a worker thread, a hop that cost introspection a tenth of its throughput.
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


async def realm(
    realm: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$", examples=["dantai-net"])],
) -> RealmPolicy:
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


ClientDep = Annotated[Client, Depends(client)]
IdentityDep = Annotated[Identity, Depends(identity)]
Realm = Annotated[RealmPolicy, Depends(realm)]
UserId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
