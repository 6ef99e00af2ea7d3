"""What notify's routes depend on: the use cases and identity's introspection (shared with the
pages through ``web``), and the realm whose support desk calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from domainkit.callers import Refusal
from servicekit.credentials import refused, session_token
from services.notify.web import Identity, Notify, RealmName, delivery_log_reader

Token = Annotated[str, Depends(session_token)]

__all__ = ["Notify", "RealmName", "SupportDesk", "Token"]


async def support_desk(realm: RealmName, token: Token, usecases: Notify, identity: Identity) -> str:
    """The realm whose support desk is calling, asked before anything is searched (X-15)."""
    found = await delivery_log_reader(identity, usecases, token, realm)
    if isinstance(found, Refusal):
        raise refused(found)
    return realm


SupportDesk = Annotated[str, Depends(support_desk)]
