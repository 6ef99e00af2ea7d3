"""The delivery log: one document per source event, the operator's record of every mail.

``_id`` is the source ``event_id``: inserting the intent ("sending") before the SMTP server
sees the mail is the unique fact of X-13 that makes a redelivered event send nothing new
(NT-03). A crash after the server accepted and before "sent" was written leaves "sending"
behind, and the next delivery sends the same mail again, with the same ``Message-ID``.

Only the consumer that owns the event's partition writes its document, so the status updates
that follow the insert are plain writes by ``_id``. No secret is kept: no body, no link, no
password; the address is kept because operators look mail up by it, and shown masked in logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.bus import insert_ignoring_duplicates
from servicekit.store import gather_limited
from services.notify.domain import MailOrder, Outcome, Sent

Document = dict[str, Any]


class Status(StrEnum):
    SENDING = "sending"
    """Handed, or about to be handed, to the SMTP server; not known to be accepted."""
    SENT = "sent"
    FAILED = "failed"
    """Refused or impossible to compose: dead-lettered with ``MailFailed``."""


class DeliveryLog:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["deliveries"]

    async def create_indexes(self) -> None:
        """What operators search by (MongoDB uses them; FerretDB 1.x scans anyway)."""
        await self.collection.create_index([("recipient", 1), ("created_at", -1)])
        await self.collection.create_index([("status", 1), ("created_at", -1)])

    async def begin(
        self, orders: Sequence[MailOrder], message_ids: Sequence[str], now: datetime
    ) -> list[MailOrder]:
        """Record the intent to send each order; return those still to be sent, in order.

        New orders are to be sent; so are orders found "sending" (a crash after the SMTP server
        may have accepted them: NT-03's one inexact case). Orders already sent or failed are
        done: a redelivery or replay sends nothing.
        """
        docs = [
            _intent(order, letter_id, now)
            for order, letter_id in zip(orders, message_ids, strict=True)
        ]
        if await insert_ignoring_duplicates(self.collection, docs) == len(docs):
            return list(orders)
        found = await gather_limited(
            lambda o: self.collection.find_one({"_id": o.event_id}), orders
        )
        return [
            order
            for order, doc in zip(orders, found, strict=True)
            if doc is None or doc["status"] == Status.SENDING
        ]

    async def finish(self, results: Sequence[tuple[MailOrder, Outcome]], now: datetime) -> None:
        if not results:
            return
        await self.collection.bulk_write(
            [
                UpdateOne({"_id": order.event_id}, {"$set": _finished(o, now)})
                for order, o in results
            ],
            ordered=False,
        )

    async def search(
        self,
        *,
        recipient: str | None,
        event_id: str | None,
        status: Status | None,
        limit: int,
    ) -> list[Document]:
        query: Document = {}
        if event_id is not None:
            query["_id"] = event_id
        if recipient is not None:
            query["recipient"] = recipient
        if status is not None:
            query["status"] = status.value
        return await self.collection.find(query).sort("created_at", -1).limit(limit).to_list()


def _intent(order: MailOrder, letter_id: str, now: datetime) -> Document:
    event = order.event
    return {
        "_id": order.event_id,
        "event_type": event.type,
        "template": order.template.value,
        "realm": event.realm,
        "org_id": event.org_id,
        "subject_id": event.subject_id,
        "recipient": order.recipient,
        "recipient_masked": order.recipient_masked,
        "message_id": letter_id,
        "correlation_id": event.correlation_id,
        "status": Status.SENDING.value,
        "attempts": 0,
        "reason": None,
        "created_at": now,
        "updated_at": now,
    }


def _finished(outcome: Outcome, now: datetime) -> Document:
    if isinstance(outcome, Sent):
        return {"status": Status.SENT.value, "attempts": outcome.attempts, "updated_at": now}
    return {
        "status": Status.FAILED.value,
        "attempts": outcome.attempts,
        "reason": outcome.reason,
        "updated_at": now,
    }
