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

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Annotated

import httpx
from fastapi import Cookie, Header, Request
from pydantic import BaseModel, ValidationError

from servicekit.problems import Problem, ProblemCode

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


@dataclass(frozen=True)
class Caller:
    """The session's user as identity's introspection answers it.

    ``restricted``: the login is not complete yet (a forced password change or another of
    ID-LOGIN-01's pending steps, listed in ``pending_steps``), so the session may do nothing
    but those steps. ``readable_org_ids``: the organisations a group-wide read-only ID reads.
    ``otp_required``: the organisation requires an OTP for protected operations (ID-OTP-01);
    ``otp_verified``: this session has entered one (ID-OTP-03).
    """

    user_id: str
    realm: str
    org_id: str | None
    role: str
    restricted: bool
    pending_steps: tuple[str, ...] = ()
    readable_org_ids: tuple[str, ...] = ()
    login_id: str = ""
    otp_verified: bool = False
    otp_required: bool = False

    @property
    def owes_otp(self) -> bool:
        """A protected operation must wait for the OTP (ID-OTP-04, -05)."""
        return self.otp_required and not self.otp_verified


class Refusal(Enum):
    """Why a caller may not go on; each answers one problem (:meth:`problem`)."""

    NO_SESSION = "no session"
    LOGIN_INCOMPLETE = "the session must finish its login steps first"
    NOT_PERMITTED = "not a caller this operation is for"
    OTP_REQUIRED = "the organisation requires an OTP this session has not entered"
    IDENTITY_UNAVAILABLE = "identity did not answer"

    def problem(self) -> Problem:
        """The answer: the same for every caller refused for one reason, whatever was asked.

        An incomplete login is told to change its password: that is the one pending step
        identity has today (ID-LOGIN-01 step 7).
        """
        return Problem(_PROBLEMS[self])


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
            raise found.problem()
        refusal = rule(found)
        if refusal is not None:
            raise refusal.problem()
        return found

    async def close(self) -> None:
        await self.client.aclose()
