"""Request and answer bodies of the OTP step-up, the permission matrix and its decision API,
and the bot defence (issue 12); the other routes' bodies are in ``schemas``."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts.identity import TrustedNetworkEntry
from contracts.permissions import Permissions
from services.identity.domain.permissions import Action, Reason, Resource


class OtpSwitch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(description="ワンタイムパスワード利用: true で利用する")


class OtpSwitchOut(BaseModel):
    enabled: bool


class OtpIssued(BaseModel):
    message: str
    expires_at: datetime = Field(description="The code's end, 10 minutes after it was mailed")


class OtpVerifiedOut(BaseModel):
    otp_verified: bool
    message: str


RiderCode = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class ResourceIn(BaseModel):
    """What the resource side says of the thing acted on."""

    model_config = ConfigDict(extra="forbid")

    org_id: str | None = Field(
        default=None,
        max_length=128,
        description="The organisation whose data or function it is; required",
    )
    owner: str | None = Field(
        default=None,
        max_length=128,
        description="application.read: the user id of whoever entered the application",
    )
    rider_code: RiderCode | None = Field(
        default=None, description="contract.read: the contract's rider (特約コード)"
    )

    def to_resource(self) -> Resource:
        return Resource(org_id=self.org_id, owner=self.owner, rider_code=self.rider_code)


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "action": "contract.read",
                    "resource": {"org_id": "0" * 32, "rider_code": "999999901"},
                    "protected": True,
                }
            ]
        },
    )

    action: str = Field(
        min_length=1,
        max_length=64,
        description="One of: " + ", ".join(a.value for a in Action) + "; anything else is denied",
    )
    resource: ResourceIn = Field(default_factory=ResourceIn)
    protected: bool = Field(
        description="Declared by the resource side: the operation needs an OTP where the "
        "organisation requires one (ID-OTP-04)"
    )


class DecisionOut(BaseModel):
    allow: bool
    reason: Reason
    rule: str = Field(description="The SPEC rule that decided, e.g. ID-PERM-01")
    message: str | None = Field(default=None, description="For the person, when denied")


class PermissionsIn(Permissions):
    """The full matrix of an applicant user (ID-PERM-01), never a patch."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "input_right": "input",
                    "contract_scope": "riders",
                    "rider_codes": ["999999901", "999999902"],
                    "application_scope": "own",
                }
            ]
        },
    )

    rider_codes: tuple[RiderCode, ...] = Field(default=(), max_length=100)


class TrustedAddressesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "entries": [
                        {"organisation": "サンプル健康保険組合", "networks": ["203.0.113.0/24"]}
                    ]
                }
            ]
        },
    )

    entries: list[TrustedNetworkEntry] = Field(max_length=100)


class TrustedAddressesOut(BaseModel):
    entries: list[TrustedNetworkEntry]


class ChallengeOut(BaseModel):
    """An ALTCHA challenge (v2 protocol), as the widget's ``challengeurl`` expects it."""

    model_config = ConfigDict(extra="allow")

    parameters: dict[str, Any]
    signature: str
