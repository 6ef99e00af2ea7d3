"""What both of enroll's doors depend on: the use cases and the realm named in the path.

The JSON API (``api``) and kencom's pages (``pages``) share their dependencies here, never each
other: each door's ``deps`` re-exports these and adds its own way of telling who calls (the
API answers a refusal with a problem, a page with a page).
"""

from typing import Annotated

from fastapi import Depends, Path, Request

from servicekit.problems import Problem, ProblemCode
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
