"""CSRF protection of the pages' forms (X-12).

The API asks browsers for the ``X-CSRF-Protection`` header, which an HTML form cannot send; the
pages work without JavaScript, so their forms carry a token instead: a double-submitted value,
once in a ``__Host-csrf`` cookie (Secure, HttpOnly, SameSite=Strict, Path=/) and once in the
form's hidden field. A cross-site page can neither read the cookie nor set it (``__Host-``
cookies cannot be planted from a sibling domain, the classic weakness of double submission),
so it cannot make the two agree. Browsers that say where a request came from
(``Sec-Fetch-Site``) are also refused when it is another site.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Form, Request, Response

from servicekit.problems import Problem, ProblemCode

COOKIE = "__Host-csrf"
FIELD = "csrf_token"
_TOKEN_CHARS = 43
"""``secrets.token_urlsafe(32)``: 256 random bits (X-11)."""


def token_of(request: Request) -> str | None:
    """The browser's token, if it holds a plausible one."""
    found = request.cookies.get(COOKIE)
    if found and len(found) == _TOKEN_CHARS and found.isascii():
        return found
    return None


def ensure_token(request: Request, response: Response) -> str:
    """The browser's token, or a new one set as its cookie on ``response``."""
    found = token_of(request)
    if found is not None:
        return found
    made = secrets.token_urlsafe(32)
    response.set_cookie(
        COOKIE, made, path="/", secure=True, httponly=True, samesite="strict", max_age=None
    )
    return made


def is_genuine(request: Request, submitted: str) -> bool:
    """The form came from one of the portal's own pages in this browser."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    held = token_of(request)
    return held is not None and hmac.compare_digest(held.encode(), submitted.encode())


async def checked(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> None:
    """A page POST's dependency: ``CSRF_CHECK_FAILED`` unless the form's token is genuine."""
    if not is_genuine(request, csrf_token):
        raise Problem(ProblemCode.CSRF_CHECK_FAILED)
