"""The organisations' directory: what the support console searches by name (WEB-04).

The versioned store reads only by ``_id`` (``servicekit.store``), so finding an organisation by
a part of its name needs a list of its own: one small document per organisation, written by
the use case that opens it after its commit (a retry with the same idempotency key writes it
again, so a crash between the two is repaired by the retry; an organisation missing from it is
still found by its org id or its admin's login ID, which are read directly). It is a copy for
searching, never the truth: every hit is read back from the organisation itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

#: How many of a realm's entries one search reads at most (the console's search is not a
#: hot path, but no question may read without bound, X-14).
SCAN_LIMIT = 10_000


@dataclass(frozen=True)
class Entry:
    realm: str
    org_id: str
    name: str
    admin_login_id: str
    opened_at: datetime


class OrgDirectory:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["org_directory"]

    async def record(self, entry: Entry) -> None:
        await self.collection.replace_one(
            {"_id": f"{entry.realm}:{entry.org_id}"},
            {
                "realm": entry.realm,
                "org_id": entry.org_id,
                "name": entry.name,
                "admin_login_id": entry.admin_login_id,
                "opened_at": entry.opened_at,
            },
            upsert=True,
        )

    async def search(self, realm: str, text: str, limit: int) -> list[Entry]:
        """The realm's organisations whose name holds ``text`` (all of them for ""), the
        newest first, at most ``limit``."""
        found: list[Entry] = []
        cursor = self.collection.find({"realm": realm}).limit(SCAN_LIMIT)
        async for doc in cursor:
            if text in doc["name"]:
                found.append(
                    Entry(
                        doc["realm"],
                        doc["org_id"],
                        doc["name"],
                        doc["admin_login_id"],
                        doc["opened_at"],
                    )
                )
        found.sort(key=lambda e: e.opened_at, reverse=True)
        return found[:limit]
