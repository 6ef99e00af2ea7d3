"""Identity's own subscriber: the session reaper, fed by identity's events (ID-SESS-01)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from contracts import Topics
from servicekit.bus import subscribe
from servicekit.settings import ServiceSettings
from services.identity.usecases.upkeep import Upkeep


def register(broker: KafkaBroker, settings: ServiceSettings, upkeep: Upkeep) -> None:
    subscribe(broker, settings, (Topics.IDENTITY,), upkeep.end_sessions, name="session-reaper")
