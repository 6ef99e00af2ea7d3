"""Identity's subscriber: the enrolment of self-signed-up members, fed by enroll's events
(EN-05): an eligible sign-up becomes a member, or its refusal is committed."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from contracts import Topics
from servicekit.bus import subscribe
from servicekit.settings import ServiceSettings
from services.identity.usecases.enrolment import Enrolments


def register(broker: KafkaBroker, settings: ServiceSettings, enrolments: Enrolments) -> None:
    subscribe(broker, settings, (Topics.ENROLL,), enrolments.on_enroll_events, name="enrolment")
