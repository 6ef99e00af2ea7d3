"""Opening and reading organisations (団体/法人, ID-USER-01)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from contracts import Actor, ActorKind
from contracts.common import Role, UserProfile
from servicekit.logs import get_logger
from servicekit.repository import Decided
from services.identity.domain import authz, inputs
from services.identity.domain.organisations import (
    Organisation,
    admin_user_id,
    opened_by,
    org_aggregate_id,
)
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import NotFound
from services.identity.domain.users import Charter, NewUser, User, user_aggregate_id
from services.identity.store.directory import Entry
from services.identity.usecases.context import Context, new_id

log = get_logger(__name__)

T = TypeVar("T")

#: The back-office system that opens organisations when an application is accepted.
PROVISIONING = Actor(kind=ActorKind.SERVICE, id="provisioning")


#: At most this many organisations answer one search of the support console.
SEARCH_LIMIT = 50

_ORG_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Opened:
    organisation: Organisation
    initial_password: str | None
    """The admin's initial password, only in the answer that created it (ID-PW-03)."""


class Organisations:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.store = context.store

    async def open(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        name: str,
        admin_login_id: str,
        profile: UserProfile,
        idempotency_key: str | None = None,
    ) -> Opened:
        """An organisation and its one admin, in one commit: the admin's creation opens it
        (ID-USER-01) and announces the admin with ``UserCreated``. A repeat with the same
        ``idempotency_key`` answers the same organisation, without a password."""
        authz.open_organisations(caller, realm)
        if realm.members:
            raise NotFound("このサービスの会員は個人で、団体はありません")
        login_id = inputs.login_id(realm, Role.ADMIN, admin_login_id)
        org_id = new_id(f"org:{realm.name}", idempotency_key)
        admin_id = admin_user_id(org_id)
        opened_by_whom = (
            PROVISIONING
            if isinstance(caller, authz.BackOffice)
            else Actor(kind=ActorKind.SUPPORT, id=caller.user_id)
        )
        await self.context.claim_login_id(realm, login_id, admin_id, Role.ADMIN)
        charter = Charter(name, self.context.clock.now())
        created, password = await self.context.create(
            realm,
            lambda password_hash, correlation_id: NewUser(
                realm=realm.name,
                org_id=org_id,
                user_id=admin_id,
                login_id=login_id,
                role=Role.ADMIN,
                profile=profile,
                password_hash=password_hash,
                actor=opened_by_whom,
                correlation_id=correlation_id,
                charter=charter,
            ),
        )
        org = await self.read(realm, org_id)
        await self.store.org_directory.record(_entry(org))
        log.info("organisation opened", realm=realm.name, org_id=org_id, new=created)
        return Opened(org, password if created else None)

    async def read(self, realm: RealmPolicy, org_id: str) -> Organisation:
        """The organisation as it is now: its own aggregate, or the charter it was opened with."""
        current = await self.store.organisations.get(org_aggregate_id(realm.name, org_id))
        if current is not None:
            return current
        admin = await self.store.users.get(user_aggregate_id(realm.name, admin_user_id(org_id)))
        opened = None if admin is None else opened_by(admin)
        if opened is None:
            raise NotFound()
        return opened

    async def change(
        self,
        realm: RealmPolicy,
        org_id: str,
        decide: Callable[[Organisation], Decided[Organisation, T]],
    ) -> T:
        """Decide on the organisation's latest version; its first change starts its aggregate
        from the charter (a pure fallback, so a retry decides again on the same grounds)."""
        opened = await self.read(realm, org_id)
        return await self.store.organisations.update(
            org_aggregate_id(realm.name, org_id), lambda current: decide(current or opened)
        )

    async def read_as(self, realm: RealmPolicy, caller: authz.Caller, org_id: str) -> Organisation:
        """For the back office, and for whoever may read the organisation's users."""
        authz.read_organisation(caller, realm, org_id)
        return await self.read(realm, org_id)

    async def search(self, realm: RealmPolicy, caller: authz.Caller, text: str) -> list[Entry]:
        """The support desk's search (WEB-04): an org id or an admin's login ID names one
        organisation exactly, read directly; otherwise the organisations whose name holds
        ``text``, the newest first (all of them, up to the limit, for an empty ``text``)."""
        authz.support_desk(caller, realm)
        text = text.strip()
        exact: list[Entry] = []
        named_id = await self._named_org_id(realm, text)
        if named_id is not None:
            with contextlib.suppress(NotFound):
                exact.append(_entry(await self.read(realm, named_id)))
        seen = {e.org_id for e in exact}
        named = await self.store.org_directory.search(realm.name, text, SEARCH_LIMIT)
        return (exact + [e for e in named if e.org_id not in seen])[:SEARCH_LIMIT]

    async def backfill_directory(self, realm: RealmPolicy) -> int:
        """Organisations opened before the directory existed, recorded in it (WEB-04): the
        console then finds them by name too. An operator's one-shot command, idempotent (an
        entry is replaced by the same). A realm of organisations has no individual members, so
        its login IDs outside organisations' slots are its admins and its staff: each admin
        names its organisation. Answers how many organisations it recorded."""
        if realm.members:
            return 0
        recorded = 0
        async for claim in self.store.login_ids.outside_organisations(realm.name):
            admin = await self.context.user(realm, claim.owner)
            if admin is None or admin.role is not Role.ADMIN or admin.org_id is None:
                continue
            with contextlib.suppress(NotFound):
                await self.store.org_directory.record(_entry(await self.read(realm, admin.org_id)))
                recorded += 1
        return recorded

    async def _named_org_id(self, realm: RealmPolicy, text: str) -> str | None:
        """The organisation ``text`` names exactly: its id, or its admin's login ID."""
        if _ORG_ID.match(text):
            return text
        if not text or not inputs.is_half_width(text):
            return None
        owner = await self.store.login_ids.owner_of(realm.name, text)
        user = None if owner is None else await self.context.user(realm, owner)
        if user is None or user.role is not Role.ADMIN:
            return None
        return user.org_id

    async def with_admin(
        self, realm: RealmPolicy, caller: authz.Caller, org_id: str
    ) -> tuple[Organisation, User]:
        """One organisation and its admin as the support desk opens it (WEB-04)."""
        authz.support_desk(caller, realm)
        org = await self.read(realm, org_id)
        admin = await self.context.user(realm, org.admin_user_id)
        if admin is None:
            raise NotFound()
        return org, admin


def _entry(org: Organisation) -> Entry:
    """The organisation as the directory lists it."""
    return Entry(org.realm, org.org_id, org.name, org.admin_login_id, org.created_at)
