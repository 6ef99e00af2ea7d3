"""What a person types, checked the same at both doors: the JSON API's bodies and the pages'
forms validate with these models, so one rule refuses the same input wherever it is typed.

Parsed, not just validated (X-05): a profile's text arrives in the form it is stored in
(full-width, X-07) or is refused with the field and the character at fault.
"""

from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from contracts.common import UserProfile
from services.identity.domain import profiles
from services.identity.domain.refusals import ProfileRefused


def _stored(check: Callable[[str], str]) -> AfterValidator:
    """A field checked by a domain rule, its refusal reported at the field (X-07)."""

    def validate(value: str) -> str:
        try:
            return check(value)
        except ProfileRefused as refused:
            raise PydanticCustomError("profile", refused.detail or "") from None

    return AfterValidator(validate)


def _text(field: str) -> AfterValidator:
    return _stored(lambda value: profiles.checked_text(field, value))


class ProfileIn(BaseModel):
    """A profile as an admin or support types it (ID-USER-06): names, departments and titles
    in JIS X 0208, stored full-width; e-mail and phone half-width."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200), _text("name")] | None = Field(
        default=None, examples=["日本 太郎"], description="氏名 (全角50文字以内)"
    )
    department: Annotated[str, Field(min_length=1, max_length=200), _text("department")] | None = (
        Field(default=None, description="所属名 (全角25文字以内)")
    )
    title: Annotated[str, Field(min_length=1, max_length=200), _text("title")] | None = Field(
        default=None, description="役職名 (全角50文字以内)"
    )
    email: Annotated[str, Field(max_length=254), _stored(profiles.checked_email)] | None = Field(
        default=None, examples=["taro@example.jp"], description="半角50文字以内"
    )
    phone: Annotated[str, Field(max_length=254), _stored(profiles.checked_phone)] | None = Field(
        default=None, examples=["03-1234-5678"], description="半角数字とハイフン20文字以内"
    )

    def to_profile(self) -> UserProfile:
        return UserProfile(**self.model_dump(exclude_none=True))


class AuthEmailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=50, pattern=profiles.EMAIL.pattern)


class ForcedPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_password: str = Field(min_length=1, max_length=128, repr=False)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=128, repr=False)
    new_password: str = Field(min_length=1, max_length=128, repr=False)
    hint: str | None = Field(
        default=None, max_length=50, description="パスワードのヒント (dantai-net)", repr=False
    )


class EmailChangeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=128, repr=False)
    new_email: str = Field(min_length=3, max_length=50, pattern=profiles.EMAIL.pattern)


class LoginIdChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=128, repr=False)
    login_id: str = Field(min_length=1, max_length=254, examples=["kyosai-taro2"])


class PhoneChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(
        min_length=1,
        max_length=20,
        pattern=profiles.PHONE.pattern,
        examples=["03-1234-5678"],
        description="半角数字とハイフン",
    )


class OtpEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[0-9]{6}$", description="The six digits of the mail", repr=False)
