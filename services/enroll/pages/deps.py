"""What kencom's pages depend on: the use cases, the realm, and the page's member. The API has
its own (``api/deps.py``): pages and API never import each other, and the rules both follow
are the domain's (``domain/authz``) and the use cases'."""

from typing import Annotated

from fastapi import Depends, Path, Request

from servicekit.credentials import Caller, Introspection, Refusal
from servicekit.problems import Problem, ProblemCode
from services.enroll.domain import authz
from services.enroll.domain.realm import REALM
from services.enroll.usecases import Enroll
from webkit.pages import page_caller


async def enroll(request: Request) -> Enroll:
    found: Enroll = request.app.state.enroll
    return found


async def realm(realm: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")]) -> str:
    """kencom's pages only (SPEC section 6)."""
    if realm != REALM:
        raise Problem(ProblemCode.REALM_NOT_FOUND, detail=f"realm {realm!r}")
    return realm


EnrollDep = Annotated[Enroll, Depends(enroll)]
Realm = Annotated[str, Depends(realm)]


async def member(request: Request) -> Caller | Refusal:
    """The page's kencom member with a complete login (``authz.member``), or why not: a page
    answers a refusal with a page, not a problem."""
    introspection: Introspection = request.app.state.introspection
    found = await page_caller(request, introspection)
    if isinstance(found, Refusal):
        return found
    return authz.member(found) or found
