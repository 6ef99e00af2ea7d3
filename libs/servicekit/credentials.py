"""Who is calling: the session credential, read the same way by every service (X-12, X-15).

A caller proves who they are with the opaque session token identity issued at login, sent as
``Authorization: Bearer …`` (the gateway, other services, curl) or as the ``__Host-session``
cookie (browsers). :func:`session_token` reads it; identity itself uses it as is. Every other
service then asks identity's introspection (ID-SESS-02) whom the token belongs to, through
:class:`Introspection`, and applies its own rule to the :class:`Caller` it answers; services
never import each other, so that question travels over HTTP.

A refusal names why (:class:`Refusal`) and leaves as one problem per reason, so that a stranger
without a session, a caller of another realm and a caller without the right role each get an
answer that does not depend on whether the thing they asked for exists (X-15).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from typing import Annotated

import httpx
from fastapi import Cookie, Header, Request, Response
from pydantic import BaseModel, SecretStr, ValidationError

from domainkit.callers import Caller, Refusal
from servicekit.problems import Problem, ProblemCode

__all__ = [
    "SESSION_COOKIE",
    "Caller",
    "Introspection",
    "Refusal",
    "is_provisioning_token",
    "refused",
    "session_token",
    "set_host_cookie",
    "token_of",
]

SESSION_COOKIE = "__Host-session"
CSRF_HEADER = "X-CSRF-Protection"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: What a session token can look like: identity's are 43 URL-safe characters. Anything else
#: (control or non-ASCII characters, kilobytes) is no session, and is never sent on to identity.
_PLAUSIBLE_TOKEN = re.compile(r"[\x21-\x7e]{1,512}")


async def session_token(
    request: Request,
    session_cookie: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> str:
    """The session token from a bearer header or the cookie; ``SESSION_EXPIRED`` without one.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in a worker
    thread, a hop that costs introspection a tenth of its throughput.
    """
    return token_of(request.method, request.headers, session_cookie, authorization)


def token_of(
    method: str, headers: Mapping[str, str], session_cookie: str | None, authorization: str | None
) -> str:
    """The session token, as :func:`session_token` reads it, for a route that declares the
    cookie and the header itself (identity's introspection: one dependency less per request).

    A state-changing request that authenticates with the cookie must also carry the custom
    ``X-CSRF-Protection`` header (X-12): a cross-site form cannot set it, and cross-site
    scripts cannot send it without a CORS preflight that no service grants. A bearer header is
    never sent by a browser on its own, so it needs no such proof.
    """
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    if session_cookie:
        if method not in SAFE_METHODS and CSRF_HEADER.lower() not in headers:
            raise Problem(ProblemCode.CSRF_CHECK_FAILED)
        return session_cookie
    raise Problem(ProblemCode.SESSION_EXPIRED)


def is_provisioning_token(token: str, expected: SecretStr) -> bool:
    """The back office's bearer token (an empty setting: there is no back office), compared in
    constant time so that its answer's timing tells nothing of the token (X-02)."""
    secret = expected.get_secret_value()
    return bool(secret) and hmac.compare_digest(token.encode(), secret.encode())


def set_host_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """A ``__Host-`` cookie: Secure, Path=/, no Domain (X-12), HttpOnly and SameSite=Lax; how
    every cookie a login sets (the session, the remembered ID, the browser binding) is written.
    ``max_age=None``: a session cookie, gone when the browser closes."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )


def refused(refusal: Refusal) -> Problem:
    """A refusal's answer: the same for every caller refused for one reason, whatever was asked
    (X-15). An incomplete login is told to change its password: that is the one pending step
    identity has today (ID-LOGIN-01 step 7)."""
    return Problem(_PROBLEMS[refusal])


_PROBLEMS = {
    Refusal.NO_SESSION: ProblemCode.SESSION_EXPIRED,
    Refusal.LOGIN_INCOMPLETE: ProblemCode.PASSWORD_CHANGE_REQUIRED,
    Refusal.NOT_PERMITTED: ProblemCode.FORBIDDEN,
    Refusal.OTP_REQUIRED: ProblemCode.OTP_REQUIRED,
    Refusal.IDENTITY_UNAVAILABLE: ProblemCode.SERVICE_UNAVAILABLE,
}


class _Introspected(BaseModel):
    """The fields of identity's ``SessionOut`` a service decides on; others are ignored."""

    user_id: str
    realm: str
    org_id: str | None = None
    role: str
    login_id: str = ""
    restricted: bool = False
    pending_steps: list[str] = []
    readable_org_ids: list[str] = []
    otp_verified: bool = False
    otp_required: bool = False


class Introspection:
    """Identity's ``GET /v1/sessions/current``, asked with the caller's own session token."""

    def __init__(self, identity_url: str, timeout: float = 5.0) -> None:
        self.client = httpx.AsyncClient(base_url=identity_url, timeout=timeout)

    async def caller(self, token: str) -> Caller | Refusal:
        """Who holds ``token``, or why nobody does (an unknown or expired session) or why it
        cannot be told (identity unreachable or answering nonsense: ``SERVICE_UNAVAILABLE``)."""
        if not _PLAUSIBLE_TOKEN.fullmatch(token):
            return Refusal.NO_SESSION
        try:
            answer = await self.client.get(
                "/v1/sessions/current", headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError:
            return Refusal.IDENTITY_UNAVAILABLE
        if answer.status_code == httpx.codes.UNAUTHORIZED:
            return Refusal.NO_SESSION
        if answer.status_code != httpx.codes.OK:
            return Refusal.IDENTITY_UNAVAILABLE
        try:
            found = _Introspected.model_validate_json(answer.content)
        except ValidationError:
            return Refusal.IDENTITY_UNAVAILABLE
        return Caller(
            user_id=found.user_id,
            realm=found.realm,
            org_id=found.org_id,
            role=found.role,
            restricted=found.restricted or bool(found.pending_steps),
            pending_steps=tuple(found.pending_steps),
            readable_org_ids=tuple(found.readable_org_ids),
            login_id=found.login_id,
            otp_verified=found.otp_verified,
            otp_required=found.otp_required,
        )

    async def authorise(self, token: str, rule: Callable[[Caller], Refusal | None]) -> Caller:
        """The caller, if ``rule`` lets it go on; otherwise the refusal's problem is raised."""
        found = await self.caller(token)
        if isinstance(found, Refusal):
            raise refused(found)
        refusal = rule(found)
        if refusal is not None:
            raise refused(refusal)
        return found

    async def close(self) -> None:
        await self.client.aclose()
