from pydantic import Field, SecretStr, field_validator

from servicekit.settings import ServiceSettings
from services.identity.domain.portal_menus import link_targets


class IdentitySettings(ServiceSettings):
    service_name: str = "identity"
    http_port: int = 8001
    maintenance_realms: str = Field(
        default="", description="Comma-separated realms in maintenance (REALM-03)."
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

    trusted_proxies: str = Field(
        default="",
        description=(
            "Comma-separated networks of the proxies (the gateway) whose X-Forwarded-For names "
            "the client; a request from anywhere else is its own peer address (ID-BOT-02)."
        ),
    )
    otp_key: SecretStr = Field(
        default=SecretStr(""),
        description="Key of the hash OTP codes are kept as; empty: made and kept in the database.",
    )
    challenge_key: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "Key that signs bot-defence challenges and digests client addresses; empty: made "
            "and kept in the database."
        ),
    )
    policy_cache_seconds: float = Field(
        default=5, ge=0, description="How long a read permission matrix or OTP switch is used."
    )
    decision_session_cache_seconds: float = Field(
        default=1, ge=0, description="How long the decision API uses a session it read; 0: never."
    )
    introspection_session_cache_seconds: float = Field(
        default=0.5,
        ge=0,
        lt=1,
        description="How long introspection uses a session it read; 0: never. Another replica's "
        "logout or disabling reaches this replica's introspection that much later at most.",
    )
    challenge_seconds: float = Field(
        default=300, gt=0, description="How long a bot-defence challenge may be answered."
    )
    challenge_window_seconds: float = Field(
        default=600, gt=0, description="The sliding window of an address's accesses and failures."
    )
    challenge_base_max_number: int = Field(
        default=50_000, ge=1_000, description="The search range of the easiest challenge."
    )
    challenge_step_factor: int = Field(default=4, ge=2, description="Work multiplied per step.")
    challenge_accesses_per_step: int = Field(
        default=20, ge=1, description="Challenges asked within the window that add a step."
    )
    challenge_failures_per_step: int = Field(
        default=3, ge=1, description="Failed logins within the window that add a step."
    )
    challenge_max_steps: int = Field(default=4, ge=0, le=8, description="The most steps.")
    kencom_app_client_secret: SecretStr = Field(
        default=SecretStr(""),
        description="SHA-256 (hex) of the client credential the realm issued to the kencom app; "
        "a JSON login that sends the credential in X-App-Client-Credential skips the challenge "
        "(EN-09, seed 003 【参考】). Empty: no app is known, every login is challenged.",
    )
    trusted_failure_limit: int = Field(
        default=5, ge=1, description="Failures a trusted address has before it is challenged."
    )
    address_slots: int = Field(default=4096, ge=1, description="Client-address slots (X-14).")
    address_slot_capacity: int = Field(default=8, ge=1, description="Addresses one slot keeps.")

    portal_links: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per realm, the https address of each business screen outside this platform "
        'that the top page\'s menus link to, e.g. {"nexi": {"applications": "https://…"}}; a '
        "screen without one links to a page that says whose screen it is (docs/identity/home.md).",
    )

    @field_validator("portal_links")
    @classmethod
    def _known_links(cls, links: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        """Only the realms' named screens, only https: a typo fails at start, not on a page."""
        for realm, targets in links.items():
            known = link_targets(realm)
            for key, address in targets.items():
                if key not in known:
                    raise ValueError(f"{realm} has no business screen {key!r}: {sorted(known)}")
                if not address.startswith("https://") or any(c.isspace() for c in address):
                    raise ValueError(f"{realm} {key}: an https address, not {address!r}")
        return links

    @property
    def realms_in_maintenance(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.maintenance_realms.split(",") if r.strip())
