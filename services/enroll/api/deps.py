"""What enroll's routes depend on: the use cases, the realm, and who is calling.

Members and support are asked for through identity's introspection (``servicekit.credentials``:
the session's bearer header or cookie, CSRF-checked) and let through by ``domain/authz``; the
back office by its token, compared in constant time. Each answers the same whether or not the
thing asked for exists (X-15).
"""

from typing import Annotated

from fastapi import Depends, Path, Request

from servicekit.credentials import Caller, Introspection, is_provisioning_token, session_token
from servicekit.problems import Problem, ProblemCode
from services.enroll.domain import authz
from services.enroll.domain.realm import REALM
from services.enroll.usecases import Enroll


async def enroll(request: Request) -> Enroll:
    found: Enroll = request.app.state.enroll
    return found


async def realm(
    realm: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$", examples=["kencom"])],
) -> str:
    """Enrolment is kencom's (SPEC section 6); no other realm signs up here."""
    if realm != REALM:
        raise Problem(ProblemCode.REALM_NOT_FOUND, detail=f"realm {realm!r}")
    return realm


EnrollDep = Annotated[Enroll, Depends(enroll)]
Realm = Annotated[str, Depends(realm)]
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
