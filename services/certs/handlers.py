"""Certs' own subscriber: every ``CertRevoked`` goes on the revocation list and a new CRL is
published (CT-08). Fed by the commit's own event (X-03), so a crash between a revocation's
commit and its CRL loses nothing: the event comes again."""

from __future__ import annotations

from collections.abc import Sequence

from faststream.kafka import KafkaBroker

from contracts import Event, Topics
from contracts.certs import CertRevoked
from servicekit.bus import subscribe
from servicekit.settings import ServiceSettings
from services.certs.usecases import Certs


def register(broker: KafkaBroker, settings: ServiceSettings, certs: Certs) -> None:
    async def revoked(events: Sequence[Event]) -> None:
        revocations = [e for e in events if isinstance(e, CertRevoked)]
        if revocations:
            await certs.revocations_published(revocations)

    subscribe(broker, settings, (Topics.CERTS,), revoked, name="crl-publisher")
