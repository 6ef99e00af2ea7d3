"""The reminder job (CT-07): ``CertExpiring`` 30 and 7 days before expiry, and ``CertExpired``.

Restartable and safe with any number of replicas: it only proposes; each certificate's
reminders are decided on its holder (X-13), which records what was sent in the same commit as
the event, so a second replica, a restart or a rerun finds them done and sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from contracts import Actor
from domainkit.decision import Decision
from servicekit.clock import Clock
from servicekit.logs import get_logger
from services.certs.domain import decisions
from services.certs.domain.decisions import Context
from services.certs.domain.holders import REMINDER_DAYS, Holder
from services.certs.store import CertsStore

log = get_logger(__name__)


class Reminders:
    def __init__(self, store: CertsStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def run_once(self) -> int:
        """One pass: every certificate within 30 days of expiry, or past it and not yet
        announced. Answers how many events it committed."""
        now = self.clock.now()
        sent = 0
        candidates = await self.store.reminder_candidates(now + timedelta(days=max(REMINDER_DAYS)))
        for serial, realm, user_id in candidates:
            ctx = Context(realm, Actor.system(), f"reminders-{serial}", now)
            holder_id = self.store.holder_id(realm, user_id)
            sent += await self.store.holders.update(holder_id, _reminding(serial, ctx))
            holder = await self.store.holders.get(holder_id)
            cert = holder.certificate(serial) if holder is not None else None
            if cert is None or cert.expiry_announced or cert.revoked_at is not None:
                await self.store.settle(serial)
        if sent:
            log.info("certificate reminders committed", events=sent)
        return sent


def _reminding(serial: str, ctx: Context) -> Callable[[Holder | None], Decision[Holder, int]]:
    def decide(holder: Holder | None) -> Decision[Holder, int]:
        return decisions.remind(holder, serial, ctx)

    return decide
