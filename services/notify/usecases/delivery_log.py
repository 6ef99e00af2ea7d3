"""Reading the delivery log: whom mail went to and what became of it, for the realm's support
desk only (X-15). The use case asks ``domain.authz`` who may read before anything is searched;
the JSON API and the support console's page both come here."""

from __future__ import annotations

from domainkit.callers import Caller, Refusal
from services.notify.domain import authz
from services.notify.domain.deliveries import DEEPEST, DeliveryEntry, DeliverySearch
from services.notify.store import DeliveryLog


class DeliveryLogReading:
    """The support desk's searches of its realm's mails; never a body or a secret (X-02)."""

    def __init__(self, delivery_log: DeliveryLog) -> None:
        self.delivery_log = delivery_log

    def may_read(self, caller: Caller, realm: str) -> Refusal | None:
        """Asked before the search, so a refused caller learns nothing of the realm's mail."""
        return authz.may_read_deliveries(caller, realm)

    async def search(self, wanted: DeliverySearch) -> list[DeliveryEntry]:
        """One realm's delivery log: its support desk sees its own mails, no other realm's.
        A search reads at most :data:`DEEPEST` entries (its offset and its limit together)."""
        if wanted.offset < 0 or wanted.limit < 1 or wanted.offset + wanted.limit > DEEPEST:
            raise ValueError(f"a search reads from 1 to {DEEPEST} entries of the log")
        return await self.delivery_log.search(wanted)
