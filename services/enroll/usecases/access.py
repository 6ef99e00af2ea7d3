"""Who is calling enroll, and whether its rules let them (``domain/authz``): the one place the
API and the pages learn who a caller is.

Members and kencom's support desk are asked of identity (introspection, ID-SESS-02: the
session's bearer header or cookie) and let through by ``authz``; the back office by its
provisioning token, compared in constant time. Each is answered before anything is looked up,
the same whether or not the thing asked for exists (X-15).
"""

from __future__ import annotations

from pydantic import SecretStr

from domainkit.callers import Caller, Refusal
from servicekit.credentials import Introspection, is_provisioning_token
from services.enroll.domain import authz

BACK_OFFICE = "back-office"


class Access:
    def __init__(self, introspection: Introspection, provisioning_token: SecretStr) -> None:
        self.introspection = introspection
        self.provisioning_token = provisioning_token

    async def member(self, token: str) -> Caller:
        """A kencom member with a complete login: their own checkup gate (refused otherwise
        with the refusal's problem)."""
        return await self.introspection.authorise(token, authz.member)

    async def support(self, token: str) -> Caller:
        """kencom's support desk (サポートデスク): it reissues codes (seed 003 A4)."""
        return await self.introspection.authorise(token, authz.support)

    async def roster_importer(self, token: str) -> str:
        """The back office (its token) or kencom's support desk imports rosters: who did."""
        if is_provisioning_token(token, self.provisioning_token):
            return BACK_OFFICE
        return (await self.support(token)).user_id

    async def page_member(self, token: str | None) -> Caller | Refusal:
        """The page's kencom member, or why not: a page answers a refusal with a page."""
        if not token:
            return Refusal.NO_SESSION
        found = await self.introspection.caller(token)
        if isinstance(found, Refusal):
            return found
        return authz.member(found) or found

    async def page_support(self, token: str | None) -> Caller | Refusal:
        """The console page's kencom support operator (WEB-04), or why not: a page answers a
        refusal with a page, the same whatever the page would have shown (X-15)."""
        if not token:
            return Refusal.NO_SESSION
        found = await self.introspection.caller(token)
        if isinstance(found, Refusal):
            return found
        return authz.support(found) or found

    async def close(self) -> None:
        await self.introspection.close()
