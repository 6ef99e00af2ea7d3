"""The delivery log: what notify set out to send, and what became of it. Insert-only.

Two collections, both keyed by the source ``event_id``:

- ``deliveries`` holds the *intent*, inserted before the SMTP server sees the mail. The insert
  is the unique fact of X-13 that makes a redelivered event send nothing new (NT-03).
- ``delivery_outcomes`` holds the *outcome* (sent, or failed with the reason), inserted after.

An intent without an outcome is "sending": a crash after the server accepted the mail and before
the outcome was written leaves one behind, and the next delivery sends the same mail again, with
the same ``Message-ID``. Outcomes are inserts rather than updates because an insert is the one
write FerretDB 1.x does fast and atomically (X-13); a bulk update of a few hundred documents
there stalls. Each outcome repeats its intent's fields, so operators' searches by status read
one collection.

No secret is kept: no body, no link, no password. The address is kept because operators look
mail up by it; logs and events show it masked.

Both are purged after a retention (``DELIVERY_LOG_RETENTION_DAYS``, 30 by default): long
enough for operators' questions, and longer than Kafka can redeliver an event (topic retention,
7 days by default), since the intent is what makes a redelivery send nothing (X-14, NT-03).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from servicekit.facts import insert_new
from servicekit.store import gather_limited
from services.notify.domain.deliveries import DeliveryEntry, DeliverySearch, Outcome, Sent, Status
from services.notify.domain.mails import MailOrder

Document = dict[str, Any]


class DeliveryLog:
    def __init__(self, db: AsyncDatabase[Document], retention: timedelta) -> None:
        self.intents = db["deliveries"]
        self.outcomes = db["delivery_outcomes"]
        self.retention = retention

    async def create_indexes(self) -> None:
        """What operators search by (MongoDB uses them; FerretDB 1.x scans anyway): an address,
        a status, an organisation or a day of the realm, each newest first."""
        for collection in (self.intents, self.outcomes):
            await collection.create_index([("recipient", 1), ("created_at", -1)])
            await collection.create_index([("realm", 1), ("created_at", -1)])
            await collection.create_index([("realm", 1), ("org_id", 1), ("created_at", -1)])
        await self.outcomes.create_index([("status", 1), ("created_at", -1)])

    async def begin(
        self, orders: Sequence[MailOrder], message_ids: Sequence[str], now: datetime
    ) -> list[MailOrder]:
        """Record the intent to send each order; return those still to be sent, in order.

        New orders are to be sent, and so are orders with an intent but no outcome (NT-03's one
        inexact case). Orders with an outcome are done: a redelivery or replay sends nothing.
        """
        docs = [
            _intent(order, letter_id, now)
            for order, letter_id in zip(orders, message_ids, strict=True)
        ]
        repeated = [orders[i] for i in sorted(await insert_new(self.intents, docs))]
        if not repeated:
            return list(orders)
        # Only an order whose intent was there already can have an outcome.
        done = await gather_limited(lambda o: self.outcomes.find_one({"_id": o.event_id}), repeated)
        finished = {o.event_id for o, outcome in zip(repeated, done, strict=True) if outcome}
        return [order for order in orders if order.event_id not in finished]

    async def finish(
        self,
        results: Sequence[tuple[MailOrder, Outcome]],
        message_ids: Mapping[str, str],
        now: datetime,
    ) -> None:
        """Record outcomes, each with its intent's fields (as this delivery wrote them)."""
        await insert_new(
            self.outcomes,
            [
                _intent(order, message_ids[order.event_id], now) | _outcome(outcome, now)
                for order, outcome in results
            ],
        )

    async def purge(self, now: datetime) -> int:
        """Forget the mails whose delivery began more than the retention before ``now``;
        returns how many entries (intents and outcomes) went.

        An outcome is never older than its intent, so an intent goes no later than its outcome
        and a crash between the two deletes leaves only outcomes, which the next run takes. On
        FerretDB 1.24 the date filter is not pushed down, so each delete scans its collection:
        fine for an hourly job.
        """
        expired = {"created_at": {"$lt": now - self.retention}}
        intents = await self.intents.delete_many(expired)
        outcomes = await self.outcomes.delete_many(expired)
        return int(intents.deleted_count + outcomes.deleted_count)

    async def search(self, wanted: DeliverySearch) -> list[DeliveryEntry]:
        """One realm's mails, newest first, ``wanted.offset`` of them skipped. Finished mails
        come from the outcomes; the rest from the intents. The caller bounds the offset and the
        limit (a page reads at most their sum)."""
        query: Document = {"realm": wanted.realm}
        if wanted.event_id is not None:
            query["_id"] = wanted.event_id
        if wanted.recipient is not None:
            query["recipient"] = wanted.recipient
        if wanted.org_id is not None:
            query["org_id"] = wanted.org_id
        if wanted.began is not None:
            start, end = wanted.began
            query["created_at"] = {"$gte": start, "$lt": end}
        newest = [("created_at", -1), ("_id", -1)]
        status, skip, limit = wanted.status, wanted.offset, wanted.limit
        if status in (Status.SENT, Status.FAILED):
            cursor = self.outcomes.find({**query, "status": status}).sort(newest)
            return [_entry(d) for d in await cursor.skip(skip).limit(limit).to_list()]
        intents = self.intents.find(query).sort(newest)
        if status is None:
            # Every intent is shown (its outcome, if it has one): the skip is the store's.
            intents, skip = intents.skip(skip), 0
        found: list[Document] = []
        async for intent in intents:
            outcome = await self.outcomes.find_one({"_id": intent["_id"]})
            if status is not None and outcome is not None:
                continue
            if skip:
                skip -= 1
                continue
            found.append(outcome or intent)
            if len(found) == limit:
                break
        return [_entry(d) for d in found]


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
        "message_id": letter_id,
        "correlation_id": event.correlation_id,
        "status": Status.SENDING.value,
        "attempts": 0,
        "reason": None,
        "created_at": now,
        "updated_at": now,
    }


def _outcome(outcome: Outcome, now: datetime) -> Document:
    status = Status.SENT if isinstance(outcome, Sent) else Status.FAILED
    reason = None if isinstance(outcome, Sent) else outcome.reason
    return {
        "status": status.value,
        "attempts": outcome.attempts,
        "reason": reason,
        "updated_at": now,
    }


def _entry(doc: Document) -> DeliveryEntry:
    """An intent or an outcome as the delivery log shows it (the event id is the key)."""
    return DeliveryEntry(
        event_id=doc["_id"],
        event_type=doc["event_type"],
        template=doc["template"],
        realm=doc["realm"],
        org_id=doc.get("org_id"),
        recipient=doc["recipient"],
        message_id=doc["message_id"],
        status=Status(doc["status"]),
        attempts=doc["attempts"],
        reason=doc["reason"],
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )
