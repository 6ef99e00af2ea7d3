"""Identity's HTTP request and response bodies (OpenAPI shows them with their examples).

Bodies are parsed, not just validated (X-05): a profile's text arrives in the form it is stored
in (full-width, X-07) or is refused with the field and the character at fault.
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from contracts.common import UserProfile
from contracts.permissions import Permissions
from services.identity.api.access_schemas import PermissionsIn
from services.identity.domain.temporary import MAIL_SENT_ANSWER
from services.identity.usecases.inputs import (
    AuthEmailIn,
    EmailChangeRequest,
    ForcedPassword,
    LoginIdChange,
    OtpEntry,
    PasswordChange,
    PhoneChange,
    ProfileIn,
)


class NewAdmin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_id: str = Field(
        min_length=1, max_length=254, examples=["XA3000001"], description="半角英数字"
    )
    profile: ProfileIn = Field(default_factory=ProfileIn)


class NewOrganisation(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "サンプル健康保険組合",
                    "admin": {
                        "login_id": "XA3000001",
                        "profile": {"name": "山田太郎", "email": "admin@example.jp"},
                    },
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100, description="団体名")
    admin: NewAdmin


class OrganisationOut(BaseModel):
    realm: str
    org_id: str
    name: str
    admin_user_id: str
    admin_login_id: str
    created_at: datetime
    otp_enabled: bool = Field(default=False, description="ワンタイムパスワード利用 (ID-OTP-01)")
    initial_password: str | None = Field(
        default=None,
        description="The admin's initial password: shown once, in the answer that created it.",
    )


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_id: str = Field(min_length=1, max_length=254, examples=["XA3000001"])
    password: str = Field(min_length=1, max_length=128, repr=False)
    remember_id: bool = Field(default=False, description="次回ログインからIDの入力を省略")
    challenge: str | None = Field(
        default=None,
        max_length=4096,
        description="The solved ALTCHA challenge (base64), where the realm has the bot defence "
        "(ID-BOT-01); from a trusted network under its failure limit it may be left out",
        repr=False,
    )


class LoginOut(BaseModel):
    user_id: str
    role: str
    previous_login_at: datetime | None = Field(description="前回ログイン日時 (Asia/Tokyo)")
    password_change_required: bool
    pending_steps: list[str] = Field(
        default_factory=list,
        description="ID-LOGIN-01 steps 7-9 this login must still do; empty: a full session",
    )


class StepOut(BaseModel):
    step: str = Field(
        description="password_change | browser_registration | auth_email_address | login_link"
    )
    state: str = Field(
        description="to_do | waiting (an earlier step first) | mailed | expired | superseded | "
        "at_completion | done"
    )
    expires_at: datetime | None = None


class LoginProgressOut(BaseModel):
    steps: list[StepOut]
    ready: bool = Field(description="Every step is done: POST …/login/complete for the session")
    message: str | None = Field(default=None, description="What the waiting screen says")


class LinkTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=20, max_length=100, repr=False)


class ResetNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, min_length=1, max_length=500, description="why")


class NewBusinessUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=254,
        examples=["XA5000001"],
        description="The new user's login ID; none where the realm assigns it (nexi, "
        "ID-USER-12: the realm's next number, 11 digits, answered in login_id)",
    )
    profile: ProfileIn = Field(default_factory=ProfileIn)
    permissions: PermissionsIn | None = Field(
        default=None,
        description="The permission matrix (ID-PERM-01, nexi): none given is none granted",
    )


class BusinessUserOut(BaseModel):
    user_id: str
    login_id: str
    initial_password: str | None = Field(
        default=None, description="Shown once, to the admin, who passes it on (ID-PW-03)."
    )
    pending: bool = Field(
        default=False, description="A request awaiting the support desk's approval (ID-USER-10)."
    )


class BusinessUserView(BaseModel):
    user_id: str
    login_id: str
    status: str
    locked: bool
    profile: UserProfile


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool = Field(description="使用状態: true で使用可、false で使用不可")


class TemporaryPasswordRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_id: str = Field(min_length=1, max_length=254)
    email: str = Field(min_length=3, max_length=254)


class Accepted(BaseModel):
    message: str


class PasswordResetRequest(BaseModel):
    """kencom's 「パスワードを忘れた方はこちら」: the address the member logs in with (ID-PW-08)."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)


class PasswordResetIn(BaseModel):
    """The reset link's token and the new password (ID-PW-08, ID-PW-02)."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=20, max_length=100, repr=False)
    new_password: str = Field(min_length=1, max_length=128, repr=False)


EmailChangeConfirmation = LinkTokenIn


class HintRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_id: str = Field(min_length=1, max_length=254)


class HintOut(BaseModel):
    hint: str | None


class NewSupportOperator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_id: str = Field(min_length=1, max_length=254, description="半角英数字")


class SupportOperatorOut(BaseModel):
    user_id: str
    login_id: str
    initial_password: str | None = Field(
        default=None, description="Shown once, in the answer that created the operator."
    )


class NewGroupReader(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_id: str = Field(min_length=1, max_length=254)
    org_ids: list[Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]] = Field(
        min_length=1, max_length=200
    )


class SessionOut(BaseModel):
    """What the gateway forwards as headers (GW-02): who, the matrix, the OTP state."""

    user_id: str
    realm: str
    org_id: str | None
    role: str
    login_id: str
    restricted: bool
    otp_verified: bool = Field(description="An OTP was entered in this session (ID-OTP-03)")
    previous_login_at: datetime | None
    expires_at: datetime
    readable_org_ids: list[str]
    pending_steps: list[str] = Field(
        description="ID-LOGIN-01 steps 7-9 still to do (e.g. password_change); empty: full session"
    )
    steps: list[StepOut] = Field(
        default_factory=list, description="Where each pending step stands (a pending login only)"
    )
    permissions: Permissions | None = Field(
        default=None,
        description="The permission matrix as it is now (ID-PERM-01); null where none applies",
    )
    otp_required: bool = Field(
        default=False,
        description="The organisation requires an OTP for protected operations (ID-OTP-01)",
    )


class NewMember(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "login_id": "kyosai-taro",
                    "profile": {"name": "共済太郎", "email": "taro@example.jp"},
                }
            ]
        },
    )

    login_id: str = Field(min_length=1, max_length=254)
    profile: ProfileIn = Field(description="e-mail is required: the initial password goes there")


class ForgottenIdRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(
        default=None,
        max_length=254,
        description="Accepted and never checked: the answer does not depend on it (ID-LOGIN-05).",
    )


class ForgottenIdOut(BaseModel):
    route: str = Field(description="admin_lists | support_desk")
    message: str


__all__ = [  # the inputs both doors read, named here as the API's bodies
    "MAIL_SENT_ANSWER",
    "AuthEmailIn",
    "EmailChangeRequest",
    "ForcedPassword",
    "LoginIdChange",
    "OtpEntry",
    "PasswordChange",
    "PhoneChange",
    "ProfileIn",
]
