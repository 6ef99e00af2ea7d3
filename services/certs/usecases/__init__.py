"""The certs service's use cases, built once by the app (and by the benchmark)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts import Actor
from contracts.certs import CertRevoked
from servicekit.logs import current_correlation_id
from services.certs.domain.decisions import Context
from services.certs.store import CertsStore
from services.certs.usecases.authority import AuthorityKeeper
from services.certs.usecases.certificates import Certificates
from services.certs.usecases.reminders import Reminders


@dataclass(frozen=True)
class Certs:
    store: CertsStore
    keeper: AuthorityKeeper
    certificates: Certificates
    reminders: Reminders

    def context(self, realm: str, actor: Actor) -> Context:
        """A request's context for the domain's events: who, which request (X-08), when (X-04)."""
        return Context(realm, actor, current_correlation_id(), self.keeper.now())

    async def revocations_published(self, events: Sequence[CertRevoked]) -> None:
        """Put revoked serials on the revocation list, then publish a new CRL (CT-08).

        Idempotent: a redelivered event finds its entry there and the CRL is only made again.
        """
        entries = []
        for event in events:
            not_after = await self.store.expiry_of(event.serial_number)
            if not_after is not None:
                entries.append((event.serial_number, event.occurred_at, event.reason, not_after))
        await self.store.record_revocations(entries)
        await self.keeper.publish_crl()
