"""The certs service's settings (X-09): the CA's passphrase, its URLs, and its jobs."""

from pydantic import Field, SecretStr

from servicekit.settings import ServiceSettings
from services.certs.usecases.signing import KeyAlgorithm


class CertsSettings(ServiceSettings):
    service_name: str = "certs"
    http_port: int = 8003

    realm: str = Field(default="kihonet", description="The realm whose CA this is (CT).")
    ca_name: str = Field(default="Kihonet Client CA", description="The CA certificate's CN.")
    ca_key_algorithm: KeyAlgorithm = Field(
        default=KeyAlgorithm.EC_P256, description="The CA's key, made on first start."
    )
    ca_key_passphrase: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "Encrypts the CA's private keys at rest (CT-11). Required: the service refuses to "
            "start without it. Keep it in a secret store; losing it loses the CA."
        ),
    )
    public_url: str = Field(
        default="http://127.0.0.1:8003",
        description="Where relying parties reach the CA: the CRL, OCSP and CA certificate URLs "
        "named in every certificate are below it.",
    )
    crl_validity_hours: float = Field(
        default=24, gt=0, description="A CRL's nextUpdate after its thisUpdate."
    )
    crl_interval_seconds: float = Field(
        default=3600, gt=0, description="How often the CRL is published even without revocations."
    )
    reminder_interval_seconds: float = Field(
        default=3600, gt=0, description="How often due reminders (CT-07) are looked for."
    )
    gateway_secret: SecretStr = Field(
        default=SecretStr(""),
        description="Shared with the gateway: a request carrying it may present the client "
        "certificate the gateway verified (renewal through mTLS, CT-05); empty: never.",
    )
