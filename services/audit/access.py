"""Who may export an organisation's access history (AU-03, ID-PERM-02).

Until identity offers its authorisation API (ID-PERM-03), audit asks identity's session
introspection (ID-SESS-02) who the caller is, over HTTP: services never import each other.
The rule itself is pure: the organisation's admin, or a support operator of the realm for any
organisation. Everyone else, and an admin asking for another organisation, gets the same
FORBIDDEN whether or not that organisation exists, so the answer tells nothing about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import httpx


@dataclass(frozen=True)
class Caller:
    """The session's user as identity's introspection answers it.

    ``restricted``: the login is not complete yet (a forced password change or another of
    ID-LOGIN-01's pending steps), so the session may do nothing else.
    """

    user_id: str
    realm: str
    org_id: str | None
    role: str
    restricted: bool


class Refusal(Enum):
    NO_SESSION = "no session"
    MUST_CHANGE_PASSWORD = "the session may only change the password"  # noqa: S105
    NOT_PERMITTED = "not the organisation's admin nor support"
    IDENTITY_UNAVAILABLE = "identity did not answer"


def may_export(caller: Caller, realm: str, org_id: str) -> Refusal | None:
    """AU-03: the organisation's admin; support for any organisation of its realm."""
    if caller.restricted:
        return Refusal.MUST_CHANGE_PASSWORD
    if caller.realm != realm:
        return Refusal.NOT_PERMITTED
    if caller.role == "support" or (caller.role == "admin" and caller.org_id == org_id):
        return None
    return Refusal.NOT_PERMITTED


class Introspection:
    """Identity's ``GET /v1/sessions/current``, asked with the caller's own session token."""

    def __init__(self, identity_url: str, timeout: float = 5.0) -> None:
        self.client = httpx.AsyncClient(base_url=identity_url, timeout=timeout)

    async def caller(self, token: str) -> Caller | Refusal:
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
        body = answer.json()
        return Caller(
            user_id=str(body["user_id"]),
            realm=str(body["realm"]),
            org_id=body.get("org_id"),
            role=str(body["role"]),
            restricted=bool(body.get("restricted")) or bool(body.get("pending_steps")),
        )

    async def close(self) -> None:
        await self.client.aclose()
