"""Who is asking, and whether audit's rules let them (``domain/authz``): the one place the
routes and pages learn who a caller is.

Identity answers who the session is (introspection, ID-SESS-02); the rules are asked before
anything is looked up, so that a stranger, a caller of another realm or organisation, and one
naming an organisation or realm that does not exist all get the same answer (X-15).
"""

from __future__ import annotations

from domainkit.callers import Caller, Refusal
from servicekit.credentials import Introspection
from servicekit.problems import Problem, ProblemCode
from services.audit.domain import authz


class Access:
    def __init__(self, introspection: Introspection) -> None:
        self.introspection = introspection

    async def exporter(self, token: str, realm: str, org_id: str) -> Caller:
        """The organisation's admin, or its realm's support desk (AU-03); anyone else is
        answered the refusal's problem. A caller who passes is of that realm, so a realm audit
        keeps no history of can only be one identity has and audit does not know yet."""
        caller = await self.introspection.authorise(
            token, lambda caller: authz.may_export(caller, realm, org_id)
        )
        if not authz.keeps_history_of(realm):
            raise Problem(ProblemCode.REALM_NOT_FOUND, detail=f"realm {realm!r}")
        return caller

    async def page_reader(
        self, token: str | None, realm: str, org: str
    ) -> tuple[str, Caller] | Refusal:
        """The organisation whose history a page's browser reads, with who it is: an admin's
        own, or the one support names (``org``)."""
        caller = await self._caller(token)
        if isinstance(caller, Refusal):
            return caller
        found = authz.org_read_by(caller, realm, org)
        return found if isinstance(found, Refusal) else (found, caller)

    async def own_reader(self, token: str | None, realm: str) -> Caller | Refusal:
        """The session's user, reading its own history (AU-07); whom it reads is the session's
        own user, never one the request names."""
        caller = await self._caller(token)
        if isinstance(caller, Refusal):
            return caller
        return authz.may_read_own(caller, realm) or caller

    async def watcher(self, token: str | None, realm: str) -> Caller | Refusal:
        """An operator of the realm's ops dashboard (WEB-02)."""
        caller = await self._caller(token)
        if isinstance(caller, Refusal):
            return caller
        return authz.may_watch(caller, realm) or caller

    async def close(self) -> None:
        await self.introspection.close()

    async def _caller(self, token: str | None) -> Caller | Refusal:
        """The page's session (its cookie's token), as identity answers it."""
        if not token:
            return Refusal.NO_SESSION
        return await self.introspection.caller(token)
