"""Who operates the CA, and whether certs' rules let them (``domain/authz``): the one place the
API learns who a caller is.

The back office proves itself with the provisioning token (compared in constant time); anyone
else is asked of identity (introspection, ID-SESS-02) and let through only by
``authz.operate``, before anything is looked up, so a stranger learns nothing of what exists
(X-15).
"""

from __future__ import annotations

from functools import partial

from pydantic import SecretStr

from contracts import Actor, ActorKind
from domainkit.callers import Refusal
from servicekit.credentials import Introspection, is_provisioning_token
from services.certs.domain import authz

BACK_OFFICE = Actor(kind=ActorKind.SERVICE, id="provisioning")


class Access:
    def __init__(self, introspection: Introspection, provisioning_token: SecretStr) -> None:
        self.introspection = introspection
        self.provisioning_token = provisioning_token

    async def operator(self, token: str, realm: str) -> Actor:
        """The back office, or a support operator of ``realm`` with a complete login; anyone
        else is answered the refusal's problem."""
        if is_provisioning_token(token, self.provisioning_token):
            return BACK_OFFICE
        caller = await self.introspection.authorise(token, partial(authz.operate, realm=realm))
        return Actor(kind=ActorKind.SUPPORT, id=caller.user_id)

    async def page_operator(self, token: str | None, realm: str) -> Actor | Refusal:
        """The support console's browser (WEB-04): a support operator of ``realm`` by its
        session cookie, or why not (the page answers the refusal as a page)."""
        if not token:
            return Refusal.NO_SESSION
        caller = await self.introspection.caller(token)
        if isinstance(caller, Refusal):
            return caller
        refusal = authz.operate(caller, realm)
        if refusal is not None:
            return refusal
        return Actor(kind=ActorKind.SUPPORT, id=caller.user_id)

    async def close(self) -> None:
        await self.introspection.close()
