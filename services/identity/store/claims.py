"""Claims that make a command all-or-nothing: unique login IDs, and mailed links' tokens.

A command that creates a user claims the login ID first (a unique fact, X-13), then commits;
the claim is *settled* once the user it names exists with that ID. A claim left unsettled by a
crash or a refusal is freed by the claim reaper (``usecases.upkeep``) once it is older than a
grace period, so no ID and no slot of an organisation's limit leaks (X-14).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from servicekit.clock import Clock
from servicekit.store import UniqueFacts
from services.identity.domain.users import login_id_fact


@dataclass(frozen=True)
class LoginIdClaim:
    realm: str
    login_id: str
    owner: str
    """The user id the login ID is for."""
    org_id: str | None
    """The organisation whose slot a business user's creation reserved, if any."""


class LoginIds:
    """Login IDs, unique within a realm (ID-USER-02), each owned by one user id."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], clock: Clock) -> None:
        self.facts = UniqueFacts(db, "login_ids", clock)

    async def claim(self, realm: str, login_id: str, owner: str, org_id: str | None) -> bool:
        return await self.facts.claim(
            login_id_fact(realm, login_id),
            owner,
            realm=realm,
            login_id=login_id,
            org_id=org_id,
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
        return [
            LoginIdClaim(doc["realm"], doc["login_id"], doc["owner"], doc.get("org_id"))
            async for doc in found
        ]

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
            yield LoginIdClaim(doc["realm"], doc["login_id"], doc["owner"], doc.get("org_id"))


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
