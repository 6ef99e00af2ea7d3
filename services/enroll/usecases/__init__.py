"""Enroll's use cases: load, decide, commit, one class per area of the portal. :class:`Enroll`
holds them all; ``app.py`` builds it once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.enroll.usecases.checkup import Checkup
from services.enroll.usecases.context import Context
from services.enroll.usecases.eligibility import Eligibility
from services.enroll.usecases.imports import RosterImportJobs
from services.enroll.usecases.rosters import RosterImports
from services.enroll.usecases.signup_drafts import SignupDrafts
from services.enroll.usecases.signups import Signups
from services.enroll.usecases.upkeep import Upkeep
from services.enroll.usecases.uploads import RosterUploads


@dataclass(frozen=True)
class Enroll:
    context: Context
    signups: Signups
    drafts: SignupDrafts
    eligibility: Eligibility
    rosters: RosterImports
    uploads: RosterUploads
    imports: RosterImportJobs
    checkup: Checkup
    upkeep: Upkeep

    @classmethod
    def of(cls, context: Context, claim_grace: timedelta, roster_ttl: float = 5.0) -> Enroll:
        eligibility = Eligibility(context, roster_ttl)
        rosters = RosterImports(context)
        uploads = RosterUploads(context)
        imports = RosterImportJobs(context, rosters, uploads)
        return cls(
            context=context,
            signups=Signups(context),
            drafts=SignupDrafts(context),
            eligibility=eligibility,
            rosters=rosters,
            uploads=uploads,
            imports=imports,
            checkup=Checkup(context),
            upkeep=Upkeep(context, eligibility, rosters, claim_grace, imports, uploads),
        )
