"""The realm's own IDs outside any organisation, as the support console lists them (WEB-04):
its support operators (ID-USER-04) and nexi's group-wide read-only IDs (ID-USER-09).

Users are versioned aggregates read by id, so a list by role is read from the login IDs'
claims, which record the role of the user each is for (``store.claims``): one indexed query on
``(realm, role, claimed_at)``, then one read of each listed user, never a read of the realm's
members. A list is bounded (:data:`LIST_LIMIT`, the newest first) and says when more exist.

Claims made before the role was recorded get it once from their user, by
:meth:`Staff.record_old_claims_roles` (``python -m services.identity backfill-claim-roles``);
until that has run, staff created before the change are missing from the lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.common import Role
from services.identity.domain import authz
from services.identity.domain.realms import RealmPolicy, realm_policy
from services.identity.domain.refusals import NotFound, NotPermitted
from services.identity.domain.users import User, user_aggregate_id
from services.identity.store.claims import LoginIdClaim
from services.identity.usecases.context import Context
from services.identity.usecases.organisations import Organisations

#: The most IDs one list shows: a realm's staff are a handful; past this the desk is told so.
LIST_LIMIT = 100


@dataclass(frozen=True)
class Readable:
    """An organisation a group-wide reader reads: its id, and its name where it is found."""

    org_id: str
    name: str | None


@dataclass(frozen=True)
class StaffId:
    """One listed ID: its login ID, when it was created, its last login, its lock, and for a
    group-wide reader the organisations it reads."""

    user_id: str
    login_id: str
    created_at: datetime | None
    """When its login ID was claimed, a moment before the user's commit."""
    last_login_at: datetime | None
    locked: bool
    readable: tuple[Readable, ...] = ()


@dataclass(frozen=True)
class StaffList:
    ids: list[StaffId]
    more: bool
    """More exist than the list shows (:data:`LIST_LIMIT`)."""


@dataclass(frozen=True)
class Backfilled:
    recorded: int
    """Claims that got their role now."""
    skipped: int
    """Claims whose user does not exist (yet): a creation in flight, or one the claim reaper
    will free; a later run records them."""
    left: int
    """Claims still without a role after this run."""


class Staff:
    def __init__(self, context: Context, organisations: Organisations) -> None:
        self.context = context
        self.store = context.store
        self.organisations = organisations

    async def support_operators(self, realm: RealmPolicy, caller: authz.Caller) -> StaffList:
        """The realm's support operators, the newest first; its support desk only (X-15)."""
        authz.support_desk(caller, realm)
        found, more = await self._of_role(realm, Role.SUPPORT)
        return StaffList([_listed(claim, user) for claim, user in found], more)

    async def group_readers(self, realm: RealmPolicy, caller: authz.Caller) -> StaffList:
        """The realm's group-wide readers and the organisations each reads, the newest
        first; its support desk only, where the realm has them (ID-USER-09)."""
        if not realm.group_readers:
            raise NotPermitted()
        authz.support_desk(caller, realm)
        found, more = await self._of_role(realm, Role.GROUP_READER)
        names: dict[str, str | None] = {}
        ids = []
        for claim, user in found:
            for org_id in user.readable_org_ids:
                if org_id not in names:
                    names[org_id] = await self._name_of(realm, org_id)
            readable = tuple(Readable(org_id, names[org_id]) for org_id in user.readable_org_ids)
            ids.append(_listed(claim, user, readable))
        return StaffList(ids, more)

    async def _of_role(
        self, realm: RealmPolicy, role: Role
    ) -> tuple[list[tuple[LoginIdClaim, User]], bool]:
        """The claims of ``role`` and their users (one read each), and whether more exist."""
        claims = await self.store.login_ids.of_role(realm.name, role, LIST_LIMIT + 1)
        found = []
        for claim in claims[:LIST_LIMIT]:
            user = await self.context.user(realm, claim.owner)
            if user is not None and user.role is role and user.login_id == claim.login_id:
                found.append((claim, user))
        return found, len(claims) > LIST_LIMIT

    async def _name_of(self, realm: RealmPolicy, org_id: str) -> str | None:
        try:
            return (await self.organisations.read(realm, org_id)).name
        except NotFound:
            return None

    async def record_old_claims_roles(self, limit: int) -> Backfilled:
        """Record on up to ``limit`` claims made before roles were recorded the role of the
        user each is for (one read each). Idempotent: a claim with a role is never touched,
        so the command may be run again, until ``left`` is 0. A claim without its user yet
        is a business ID request's when it holds an organisation's slot (the request's user
        is created on approval), else skipped."""
        recorded = skipped = 0
        for claim in await self.store.login_ids.without_role(limit):
            role = await self._role_of(claim)
            if role is None:
                skipped += 1
            elif await self.store.login_ids.record_role(
                claim.realm, claim.login_id, claim.owner, role
            ):
                recorded += 1
        return Backfilled(recorded, skipped, await self.store.login_ids.count_without_role())

    async def _role_of(self, claim: LoginIdClaim) -> Role | None:
        if realm_policy(claim.realm) is None:
            return None
        user = await self.store.users.get(user_aggregate_id(claim.realm, claim.owner))
        if user is not None:
            return user.role
        return Role.BUSINESS if claim.org_id is not None else None


def _listed(claim: LoginIdClaim, user: User, readable: tuple[Readable, ...] = ()) -> StaffId:
    return StaffId(
        user.user_id, user.login_id, claim.claimed_at, user.last_login_at, user.locked, readable
    )
