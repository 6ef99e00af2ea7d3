from pydantic import Field

from servicekit.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    service_name: str = "identity"
    http_port: int = 8001
    maintenance_realms: str = Field(
        default="", description="Comma-separated realms in maintenance (REALM-03)."
    )

    provisioning_token: str = Field(
        default="",
        description=(
            "Bearer token of the back-office system that opens organisations when an application "
            "is accepted; empty: only the realm's support desk may open them."
        ),
    )

    password_hash_memory_kib: int = Field(default=19 * 1024, description="argon2id memory (KiB)")
    password_hash_time_cost: int = Field(default=2, description="argon2id iterations")

    @property
    def realms_in_maintenance(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.maintenance_realms.split(",") if r.strip())
