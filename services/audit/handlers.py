"""Audit's subscribers: every producer's topic feeds the access history (AU-01)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from contracts import Topics
from servicekit.bus import subscribe
from servicekit.settings import ServiceSettings
from services.audit.usecases import AuditUseCases

SOURCE_TOPICS = (Topics.IDENTITY, Topics.CERTS, Topics.ENROLL, Topics.NOTIFY)


def register(broker: KafkaBroker, settings: ServiceSettings, usecases: AuditUseCases) -> None:
    subscribe(broker, settings, SOURCE_TOPICS, usecases.record, name="access-history")
