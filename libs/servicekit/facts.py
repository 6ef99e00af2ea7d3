"""Facts that may exist once, keyed by ``_id``: the atomic check-and-set of X-13 on MongoDB and
FerretDB alike (an insert that fails with E11000 when the ``_id`` exists)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from servicekit.clock import Clock

Document = dict[str, Any]


async def insert_new(collection: Any, docs: Sequence[Document]) -> set[int]:
    """Insert every document whose ``_id`` is not stored yet, in one unordered bulk write.

    The idempotent write of X-03 and X-13: a repeated ``_id`` (a redelivered event, a fact
    claimed before) is not an error but an answer. Returns the indexes in ``docs`` of the
    documents that were stored already, so the caller knows which ones were new. Any error
    other than a duplicate ``_id`` (E11000) is raised as :class:`OperationFailure`.
    """
    if not docs:
        return set()
    try:
        await collection.insert_many(list(docs), ordered=False)
    except BulkWriteError as err:
        errors = err.details.get("writeErrors", [])
        others = [e for e in errors if e.get("code") != 11000]
        others += err.details.get("writeConcernErrors", [])
        if others:
            raise OperationFailure(str(others[:3])) from err
        return {int(e["index"]) for e in errors}
    return set()


class UniqueFacts:
    """Facts that may exist once (a login ID, a used token, a processed event), keyed by ``_id``.

    ``claim`` is the atomic check-and-set of X-13: an insert that fails with E11000 when the fact
    exists. Claiming again for the same owner succeeds, so a retried request stays idempotent.
    """

    def __init__(self, db: AsyncDatabase[Document], name: str, clock: Clock) -> None:
        self.collection = db[name]
        self.clock = clock

    async def claim(self, fact: str, owner: str, **data: Any) -> bool:
        try:
            await self.collection.insert_one(
                {"_id": fact, "owner": owner, "claimed_at": self.clock.now(), **data}
            )
        except DuplicateKeyError:
            existing = await self.collection.find_one({"_id": fact})
            return existing is not None and existing.get("owner") == owner
        return True

    async def release(self, fact: str, owner: str) -> None:
        """Give a fact back when the change that claimed it was refused."""
        await self.collection.delete_one({"_id": fact, "owner": owner})

    async def owner_of(self, fact: str) -> str | None:
        doc = await self.collection.find_one({"_id": fact})
        return None if doc is None else str(doc["owner"])
