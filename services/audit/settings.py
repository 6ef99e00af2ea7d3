from servicekit.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    service_name: str = "audit"
    http_port: int = 8004
    # Audit publishes nothing through an outbox yet (its live stream comes with AU-05).
    outbox_relay: bool = False
