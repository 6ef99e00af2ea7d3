"""Who is calling: the session credential, read the same way by every service (X-12, X-15).

A caller proves who they are with the opaque session token identity issued at login, sent as
``Authorization: Bearer …`` (the gateway, other services, curl) or as the ``__Host-session``
cookie (browsers). This module is the one place that reads it from a request, in three ways
named for what each is for:

- :func:`session_token` (and :func:`request_session_token` outside FastAPI's dependencies):
  an API's credential, bearer or cookie, required, with the CSRF header rule for the cookie;
- :func:`browser_session_token`: the browser's session cookie, or none (pages never take a
  bearer; a new login replaces the session it names);
- :func:`presented_session_token`: whatever session a request carries, or none, never refused
  (a mailed link, whose body carries its own secret, asks only which login it belongs to).

It also writes the cookies a login leaves (:func:`login_cookies`). Identity uses the token as
is; every other service asks identity's introspection (ID-SESS-02) whom it belongs to, through
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
    "REMEMBER_ID_COOKIE",
    "SESSION_COOKIE",
    "Caller",
    "Introspection",
    "Refusal",
    "browser_cookie_name",
    "browser_session_token",
    "forget_cookie",
    "is_provisioning_token",
    "login_cookies",
    "matches_secret",
    "presented_session_token",
    "refused",
    "request_session_token",
    "session_token",
    "set_host_cookie",
]

SESSION_COOKIE = "__Host-session"
CSRF_HEADER = "X-CSRF-Protection"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REMEMBER_ID_COOKIE = "__Host-remember-id"
REMEMBER_SECONDS = 365 * 24 * 3600
"""A remembered login ID is kept a year (ID-LOGIN-03); every login that ticks the box renews it."""
BROWSER_SECONDS = 400 * 24 * 3600
"""Browsers keep a cookie at most 400 days; the binding is renewed by every completed login."""

#: What a session token can look like: identity's are 43 URL-safe characters. Anything else
#: (control or non-ASCII characters, kilobytes) is no session, and is never sent on to identity.
_PLAUSIBLE_TOKEN = re.compile(r"[\x21-\x7e]{1,512}")


async def session_token(
    request: Request,
    session_cookie: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> str:
    """An API's credential: the session token from a bearer header or the cookie;
    ``SESSION_EXPIRED`` without one. The parameters declare the two in OpenAPI.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in a worker
    thread, a hop that costs introspection a tenth of its throughput.
    """
    return _required(request.method, request.headers, session_cookie, authorization)


def request_session_token(request: Request) -> str:
    """:func:`session_token` for a route answered outside FastAPI's dependency solving
    (identity's introspection and decision API: one dependency less per request)."""
    headers = request.headers
    return _required(
        request.method, headers, request.cookies.get(SESSION_COOKIE), headers.get("authorization")
    )


def _required(
    method: str, headers: Mapping[str, str], session_cookie: str | None, authorization: str | None
) -> str:
    """The rule both read by. A state-changing request that authenticates with the cookie must
    also carry the custom ``X-CSRF-Protection`` header (X-12): a cross-site form cannot set it,
    and cross-site scripts cannot send it without a CORS preflight that no service grants. A
    bearer header is never sent by a browser on its own, so it needs no such proof.
    """
    bearer = _bearer(authorization)
    if bearer is not None:
        return bearer
    if session_cookie:
        if method not in SAFE_METHODS and CSRF_HEADER.lower() not in headers:
            raise Problem(ProblemCode.CSRF_CHECK_FAILED)
        return session_cookie
    raise Problem(ProblemCode.SESSION_EXPIRED)


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def browser_session_token(request: Request) -> str | None:
    """The session a browser holds in its cookie, or ``None``: what a page reads (pages never
    take a bearer, and their forms prove their origin with the page's CSRF token, ``webkit.csrf``)
    and what a new login replaces."""
    return request.cookies.get(SESSION_COOKIE)


def presented_session_token(request: Request) -> str | None:
    """Whatever session a request carries (bearer or cookie), or ``None``; never refused.

    For following a mailed link, which works only from the pending login's own browser: no
    CSRF header is asked for, since the body carries the link's secret token and the cookie is
    SameSite=Lax, so a cross-site form can neither know nor send them."""
    bearer = _bearer(request.headers.get("authorization"))
    return bearer if bearer is not None else request.cookies.get(SESSION_COOKIE)


def matches_secret(token: str, expected: SecretStr) -> bool:
    """``token`` is the configured secret, compared in constant time so that the answer's timing
    tells nothing of it (X-02); an empty setting matches nothing (the caller it names does not
    exist in this deployment)."""
    secret = expected.get_secret_value()
    return bool(secret) and hmac.compare_digest(token.encode(), secret.encode())


def is_provisioning_token(token: str, expected: SecretStr) -> bool:
    """The back office's bearer token (an empty setting: there is no back office)."""
    return matches_secret(token, expected)


def set_host_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """A ``__Host-`` cookie: Secure, Path=/, no Domain (X-12), HttpOnly and SameSite=Lax; how
    every cookie a login sets (the session, the remembered ID, the browser binding) is written.
    ``max_age=None``: a session cookie, gone when the browser closes."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )


def forget_cookie(response: Response, name: str = SESSION_COOKIE) -> None:
    """The browser forgets a ``__Host-`` cookie (by default its session: a logout, a lock)."""
    response.delete_cookie(name, path="/", secure=True, httponly=True)


def browser_cookie_name(realm: str) -> str:
    """One browser binding per realm and browser profile (ID-BIND-01, seed 000 A⑤): a second ID
    of the realm on the same profile replaces the first one's, as the seed warns."""
    return f"__Host-browser-{realm}"


def login_cookies(
    response: Response,
    session_token: str,
    *,
    realm: str = "",
    browser: str | None = None,
    remember: bool | None = None,
    login_id: str = "",
) -> None:
    """The cookies a login leaves, written in one place: the session, always (a login, its last
    step, or a session rotated by a change or an OTP); the realm's ``browser`` binding when
    there is one to keep, renewed for another 400 days; and, where the login form was sent,
    ``remember`` says whether its ``login_id`` is kept for the next login (ID-LOGIN-03: the
    last ID wins, unticked forgets it). ``remember=None`` leaves the remembered ID as it is."""
    set_host_cookie(response, SESSION_COOKIE, session_token)
    if browser is not None:
        if not realm:
            raise ValueError("a browser binding belongs to a realm")
        set_host_cookie(response, browser_cookie_name(realm), browser, BROWSER_SECONDS)
    if remember:
        set_host_cookie(response, REMEMBER_ID_COOKIE, login_id.strip(), REMEMBER_SECONDS)
    elif remember is not None:
        forget_cookie(response, REMEMBER_ID_COOKIE)


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
