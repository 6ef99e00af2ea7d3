"""What notify's routes depend on: the use cases and identity's introspection, both read from
``request.app.state`` (``app.py`` puts them there), and the realm whose support desk calls.
``async def`` throughout: FastAPI runs a plain ``def`` dependency in a thread."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from servicekit.credentials import Introspection, session_token
from services.notify.usecases import NotifyUseCases

RealmName = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$", examples=["kencom"])]
Token = Annotated[str, Depends(session_token)]


async def notify(request: Request) -> NotifyUseCases:
    found: NotifyUseCases = request.app.state.notify
    return found


Notify = Annotated[NotifyUseCases, Depends(notify)]


async def introspection(request: Request) -> Introspection:
    found: Introspection = request.app.state.introspection
    return found


async def support_desk(
    realm: RealmName,
    token: Token,
    usecases: Notify,
    identity: Annotated[Introspection, Depends(introspection)],
) -> str:
    """The realm whose support desk is calling, asked before anything is searched (X-15)."""
    await identity.authorise(token, lambda caller: usecases.delivery_log.may_read(caller, realm))
    return realm


SupportDesk = Annotated[str, Depends(support_desk)]
