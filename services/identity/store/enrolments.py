"""Credentials held for sign-ups (EN-05, EN-08), and sign-ups identity refused.

A held credential is a unique fact (X-13): one insert whose ``_id`` is the sign-up, so holding
it again is a no-op. Once its member exists its hash is removed (the member holds it now); one
never used is purged after its time by a job (X-14). A refusal is an aggregate of the versioned
store, so that its event is committed once, with it (X-03).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from servicekit.repository import Repository
from servicekit.store import VersionedStore
from services.identity.domain.enrolment import Held, Refused

Document = dict[str, Any]


def held_id(realm: str, signup_id: str) -> str:
    return f"{realm}:{signup_id}"


def refusal_aggregate_id(realm: str, signup_id: str) -> str:
    return f"enrolment:{realm}:{signup_id}"


class HeldCredentials:
    def __init__(self, db: AsyncDatabase[Document], versioned: VersionedStore) -> None:
        self.collection = db["held_credentials"]
        self.refusals: Repository[Refused] = Repository(
            versioned,
            lambda refused: {"reason": refused.reason.value},
            lambda doc: Refused(doc["reason"]),
        )

    async def hold(self, held: Held) -> None:
        """Hold it, unless this sign-up's credential is held already (a retried call)."""
        try:
            await self.collection.insert_one(
                {
                    "_id": held_id(held.realm, held.signup_id),
                    "login_id": held.login_id,
                    "password_hash": held.password_hash,
                    "expires_at": held.expires_at,
                }
            )
        except DuplicateKeyError:
            return

    async def find(self, realm: str, signup_id: str) -> Held | None:
        doc = await self.collection.find_one({"_id": held_id(realm, signup_id)})
        if doc is None:
            return None
        return Held(realm, signup_id, doc["login_id"], doc.get("password_hash"), doc["expires_at"])

    async def used(self, realm: str, signup_id: str) -> None:
        """The member exists: the hash is the member's now, and nowhere else (X-14)."""
        await self.collection.update_one(
            {"_id": held_id(realm, signup_id)}, {"$set": {"password_hash": None}}
        )

    async def purge_expired(self, now: datetime) -> int:
        """Credentials of sign-ups that can no longer become members (a scan, for a job)."""
        result = await self.collection.delete_many({"expires_at": {"$lte": now}})
        return int(result.deleted_count)
