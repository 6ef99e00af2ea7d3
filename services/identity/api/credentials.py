"""The session credential of a request: a bearer token, or the session cookie of a browser."""

from typing import Annotated

from fastapi import Cookie, Header, Request

from servicekit.problems import Problem, ProblemCode
from services.identity.domain.sessions import COOKIE

CSRF_HEADER = "X-CSRF-Protection"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def session_token(
    request: Request,
    session_cookie: Annotated[str | None, Cookie(alias=COOKIE)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> str:
    """The session id from a bearer header (the gateway, services) or the cookie (browsers).

    A state-changing request that authenticates with the cookie must also carry the custom
    ``X-CSRF-Protection`` header (X-12): a cross-site form cannot set it, and cross-site
    scripts cannot send it without a CORS preflight that this API never grants.
    """
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    if session_cookie:
        if request.method not in SAFE_METHODS and CSRF_HEADER.lower() not in request.headers:
            raise Problem(ProblemCode.CSRF_CHECK_FAILED)
        return session_cookie
    raise Problem(ProblemCode.SESSION_EXPIRED)
