"""Enroll's subscriber: identity's answer to an eligible sign-up ends the saga (EN-05)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from contracts import Topics
from servicekit.bus import subscribe
from servicekit.settings import ServiceSettings
from services.enroll.usecases.eligibility import Eligibility


def register(broker: KafkaBroker, settings: ServiceSettings, eligibility: Eligibility) -> None:
    subscribe(
        broker, settings, (Topics.IDENTITY,), eligibility.on_identity_events, name="registrar"
    )
