"""Claims that make a command all-or-nothing: unique login IDs, and mailed links' tokens.

A command that creates a user claims the login ID first (a unique fact, X-13), then commits;
the claim is *settled* once the user it names exists with that ID. A claim left unsettled by a
crash or a refusal is freed by the claim reaper (``usecases.upkeep``) once it is older than a
grace period, so no ID and no slot of an organisation's limit leaks (X-14).

A claim also records the role of the user it is for, so that the support console lists a
realm's support operators and group-wide readers with one indexed query on
``(realm, role, claimed_at)`` instead of reading every user of the realm. Claims made before the
role was recorded get it from their user once, by ``python -m services.identity
backfill-claim-roles`` (``usecases.staff``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from contracts.common import Role
from servicekit.clock import Clock
from servicekit.facts import UniqueFacts
from services.identity.domain.users import login_id_fact


@dataclass(frozen=True)
class LoginIdClaim:
    realm: str
    login_id: str
    owner: str
    """The user id the login ID is for."""
    org_id: str | None
    """The organisation whose slot a business user's creation reserved, if any."""
    role: Role | None = None
    """The role of the user it is for; None on a claim made before roles were recorded."""
    claimed_at: datetime | None = None


def _claim_of(doc: dict[str, Any]) -> LoginIdClaim:
    role = doc.get("role")
    return LoginIdClaim(
        doc["realm"],
        doc["login_id"],
        doc["owner"],
        doc.get("org_id"),
        Role(role) if role else None,
        doc.get("claimed_at"),
    )


class LoginIds:
    """Login IDs, unique within a realm (ID-USER-02), each owned by one user id."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], clock: Clock) -> None:
        self.facts = UniqueFacts(db, "login_ids", clock)

    async def create_indexes(self) -> None:
        """The console's lists of a realm's staff by role, the newest first."""
        await self.facts.collection.create_index([("realm", 1), ("role", 1), ("claimed_at", -1)])

    async def claim(
        self, realm: str, login_id: str, owner: str, org_id: str | None, role: Role
    ) -> bool:
        return await self.facts.claim(
            login_id_fact(realm, login_id),
            owner,
            realm=realm,
            login_id=login_id,
            org_id=org_id,
            role=role.value,
            settled=False,
        )

    async def settle(self, realm: str, login_id: str, owner: str) -> None:
        """The owner exists with this ID now: the reaper need not look at it again."""
        await self.facts.collection.update_one(
            {"_id": login_id_fact(realm, login_id), "owner": owner}, {"$set": {"settled": True}}
        )

    async def release(self, realm: str, login_id: str, owner: str) -> None:
        await self.facts.release(login_id_fact(realm, login_id), owner)

    async def owner_of(self, realm: str, login_id: str) -> str | None:
        return await self.facts.owner_of(login_id_fact(realm, login_id))

    async def unsettle(self, realm: str, login_id: str, owner: str) -> None:
        """Hand the claim back to the reaper before a change that may free it (a refused ID
        request): a crash after that change leaves a claim the reaper finds dead and frees,
        and one before it a claim the reaper finds live and settles again."""
        await self.facts.collection.update_one(
            {"_id": login_id_fact(realm, login_id), "owner": owner}, {"$set": {"settled": False}}
        )

    async def organisations_holding_ids(self, realm: str) -> set[str]:
        """The organisations of ``realm`` whose business users or ID requests hold a login ID:
        where the support desk looks for requests waiting (ID-USER-10). A scan of the realm's
        claims, for a support page, never for a login."""
        query = {"realm": realm, "org_id": {"$ne": None}}
        return {doc["org_id"] async for doc in self.facts.collection.find(query, {"org_id": 1})}

    async def matching(self, realm: str, text: str, limit: int) -> list[LoginIdClaim]:
        """Up to ``limit`` settled claims of ``realm`` outside organisations whose login ID
        contains ``text`` (ignoring case), in login-ID order: the support desk's search of
        individual members (ID-USER-03). A scan of the realm's claims, for a support page."""
        query: dict[str, Any] = {"realm": realm, "org_id": None, "settled": True}
        if text:
            query["login_id"] = {"$regex": re.escape(text), "$options": "i"}
        found = self.facts.collection.find(query).sort("login_id", 1).limit(limit)
        return [_claim_of(doc) async for doc in found]

    async def of_role(self, realm: str, role: Role, limit: int) -> list[LoginIdClaim]:
        """Up to ``limit`` settled claims of ``realm`` for users of ``role``, the newest first
        (then by login ID): the support console's lists of the realm's staff (WEB-04). One
        indexed query, whatever the number of the realm's members."""
        query = {"realm": realm, "role": role.value, "settled": True}
        order = [("claimed_at", -1), ("login_id", 1)]
        found = self.facts.collection.find(query).sort(order).limit(limit)
        return [_claim_of(doc) async for doc in found]

    async def without_role(self, limit: int) -> list[LoginIdClaim]:
        """Up to ``limit`` claims made before roles were recorded; a scan, for the one-shot
        backfill only."""
        found = self.facts.collection.find({"role": {"$exists": False}}).limit(limit)
        return [_claim_of(doc) async for doc in found]

    async def count_without_role(self) -> int:
        return await self.facts.collection.count_documents({"role": {"$exists": False}})

    async def record_role(self, realm: str, login_id: str, owner: str, role: Role) -> bool:
        """The role of an older claim, read from its user; a claim that has one keeps it."""
        done = await self.facts.collection.update_one(
            {"_id": login_id_fact(realm, login_id), "owner": owner, "role": {"$exists": False}},
            {"$set": {"role": role.value}},
        )
        return done.modified_count == 1

    async def outside_organisations(
        self, realm: str, batch: int = 1_000
    ) -> AsyncIterator[LoginIdClaim]:
        """Every settled claim of ``realm`` outside organisations' business slots (admins,
        members, staff), paged by ``_id`` so memory stays bounded (X-14): for a one-shot
        backfill, never for a request (a scan on FerretDB)."""
        after: str | None = None
        while True:
            query: dict[str, Any] = {"realm": realm, "org_id": None, "settled": True}
            if after is not None:
                query["_id"] = {"$gt": after}
            page = await self.facts.collection.find(query).sort("_id", 1).limit(batch).to_list()
            for doc in page:
                yield LoginIdClaim(doc["realm"], doc["login_id"], doc["owner"], None)
            if len(page) < batch:
                return
            after = str(page[-1]["_id"])

    async def unsettled(self, claimed_before: datetime) -> AsyncIterator[LoginIdClaim]:
        """Claims nobody settled, older than ``claimed_before``; a scan, for a periodic job."""
        query = {"settled": {"$ne": True}, "claimed_at": {"$lt": claimed_before}}
        async for doc in self.facts.collection.find(query):
            yield _claim_of(doc)


class LinkTokens:
    """Which user a mailed link's token belongs to, by the token's SHA-256, until it expires."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], clock: Clock) -> None:
        self.facts = UniqueFacts(db, "link_tokens", clock)

    async def claim(self, fact: str, owner: str, expires_at: datetime) -> bool:
        return await self.facts.claim(fact, owner, expires_at=expires_at)

    async def owner_of(self, fact: str) -> str | None:
        return await self.facts.owner_of(fact)

    async def purge_expired(self, now: datetime) -> int:
        """Tokens past their link's lifetime can never be used (X-14)."""
        result = await self.facts.collection.delete_many({"expires_at": {"$lte": now}})
        return result.deleted_count
