"""Identity's upkeep (X-14, ID-SESS-01): what runs on a timer or from identity's own events.

- Sessions past their lifetime or idle timeout, and link tokens past their link's lifetime,
  are purged: nobody can use them any more.
- The claim reaper frees login IDs (and organisation slots) claimed by a command that never
  committed its user: a crash, or a refusal that came after the claim. A claim is only looked
  at once it is older than ``claim_grace``, far longer than any request.
- The session reaper ends every session begun before an event that ends them (a deactivation,
  a password set by an admin or support). The use case ends them at once after its commit;
  the reaper, run by the outbox relay on the commit's own event before its marker goes, makes
  that certain whatever crashes in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from contracts import parse_event
from servicekit.logs import get_logger
from servicekit.store import StoredEvent
from services.identity.domain import credentials, organisations
from services.identity.domain.realms import realm_policy
from services.identity.domain.refusals import NotFound
from services.identity.domain.users import user_aggregate_id
from services.identity.store.claims import LoginIdClaim
from services.identity.usecases.context import Context
from services.identity.usecases.organisations import Organisations

log = get_logger(__name__)


@dataclass(frozen=True)
class Purged:
    sessions: int
    link_tokens: int
    claims: int


class Upkeep:
    def __init__(
        self, context: Context, organisations: Organisations, claim_grace: timedelta
    ) -> None:
        self.context = context
        self.store = context.store
        self.organisations = organisations
        self.claim_grace = claim_grace

    async def run_once(self) -> Purged:
        now = self.context.clock.now()
        purged = Purged(
            sessions=await self.store.sessions.purge_ended(now),
            link_tokens=await self.store.link_tokens.purge_expired(now),
            claims=await self.reap_claims(),
        )
        if purged != Purged(0, 0, 0):
            log.info("identity upkeep", **purged.__dict__)
        return purged

    async def reap_claims(self) -> int:
        """Free the login IDs (and slots) of creations that never finished; answers how many."""
        cutoff = self.context.clock.now() - self.claim_grace
        freed = 0
        async for claim in self.store.login_ids.unsettled(cutoff):
            if await self._live(claim):
                await self.store.login_ids.settle(claim.realm, claim.login_id, claim.owner)
                continue
            await self._free_slot(claim)
            await self.store.login_ids.release(claim.realm, claim.login_id, claim.owner)
            freed += 1
        return freed

    async def _live(self, claim: LoginIdClaim) -> bool:
        """A claim is live when its user exists with that ID, or a request holds it."""
        realm = realm_policy(claim.realm)
        if realm is None:
            return False
        user = await self.context.user(realm, claim.owner)
        if user is not None:
            return user.login_id == claim.login_id
        if claim.org_id is None:
            return False
        try:
            org = await self.organisations.read(realm, claim.org_id)
        except NotFound:
            return False
        request = org.request_for(claim.owner)
        return request is not None and request.login_id == claim.login_id

    async def _free_slot(self, claim: LoginIdClaim) -> None:
        realm = realm_policy(claim.realm)
        if realm is None or claim.org_id is None:
            return
        if await self.context.user(realm, claim.owner) is not None:
            return  # a user who renamed: no slot was held for this claim
        try:
            await self.organisations.change(
                realm, claim.org_id, partial(organisations.free_slot, user_id=claim.owner)
            )
        except NotFound:
            return

    async def end_sessions(self, published: Sequence[StoredEvent]) -> None:
        """The session reaper, run by the outbox relay on what it publishes: every session
        begun before an event that ends them ends (ID-SESS-01, -03; ``credentials``). Only
        the few types that can are read, so the relay of every login pays nothing for it."""
        for stored in published:
            if stored.type not in credentials.SESSION_ENDING_TYPES:
                continue
            event = parse_event(stored.json)
            ends = None if event is None else credentials.sessions_ended_by(event)
            if event is None or ends is None:
                continue
            user = await self.store.users.get(user_aggregate_id(event.realm, event.subject_id))
            if user is not None:  # its latest version lists every session (decision 0020)
                await self.store.sessions.end_all(
                    event.subject_id, user.sessions, event.occurred_at, keep_ref=ends.kept_ref
                )
