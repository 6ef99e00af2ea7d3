"""Audit's collections: the access records, keyed by the event id they come from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from servicekit.bus import insert_ignoring_duplicates
from services.audit.domain import AccessRecord


class AccessRecords:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["access_records"]

    async def create_indexes(self) -> None:
        """What the listing filters and sorts on (MongoDB uses it; FerretDB 1.x scans anyway)."""
        await self.collection.create_index([("realm", 1), ("org_id", 1), ("occurred_at", -1)])

    async def add(self, records: Sequence[AccessRecord], recorded_at: datetime) -> int:
        """Store records in one bulk write; already stored ones are skipped. Returns new ones."""
        return await insert_ignoring_duplicates(
            self.collection, [r.to_document(recorded_at) for r in records]
        )

    async def list(self, realm: str, org_id: str | None, limit: int) -> list[AccessRecord]:
        query: dict[str, Any] = {"realm": realm}
        if org_id is not None:
            query["org_id"] = org_id
        docs = await self.collection.find(query).sort("occurred_at", -1).limit(limit).to_list()
        return [AccessRecord.from_document(d) for d in docs]
