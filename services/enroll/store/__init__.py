"""Enroll's storage on the shared versioned store: sign-ups and checkup gates as typed
aggregates, rosters (``rosters``), and the unique facts of X-13 that make eligibility once per
person and once per address: a person's or an address's claim is an insert whose ``_id`` is it.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from servicekit.clock import Clock
from servicekit.facts import insert_new
from servicekit.repository import Repository
from servicekit.store import VersionedStore, commit_id
from services.enroll.domain.checkup import Gate
from services.enroll.domain.signups import Signup
from services.enroll.store import documents
from services.enroll.store.imports import ImportJobs
from services.enroll.store.rosters import Rosters
from services.enroll.store.uploads import PendingUploads

Document = dict[str, Any]


def signup_aggregate_id(signup_id: str) -> str:
    return f"signup:{signup_id}"


def gate_aggregate_id(user_id: str) -> str:
    return f"gate:{user_id}"


class Claims:
    """Facts owned by one sign-up: a person (EN-04, seed 003 A3 原因①) and an address (EN-01),
    claimed together, in one unordered insert, before the eligible commit; *settled* once the
    sign-up ends. A claim nobody settled (a crash between the two) is looked at by the claim
    reaper after a grace period."""

    def __init__(self, db: AsyncDatabase[Document], name: str, clock: Clock) -> None:
        self.collection = db[name]
        self.clock = clock

    async def claim(self, facts: list[str], owner: str) -> list[str]:
        """Claim every fact; answers those another owner holds (a repeat by the same owner
        holds its own)."""
        now = self.clock.now()
        docs = [{"_id": f, "owner": owner, "claimed_at": now, "settled": False} for f in facts]
        taken = []
        for i in sorted(await insert_new(self.collection, docs)):
            found = await self.collection.find_one({"_id": facts[i]})
            if found is None or found["owner"] != owner:
                taken.append(facts[i])
        return taken

    async def owner_of(self, fact: str) -> str | None:
        found = await self.collection.find_one({"_id": fact})
        return None if found is None else str(found["owner"])

    async def settle(self, fact: str, owner: str) -> None:
        await self.collection.update_one({"_id": fact, "owner": owner}, {"$set": {"settled": True}})

    async def release(self, fact: str, owner: str) -> None:
        await self.collection.delete_one({"_id": fact, "owner": owner})

    async def unsettled(self, claimed_before: datetime) -> AsyncIterator[tuple[str, str]]:
        """(fact, owner) of claims nobody settled; a scan, for a periodic job."""
        query = {"settled": {"$ne": True}, "claimed_at": {"$lt": claimed_before}}
        async for doc in self.collection.find(query):
            yield str(doc["_id"]), str(doc["owner"])


class EnrollStore:
    def __init__(
        self, db: AsyncDatabase[Document], versioned: VersionedStore, clock: Clock
    ) -> None:
        self.db = db
        self.versioned = versioned
        self.clock = clock
        self.signups: Repository[Signup] = Repository(
            versioned, documents.signup_to_document, documents.signup_from_document
        )
        self.gates: Repository[Gate] = Repository(
            versioned, documents.gate_to_document, documents.gate_from_document
        )
        self.rosters = Rosters(db, versioned)
        self.import_jobs = ImportJobs(db)
        """The console's roster imports: their progress and outcome (WEB-04)."""
        self.uploads = PendingUploads(db)
        """The console's roster files waiting for their 確定する (WEB-04)."""
        self.claims = Claims(db, "claims", clock)
        self.expiries = db["signup_expiries"]
        """One small document per sign-up not yet registered: when it may be forgotten."""

    async def expire_at(self, signup_id: str, when: datetime) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self.expiries.insert_one({"_id": signup_id, "forget_after": when})

    async def kept(self, signup_id: str) -> None:
        """A registered sign-up is the member's record: it is never forgotten."""
        await self.expiries.delete_one({"_id": signup_id})

    async def expired(self, now: datetime) -> list[str]:
        """Sign-ups past their last possible use (a scan of a small collection, for a job)."""
        return [d["_id"] async for d in self.expiries.find({"forget_after": {"$lte": now}})]

    async def forget(self, signup_id: str) -> bool:
        """Delete every stored version of a dead sign-up by ``_id`` (X-14), once its events are
        relayed (they were, long ago, unless the relay is down: then later)."""
        aggregate = signup_aggregate_id(signup_id)
        loaded = await self.versioned.load(aggregate)
        latest = await self.versioned.commits.find_one(
            {"_id": commit_id(aggregate, loaded.version)}
        )
        marker = None if latest is None else latest.get("marker")
        if marker is not None and await self.versioned.outbox.find_one({"_id": marker}):
            return False
        for version in range(loaded.version, 0, -1):
            await self.versioned.commits.delete_one({"_id": commit_id(aggregate, version)})
        await self.versioned.heads.delete_one({"_id": aggregate})
        await self.db["compaction_marks"].delete_one({"_id": aggregate})
        await self.expiries.delete_one({"_id": signup_id})
        return True

    async def server_key(self, name: str) -> bytes:
        """A random key of this deployment, made once and kept in the database: every replica
        and restart reads the same one (the person digests are keyed with it)."""
        keys = self.db["server_keys"]
        with contextlib.suppress(DuplicateKeyError):
            await keys.insert_one({"_id": name, "key": secrets.token_hex(32)})
        found = await keys.find_one({"_id": name})
        assert found is not None, "inserted or found"
        return bytes.fromhex(found["key"])
