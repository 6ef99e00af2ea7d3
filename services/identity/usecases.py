"""Identity use cases: load, decide, commit, one function per command."""

from __future__ import annotations

import uuid

from contracts import Actor, ActorKind
from contracts.common import UserProfile
from servicekit.clock import Clock
from servicekit.logs import current_correlation_id, get_logger
from services.identity import domain
from services.identity.store import IdentityStore

log = get_logger(__name__)

#: Namespace for ids derived from a client's Idempotency-Key, so a retried request names the
#: same organisation and admin instead of creating a second one.
_IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0d6f4e-6a53-4c47-9b51-2f7e0c1d9a11")


#: Who the foundation's organisation API acts as. Support operators' own sign-in arrives with the
#: identity issue (ID-USER-04); until then the caller is the API itself, and events say so.
_API_CALLER = Actor(kind=ActorKind.SERVICE, id="identity.api")


class LoginIdTaken(Exception):
    """Another user of the realm already has this login ID."""


class IdentityUseCases:
    def __init__(self, store: IdentityStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def create_organisation(
        self,
        realm: str,
        name: str,
        admin_login_id: str,
        admin_profile: UserProfile,
        idempotency_key: str | None = None,
    ) -> domain.Organisation:
        """Create an organisation and its admin, and announce the admin with ``UserCreated``."""
        if idempotency_key:
            seed = uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{realm}:{idempotency_key}")
            org_id, admin_user_id = seed.hex, uuid.uuid5(seed, "admin").hex
        else:
            org_id, admin_user_id = uuid.uuid4().hex, uuid.uuid4().hex
        if not await self.store.login_ids.claim(
            domain.login_id_fact(realm, admin_login_id), owner=admin_user_id, realm=realm
        ):
            raise LoginIdTaken(admin_login_id)
        cmd = domain.CreateOrganisation(
            realm=realm,
            org_id=org_id,
            name=name,
            admin_user_id=admin_user_id,
            admin_login_id=admin_login_id,
            admin_profile=admin_profile,
            actor=_API_CALLER,
            correlation_id=current_correlation_id(),
        )
        now = self.clock.now()
        org = await self.store.aggregates.update(
            domain.org_aggregate_id(realm, org_id),
            lambda current: domain.create_organisation(current, cmd, now),
        )
        log.info("organisation created", realm=realm, org_id=org.org_id)
        return org

    async def organisation(self, realm: str, org_id: str) -> domain.Organisation | None:
        loaded = await self.store.aggregates.load(domain.org_aggregate_id(realm, org_id))
        return domain.Organisation.from_state(loaded.state) if loaded.state else None
