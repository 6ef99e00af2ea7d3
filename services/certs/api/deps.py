"""What certs' API depends on: the use cases, the realm and the certificate the gateway
forwarded, shared with the screens through ``web`` (the two doors share their dependencies
there, never each other), and who operates, which the use cases' ``Access`` decides by
``domain/authz``. ``async def`` throughout: FastAPI runs a plain ``def`` dependency in a
thread."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from contracts import Actor
from servicekit.credentials import session_token
from services.certs.web import AccessDep
from services.certs.web import CertsDep as CertsDep
from services.certs.web import GatewayCertificate as GatewayCertificate
from services.certs.web import Realm as Realm


async def operator(
    access: AccessDep, realm: Realm, token: Annotated[str, Depends(session_token)]
) -> Actor:
    """The back office or a support operator of the realm (``Access.operator``)."""
    return await access.operator(token, realm)


Operator = Annotated[Actor, Depends(operator)]
