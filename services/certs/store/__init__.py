"""Where the CA keeps what it knows: holders (versioned, X-13), serials, revocations, the CA
itself and its latest CRL.

- ``holder:<realm>:<user id>`` aggregates decide everything about one user ID.
- ``serials``: one document per serial, ``_id`` = the serial, claimed before the certificate is
  signed (a unique fact, X-13): it finds a serial's holder for OCSP, verification and
  revocation, and carries ``not_after`` for the reminder job. A serial whose certificate was
  never recorded (its request lost a race) leads to a holder without it: ``unknown``.
- ``notice_keys``: one document per (user ID, 企保ネットコード, 管理番号) a notice was recorded
  with, written before the notice's commit: how the support desk finds a holder by its code or
  management number (WEB-04). A hint only: a notice whose commit was refused leaves a key to a
  holder without it, so a search reads the holders it names and keeps those that match.
  Notices recorded before the index existed are added by ``python -m services.certs
  backfill-notice-keys`` (``cli``), with the same writer.
- ``revocations``: one document per revoked serial, written by the handler of ``CertRevoked``
  (X-03: from the event, so a crash after the commit loses no entry); the CRL is made from it.
- ``ca:<realm>`` and ``crl:<realm>`` are versioned too: the CA is made once however many
  replicas start together, and CRL numbers only grow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from contracts.certs import RevocationReason
from servicekit.facts import insert_new
from servicekit.repository import Repository
from servicekit.store import Change, Loaded, VersionedStore
from services.certs.domain.holders import Holder
from services.certs.store.documents import holder_from_document, holder_id, holder_to_document

Document = dict[str, Any]


class CertsStore:
    def __init__(self, db: AsyncDatabase[Document], store: VersionedStore) -> None:
        self.store = store
        self.holders: Repository[Holder] = Repository(
            store, holder_to_document, holder_from_document
        )
        self.serials = db["serials"]
        self.revocations = db["revocations"]
        self.notice_keys = db["notice_keys"]

    @staticmethod
    def holder_id(realm: str, user_id: str) -> str:
        return holder_id(realm, user_id)

    async def create_indexes(self) -> None:
        """Only for MongoDB's sake: FerretDB 1.24 scans either way (README)."""
        await self.serials.create_index("not_after")

    async def claim_serial(
        self, serial: str, realm: str, user_id: str, not_after: datetime
    ) -> None:
        """A random 159-bit serial cannot collide in practice; if one did, the insert fails
        and the request fails rather than give two certificates one serial."""
        await self.serials.insert_one(
            {"_id": serial, "realm": realm, "user_id": user_id, "not_after": not_after}
        )

    async def index_notice(
        self, realm: str, user_id: str, kihonet_code: str, management_number: str
    ) -> None:
        """The keys a holder is searched by; idempotent (the same notice again adds nothing)."""
        await self.index_notices(realm, [(user_id, kihonet_code, management_number)])

    async def index_notices(self, realm: str, keys: Sequence[tuple[str, str, str]]) -> int:
        """Many notices' (user ID, 企保ネットコード, 管理番号) in one write, idempotent as
        ``index_notice``: how many were not indexed yet."""
        known = await insert_new(
            self.notice_keys,
            [
                {
                    "_id": f"{realm}:{user_id}:{kihonet_code}:{management_number}",
                    "realm": realm,
                    "user_id": user_id,
                    "kihonet_code": kihonet_code,
                    "management_number": management_number,
                }
                for user_id, kihonet_code, management_number in keys
            ],
        )
        return len(keys) - len(known)

    def holder_ids(self, realm: str, batch: int) -> AsyncIterator[list[str]]:
        """Every holder aggregate's id in ``realm``, ``batch`` at a time (a one-shot walk)."""
        return self.store.aggregate_ids(holder_id(realm, ""), batch)

    async def users_by_notice(
        self, realm: str, *, kihonet_code: str | None, management_number: str | None, limit: int
    ) -> list[str]:
        """The user IDs notices were recorded for with that code or management number (a hint:
        the caller reads each holder). A scan of a small collection, for the support desk."""
        query: Document = {"realm": realm}
        if kihonet_code is not None:
            query["kihonet_code"] = kihonet_code
        if management_number is not None:
            query["management_number"] = management_number
        cursor = self.notice_keys.find(query, {"user_id": 1}).limit(limit * 4)
        found: list[str] = []
        async for doc in cursor:
            user_id = str(doc["user_id"])
            if user_id not in found:
                found.append(user_id)
        return sorted(found)[:limit]

    async def holder_of(self, serial: str) -> tuple[str, str] | None:
        """The realm and user ID a serial was issued to, or ``None``."""
        found = await self.serials.find_one({"_id": serial})
        return None if found is None else (str(found["realm"]), str(found["user_id"]))

    async def expiry_of(self, serial: str) -> datetime | None:
        found = await self.serials.find_one({"_id": serial})
        return None if found is None else found["not_after"]

    async def reminder_candidates(self, horizon: datetime) -> list[tuple[str, str, str]]:
        """Serials (with realm and user ID) expiring before ``horizon`` whose reminders and
        expiry are not all done. A scan on FerretDB; the job runs hourly."""
        cursor = self.serials.find(
            {"not_after": {"$lte": horizon}, "settled": {"$ne": True}},
            {"realm": 1, "user_id": 1},
        )
        return [(str(d["_id"]), str(d["realm"]), str(d["user_id"])) async for d in cursor]

    async def settle(self, serial: str) -> None:
        """Nothing is left to remind of this serial: the job passes it over from now on."""
        await self.serials.update_one({"_id": serial}, {"$set": {"settled": True}})

    async def record_revocations(
        self, entries: Sequence[tuple[str, datetime, RevocationReason, datetime]]
    ) -> None:
        """(serial, revoked at, reason, not after): idempotent, keyed by serial."""
        await insert_new(
            self.revocations,
            [
                {"_id": s, "revoked_at": at, "reason": r.value, "not_after": na}
                for s, at, r, na in entries
            ],
        )

    async def revoked(self, now: datetime) -> list[tuple[int, datetime, RevocationReason]]:
        """What the CRL lists: every revoked certificate not yet expired (RFC 5280 lets an
        entry go once its certificate expired)."""
        cursor = self.revocations.find({"not_after": {"$gt": now}})
        return [
            (int(d["_id"], 16), d["revoked_at"], RevocationReason(d["reason"]))
            async for d in cursor
        ]

    async def state_of(self, aggregate_id: str) -> Document | None:
        return (await self.store.load(aggregate_id)).state

    async def change_state(
        self, aggregate_id: str, make: Callable[[Document | None], Document | None]
    ) -> Document | None:
        """The next version of a small singleton (the CA, the CRL): ``make`` answers the new
        state from the latest one, or ``None`` to keep it; answers the state that stands."""

        def decide(loaded: Loaded) -> Change[Document | None]:
            made = make(loaded.state)
            return Change(outcome=loaded.state) if made is None else Change(made, made)

        return await self.store.update(aggregate_id, decide)
