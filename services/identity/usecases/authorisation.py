"""The decision API's use case (ID-PERM-03, ID-OTP-04): a session, an action and the resource's
attributes in; allow or deny, with the reason and the rule that decided, out.

It answers for the session as it is now: alive (timeouts by the service's clock), with its
user's matrix and its organisation's OTP switch (``Policies``). The session itself may be one
read within the store's ``recent_for`` (see ``store.sessions``), so that a decision costs no
database round trip in the usual case.
"""

from __future__ import annotations

from services.identity.domain import permissions
from services.identity.domain.permissions import Resource, Verdict
from services.identity.usecases.context import Context
from services.identity.usecases.policies import Policies


class Authorisation:
    def __init__(self, context: Context, policies: Policies) -> None:
        self.context = context
        self.store = context.store
        self.policies = policies

    async def decide(
        self, token: str, action: str, resource: Resource, protected: bool
    ) -> Verdict | None:
        """The verdict for the session behind ``token``; ``None``: no such session alive."""
        found = await self.store.sessions.find_recent(token)
        if found is None or found.expired(self.context.clock.now()):
            return None
        session = await self.policies.resolve(found)
        return permissions.decide(session, action, resource, protected)
