"""Audit's own knobs; identity's URL and the rest are every service's (``ServiceSettings``)."""

from pydantic import Field

from servicekit.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    service_name: str = "audit"
    http_port: int = 8004
    # The live stream (AU-05) is published by the consumer, but a finished export job commits
    # its announcement (AccessExportReady, issue 16), which the relay publishes.
    retention_interval_seconds: float = Field(
        default=3600.0, gt=0, description="How often the retention job purges old records."
    )
    export_spool_dir: str | None = Field(
        default=None, description="Where exports sort on disk; the system's temp dir if unset."
    )
