"""The cookies identity sets: the session, remember-ID, and the browser binding (X-12)."""

from fastapi import Response

REMEMBER_ID_COOKIE = "__Host-remember-id"
BROWSER_COOKIE_MAX_AGE = 400 * 24 * 3600
"""Browsers keep a cookie at most 400 days; the binding is renewed by every completed login."""


def browser_cookie_name(realm: str) -> str:
    """One binding per realm and browser profile (seed 000 A⑤): a second ID of the realm on the
    same profile replaces the first one's, as the seed warns."""
    return f"__Host-browser-{realm}"


def set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """``__Host-`` cookies: Secure, Path=/, no Domain (X-12); HttpOnly and SameSite=Lax."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )
