"""Enroll's upkeep (X-14): what runs on a timer, by the injected clock.

- Sign-ups that never reached eligibility are forgotten after their last possible use
  (``SignupPolicy.longest_life``): strangers' sign-ups do not stay.
- Claims of a person or an address that a crash left unsettled are kept for an eligible
  sign-up and freed otherwise (after ``claim_grace``, far longer than any request).
- Roster collections that no union's roster names are dropped (``RosterImports``).
- The console's import jobs go a week after their last word (``RosterImportJobs``), and its
  uploads nobody confirmed an hour after they came (``RosterUploads``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from servicekit.logs import get_logger
from services.enroll.domain.signups import Status
from services.enroll.store import signup_aggregate_id
from services.enroll.usecases.context import Context
from services.enroll.usecases.eligibility import Eligibility
from services.enroll.usecases.imports import RosterImportJobs
from services.enroll.usecases.rosters import RosterImports
from services.enroll.usecases.uploads import RosterUploads

log = get_logger(__name__)


@dataclass(frozen=True)
class Purged:
    signups: int
    claims: int
    rosters: int
    import_jobs: int = 0
    uploads: int = 0


class Upkeep:
    def __init__(
        self,
        context: Context,
        eligibility: Eligibility,
        rosters: RosterImports,
        claim_grace: timedelta,
        imports: RosterImportJobs | None = None,
        uploads: RosterUploads | None = None,
    ) -> None:
        self.context = context
        self.store = context.store
        self.eligibility = eligibility
        self.rosters = rosters
        self.claim_grace = claim_grace
        self.imports = imports
        self.uploads = uploads

    async def run_once(self) -> Purged:
        purged = Purged(
            signups=await self.forget_signups(),
            claims=await self.eligibility.reap_claims(self.claim_grace),
            rosters=await self.rosters.drop_unused(),
            import_jobs=await self.imports.purge() if self.imports is not None else 0,
            uploads=await self.uploads.purge() if self.uploads is not None else 0,
        )
        if purged != Purged(0, 0, 0):
            log.info("enroll upkeep", **purged.__dict__)
        return purged

    async def forget_signups(self) -> int:
        forgotten = 0
        for signup_id in await self.store.expired(self.context.clock.now()):
            found = await self.store.signups.get(signup_aggregate_id(signup_id))
            if found is not None and found.status in (Status.REGISTERING, Status.REGISTERED):
                await self.store.kept(signup_id)  # the member's (or soon): kept
                continue
            forgotten += await self.store.forget(signup_id)
        return forgotten
