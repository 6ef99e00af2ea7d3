"""What enroll's API depends on: the use cases and the realm, shared with the pages through
``web`` (the two doors share their dependencies there, never each other), and who is calling,
which the use cases' ``Access`` decides by ``domain/authz``.
"""

from typing import Annotated

from fastapi import Depends, Path, Request

from servicekit.credentials import Caller, session_token
from services.enroll.usecases.access import Access
from services.enroll.web import EnrollDep as EnrollDep
from services.enroll.web import Realm as Realm

Token = Annotated[str, Depends(session_token)]
UserId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def _access(request: Request) -> Access:
    found: Access = request.app.state.access
    return found


async def member(request: Request, _: Realm, token: Token) -> Caller:
    """A kencom member with a complete login: their own checkup gate."""
    return await _access(request).member(token)


async def support(request: Request, _: Realm, token: Token) -> Caller:
    """kencom's support desk (サポートデスク): it reissues codes (seed 003 A4)."""
    return await _access(request).support(token)


async def roster_importer(request: Request, _: Realm, token: Token) -> str:
    """The back office (its token) or kencom's support desk imports rosters."""
    return await _access(request).roster_importer(token)


Member = Annotated[Caller, Depends(member)]
Support = Annotated[Caller, Depends(support)]
RosterImporter = Annotated[str, Depends(roster_importer)]
