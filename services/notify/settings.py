"""Notify's settings: the SMTP server, the mail's wording and per-realm overrides, and the
delivery log's retention. Identity's URL (who reads the delivery log is asked there) comes
with every service's settings (``ServiceSettings.identity_url``)."""

from pydantic import Field, SecretStr

from servicekit.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = 8002
    # MailSent / MailFailed are published by the delivery itself, keyed and with ids derived
    # from the source event, so a repeat is a duplicate consumers drop: no outbox needed.
    outbox_relay: bool = False
    notify_private_key: SecretStr = Field(
        default=SecretStr(""),
        description="X25519 private key (base64) that opens sealed secrets (X-02, NT-05).",
    )

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 11025
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_start_tls: bool = Field(default=False, description="Upgrade with STARTTLS after EHLO.")
    smtp_use_tls: bool = Field(default=False, description="Implicit TLS from the first byte.")
    smtp_timeout_seconds: float = 30.0
    smtp_pool_size: int = Field(default=16, ge=1, le=256, description="Connections at most.")
    smtp_max_attempts: int = Field(default=5, ge=1, description="Tries of one mail (NT-04).")
    smtp_retry_base_seconds: float = Field(default=0.5, gt=0)
    smtp_retry_max_seconds: float = Field(default=30.0, gt=0)

    mail_templates_dir: str = Field(
        default="",
        description="A folder searched before the built-in templates: wording without a deploy.",
    )
    mail_base_urls: dict[str, str] = Field(
        default_factory=dict, description='Per-realm portal URL, e.g. {"kencom": "https://…"}.'
    )
    mail_languages: dict[str, str] = Field(
        default_factory=dict, description='Per-realm mail language, e.g. {"demo": "en"}.'
    )
    mail_batch_size: int = Field(default=500, ge=1, le=5000)
    delivery_log_retention_days: int = Field(
        default=30,
        ge=8,
        description="How long the delivery log keeps each mail (X-14): operators search it, and "
        "it makes a redelivered event send nothing (NT-03), so it must outlast the longest "
        "Kafka can redeliver a record (topic retention, 7 days by default).",
    )
