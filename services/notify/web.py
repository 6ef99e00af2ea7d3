"""What both of notify's doors depend on: the use cases, identity's introspection, the realm
named in the path, and who the support desk calling is.

The JSON API (``api``) and the support console's page (``pages``) share their dependencies
here, never each other: the API answers a refusal with its problem, the page with the portal's
page. ``async def`` throughout: FastAPI runs a plain ``def`` dependency in a thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from domainkit.callers import Caller, Refusal
from servicekit.credentials import Introspection
from services.notify.usecases import NotifyUseCases

RealmName = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$", examples=["kencom"])]


async def notify(request: Request) -> NotifyUseCases:
    found: NotifyUseCases = request.app.state.notify
    return found


Notify = Annotated[NotifyUseCases, Depends(notify)]


async def introspection(request: Request) -> Introspection:
    found: Introspection = request.app.state.introspection
    return found


Identity = Annotated[Introspection, Depends(introspection)]


async def delivery_log_reader(
    identity: Introspection, usecases: NotifyUseCases, token: str | None, realm: str
) -> Caller | Refusal:
    """Who reads the realm's delivery log, as the use case's rule lets them (X-15): asked
    before anything is searched, so a refused caller learns nothing of the realm's mail."""
    if not token:
        return Refusal.NO_SESSION
    caller = await identity.caller(token)
    if isinstance(caller, Refusal):
        return caller
    return usecases.delivery_log.may_read(caller, realm) or caller
