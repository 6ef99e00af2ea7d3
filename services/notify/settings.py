from pydantic import Field

from servicekit.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = 8002
    outbox_relay: bool = False
    notify_private_key: str = Field(
        default="", description="X25519 private key (base64) that opens sealed secrets (X-02)."
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 11025
