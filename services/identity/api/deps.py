"""What identity's JSON API depends on: the use cases, the realm, and who is calling (the
pages have their own, ``pages.deps``: they read the browser's cookie and never a bearer).

Dependencies are ``async def`` although most await nothing: FastAPI runs a plain ``def``
dependency in a worker thread, a hop that cost introspection a tenth of its throughput.
"""

from typing import Annotated

from fastapi import Depends, Header, Path, Request
from pydantic import SecretStr

from servicekit.credentials import is_provisioning_token, session_token
from servicekit.problems import Problem, ProblemCode
from services.identity.domain import authz
from services.identity.domain.realms import RealmPolicy, realm_policy
from services.identity.domain.sessions import Session
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
Token = Annotated[str, Depends(session_token)]
OrgId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
UserId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
IdempotencyKey = Annotated[str | None, Header(max_length=200)]


async def current_session(token: Token, identity: IdentityDep) -> Session:
    """The session behind the credential, alive (ID-SESS-02); ``SESSION_EXPIRED`` otherwise."""
    found = await identity.login.introspect(token)
    if found is None:
        raise Problem(ProblemCode.SESSION_EXPIRED)
    return found


def _is_back_office(request: Request, token: str) -> bool:
    expected: SecretStr = request.app.state.provisioning_token
    return is_provisioning_token(token, expected)


async def caller(request: Request, token: Token, identity: IdentityDep) -> authz.Caller:
    """The back office (by the provisioning token, compared in constant time) or a session."""
    if _is_back_office(request, token):
        return authz.BackOffice()
    return await current_session(token, identity)


CurrentSession = Annotated[Session, Depends(current_session)]
Caller = Annotated[authz.Caller, Depends(caller)]
