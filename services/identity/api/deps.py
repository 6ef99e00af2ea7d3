"""What identity's JSON API depends on: the use cases, the realm and the client, shared with
the pages through ``web`` (the two doors share their dependencies there, never each other), and
who is calling, which is the API's own: a bearer or the cookie, where the pages read only the
browser's cookie.

Dependencies are ``async def`` although most await nothing: FastAPI runs a plain ``def``
dependency in a worker thread, a hop that cost introspection a tenth of its throughput.
"""

from typing import Annotated

from fastapi import Depends, Header, Path, Request
from pydantic import SecretStr

from servicekit.credentials import is_provisioning_token, session_token
from servicekit.problems import Problem, ProblemCode
from services.identity.domain import authz
from services.identity.domain.sessions import Session
from services.identity.web import ClientAddress as ClientAddress
from services.identity.web import ClientDep as ClientDep
from services.identity.web import IdentityDep as IdentityDep
from services.identity.web import Realm as Realm
from services.identity.web import UserId as UserId

Token = Annotated[str, Depends(session_token)]
OrgId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
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
