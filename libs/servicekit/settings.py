"""Configuration by environment variables, with the same names in every service (X-09)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What every service reads from its environment.

    A service subclasses this to add its own knobs and to set ``service_name``'s default.
    Defaults point at the loopback ports ``deploy/local/infra.sh`` starts.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    service_name: str = "service"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True

    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_topic_prefix: str = Field(
        default="",
        description="Prepended to every topic and consumer group: isolates tests and environments.",
    )
    mongodb_uri: str = "mongodb://127.0.0.1:27117/"
    mongodb_database: str = ""
    mongodb_server_selection_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How long an operation waits for the database to be reachable (and a new "
        "connection to open) before its request is answered 503 SERVICE_UNAVAILABLE.",
    )

    outbox_relay: bool = Field(default=True, description="Run the outbox relay in this process.")
    outbox_poll_seconds: float = 0.5
    outbox_batch_size: int = Field(default=1000, ge=1, le=10_000)
    consumers: bool = Field(default=True, description="Run this service's Kafka subscribers.")
    compaction_grace_seconds: float = Field(
        default=3600,
        gt=0,
        description="A superseded aggregate version goes once its successor is this old (X-14).",
    )
    compaction_interval_seconds: float = Field(
        default=600, gt=0, description="How often superseded versions are compacted."
    )
    inbox_retention_days: int = Field(
        default=14,
        ge=8,
        description="How long processed-event markers are kept (X-14); must exceed the longest "
        "Kafka can redeliver a record (topic retention, 7 days by default).",
    )
    purge_interval_seconds: float = Field(
        default=3600.0, gt=0, description="How often purge jobs forget what has expired."
    )
    background_restart_base_seconds: float = Field(
        default=0.5, gt=0, description="First back-off before a dead background task restarts."
    )
    background_restart_max_seconds: float = Field(
        default=60.0, gt=0, description="The longest back-off before a background task restarts."
    )

    otel_exporter_otlp_endpoint: str = Field(
        default="",
        description="Where traces go by OTLP/HTTP (X-20), e.g. ``http://127.0.0.1:4318``; empty: "
        "none are recorded or exported, but trace ids are still made for logs and records.",
    )
    trace_sampling_ratio: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="The share of new traces recorded when exporting; a trace begun elsewhere "
        "follows its parent's choice, so a trace is whole or absent.",
    )

    identity_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Identity's base URL: every other service asks it who a session is "
        "(ID-SESS-02); identity itself does not read it.",
    )
    provisioning_token: SecretStr = Field(
        default=SecretStr(""),
        description="Bearer token of the back-office system (it opens organisations, records "
        "certificate notices, imports rosters); empty: there is no back office, and only the "
        "realm's support desk may do those things.",
    )

    notify_public_key: str = Field(
        default="", description="X25519 public key (base64) that secrets for mails are sealed to."
    )

    @property
    def database_name(self) -> str:
        """The database of this service: each service owns its data (no shared collections)."""
        return self.mongodb_database or self.service_name

    def topic(self, name: str) -> str:
        """The physical Kafka topic for a logical topic name."""
        return f"{self.kafka_topic_prefix}{name}"

    @property
    def consumer_group(self) -> str:
        return f"{self.kafka_topic_prefix}{self.service_name}"
