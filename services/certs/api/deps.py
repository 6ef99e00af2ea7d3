"""What certs' API depends on: the use cases, the realm and the certificate the gateway
forwarded, shared with the screens through ``web`` (the two doors share their dependencies
there, never each other), and who operates, which is the API's own. ``async def`` throughout:
FastAPI runs a plain ``def`` dependency in a thread."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import Depends, Request

from contracts import Actor, ActorKind
from servicekit.credentials import Introspection, is_provisioning_token, session_token
from services.certs.domain import authz
from services.certs.web import CertsDep as CertsDep
from services.certs.web import GatewayCertificate as GatewayCertificate
from services.certs.web import Realm as Realm

BACK_OFFICE = Actor(kind=ActorKind.SERVICE, id="provisioning")


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
