"""Identity's subscribers: the session reaper, fed by identity's own events (ID-SESS-01), and
the enrolment of self-signed-up members, fed by enroll's (EN-05)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from contracts import Topics
from servicekit.bus import subscribe
from servicekit.settings import ServiceSettings
from services.identity.usecases.enrolment import Enrolments
from services.identity.usecases.upkeep import Upkeep


def register(
    broker: KafkaBroker, settings: ServiceSettings, upkeep: Upkeep, enrolments: Enrolments
) -> None:
    subscribe(broker, settings, (Topics.IDENTITY,), upkeep.end_sessions, name="session-reaper")
    subscribe(broker, settings, (Topics.ENROLL,), enrolments.on_enroll_events, name="enrolment")
