"""What a session may do now: its user's permission matrix (ID-PERM-01) and whether its
organisation requires an OTP (ID-OTP-01), resolved when the session is read.

They are not copied into the session document, so an admin's change applies to sessions
already open, and introspection stays one ``_id`` read of the session: the matrix and the OTP
switch are read through a small cache of this process. A change made here forgets its entry at
once; another replica's change is seen within ``ttl`` (docs/decisions: the session trust
window). The cache holds at most ``size`` entries, each for ``ttl`` by the service's clock
(X-04, X-14).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from contracts.common import Role
from contracts.permissions import Permissions
from services.identity.domain import permissions
from services.identity.domain.realms import realm_policy
from services.identity.domain.sessions import Session
from services.identity.domain.users import user_aggregate_id
from services.identity.store.recent import Recent
from services.identity.usecases.context import Context
from services.identity.usecases.organisations import Organisations


class Policies:
    def __init__(
        self, context: Context, organisations: Organisations, ttl: timedelta, size: int = 10_000
    ) -> None:
        self.context = context
        self.organisations = organisations
        self.matrices: Recent[str, Permissions | None] = Recent(context.clock, ttl, size)
        self.otp_switches: Recent[str, bool] = Recent(context.clock, ttl, size)

    async def resolve(self, session: Session) -> Session:
        """``session`` with its matrix and its organisation's OTP switch as they are now."""
        realm = realm_policy(session.realm)
        if realm is None:
            return session
        stored = None
        if realm.permission_matrix and session.role is Role.BUSINESS:
            stored = await self._matrix(session.realm, session.user_id)
        matrix = permissions.effective(session.role, stored, realm.permission_matrix)
        required = False
        if realm.otp_step_up and session.org_id is not None:
            required = await self._otp_switch(session.realm, session.org_id)
        return replace(session, permissions=matrix, otp_required=required)

    async def _matrix(self, realm: str, user_id: str) -> Permissions | None:
        cached = self.matrices.get(user_id)
        if cached is not None:
            return cached.value
        user = await self.context.store.users.get(user_aggregate_id(realm, user_id))
        found = None if user is None else user.permissions
        self.matrices.put(user_id, found)
        return found

    async def _otp_switch(self, realm: str, org_id: str) -> bool:
        cached = self.otp_switches.get(org_id)
        if cached is not None:
            return cached.value
        policy = realm_policy(realm)
        assert policy is not None, "sessions are of known realms"
        enabled = (await self.organisations.read(policy, org_id)).otp_enabled
        self.otp_switches.put(org_id, enabled)
        return enabled

    def forget_user(self, user_id: str) -> None:
        """This process changed the user's matrix: the next read is the new one."""
        self.matrices.forget(user_id)

    def forget_organisation(self, org_id: str) -> None:
        self.otp_switches.forget(org_id)
