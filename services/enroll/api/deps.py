"""What enroll's API depends on: the use cases and the realm, shared with the pages through
``web`` (the two doors share their dependencies there, never each other), and who is calling.

Members and support are asked for through identity's introspection (``servicekit.credentials``:
the session's bearer header or cookie, CSRF-checked) and let through by ``domain/authz``; the
back office by its token, compared in constant time. Each answers the same whether or not the
thing asked for exists (X-15).
"""

from typing import Annotated

from fastapi import Depends, Path, Request

from servicekit.credentials import Caller, Introspection, is_provisioning_token, session_token
from services.enroll.domain import authz
from services.enroll.domain.realm import REALM
from services.enroll.web import EnrollDep as EnrollDep
from services.enroll.web import Realm as Realm

Token = Annotated[str, Depends(session_token)]
UserId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def _introspection(request: Request) -> Introspection:
    found: Introspection = request.app.state.introspection
    return found


async def member(request: Request, _: Realm, token: Token) -> Caller:
    """A kencom member with a complete login: their own checkup gate."""
    return await _introspection(request).authorise(token, authz.member)


async def support(request: Request, _: Realm, token: Token) -> Caller:
    """kencom's support desk (サポートデスク): it reissues codes (seed 003 A4)."""
    return await _introspection(request).authorise(token, authz.support)


async def roster_importer(request: Request, _: Realm, token: Token) -> str:
    """The back office (its token) or kencom's support desk imports rosters."""
    if is_provisioning_token(token, request.app.state.provisioning_token):
        return "back-office"
    caller = await support(request, REALM, token)
    return caller.user_id


Member = Annotated[Caller, Depends(member)]
Support = Annotated[Caller, Depends(support)]
RosterImporter = Annotated[str, Depends(roster_importer)]
