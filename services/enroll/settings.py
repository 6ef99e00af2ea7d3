from pydantic import Field, SecretStr

from servicekit.settings import ServiceSettings


class EnrollSettings(ServiceSettings):
    service_name: str = "enroll"
    http_port: int = 8005

    enrolment_token: SecretStr = Field(
        default=SecretStr(""),
        description="Bearer with which enroll hands a sign-up's credential to identity "
        "(identity's ENROLMENT_TOKEN); empty: sign-ups cannot begin.",
    )
    person_key: SecretStr = Field(
        default=SecretStr(""),
        description="Key of the digest that names a person once (EN-04); empty: one is made "
        "and kept in the database on first start.",
    )
    group_link_codes: dict[str, str] = Field(
        default_factory=dict,
        description='団体連携コード and the group each links to, as JSON: {"KENSHIN01": "g-1"}.',
    )

    terms_version: str = Field(
        default="1.0",
        pattern=r"^[0-9A-Za-z._-]{1,40}$",
        description="The kencom 会員規約 in force: its version, recorded with each sign-up's "
        "consent (EN-09).",
    )
    terms_url: str = Field(
        default="https://kencom.jp/terms", description="Where the 会員規約 is published."
    )
    privacy_version: str = Field(
        default="1.0",
        pattern=r"^[0-9A-Za-z._-]{1,40}$",
        description="The プライバシーポリシー in force: its version (EN-09).",
    )
    privacy_url: str = Field(
        default="https://kencom.jp/privacy_policy",
        description="Where the プライバシーポリシー is published.",
    )

    signup_app_link_hours: float = Field(default=24, gt=0, description="EN-02, app channel.")
    signup_pc_link_hours: float = Field(default=1, gt=0, description="EN-02, PC channel.")
    signup_step_hours: float = Field(
        default=24, gt=0, description="How long the insurance-card step stays open."
    )
    signup_resend_hours: float = Field(
        default=24, gt=0, description="Resends are possible this long after the sign-up."
    )
    signup_max_mails: int = Field(default=10, ge=1, description="Mails one sign-up may ask for.")
    eligibility_max_tries: int = Field(
        default=5, ge=1, description="Insurance-card checks per sign-up (EN-04)."
    )
    checkup_max_code_tries: int = Field(default=5, ge=1, description="EN-06 code tries.")
    checkup_max_answer_tries: int = Field(default=5, ge=1, description="EN-06 answer tries.")

    roster_rows_per_bucket: int = Field(
        default=512, ge=1, le=4096, description="Roster lines kept in one stored document."
    )
    roster_max_file_megabytes: int = Field(
        default=2048, ge=1, description="The largest roster file an import accepts."
    )
    roster_cache_seconds: float = Field(
        default=5, ge=0, description="A new roster is in force for checks within this time."
    )
    claim_grace_seconds: float = Field(
        default=600,
        gt=0,
        description="An unsettled person or address claim older than this "
        "is kept for an eligible sign-up and freed otherwise.",
    )
    upkeep_interval_seconds: float = Field(
        default=300, gt=0, description="How often sign-ups, claims and rosters are tidied."
    )
