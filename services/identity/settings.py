from pydantic import Field, SecretStr

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

    shadow_key: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "Key of the digest that places an unknown login ID's count in a shadow slot; empty: "
            "one is made and kept in the database on first start."
        ),
    )
    shadow_slots: int = Field(default=65_536, ge=1, description="Shadow-count slots (X-14).")
    shadow_slot_capacity: int = Field(default=8, ge=1, description="Counts one slot keeps.")
    shadow_lock_days: float = Field(
        default=90, gt=0, description="A shadow count lasts this long after its last attempt."
    )
    claim_grace_seconds: float = Field(
        default=600, gt=0, description="An unsettled login-ID claim older than this is freed."
    )
    enrolment_token: SecretStr = Field(
        default=SecretStr(""),
        description="Bearer with which enroll hands identity a sign-up's credential (EN-05); "
        "empty: nobody may.",
    )
    enrolment_hold_hours: float = Field(
        default=72,
        gt=0,
        description="How long a sign-up's credential is held, waiting for its eligibility.",
    )
    upkeep_interval_seconds: float = Field(
        default=300, gt=0, description="How often sessions and tokens are purged, claims reaped."
    )

    @property
    def realms_in_maintenance(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.maintenance_realms.split(",") if r.strip())
