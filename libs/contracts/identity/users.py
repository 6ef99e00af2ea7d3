"""Identity's events about users: created, profile, status, permissions, OTP policy."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, field_serializer

from contracts.common import (
    EmailAddress,
    LoginId,
    Note,
    Role,
    UserProfile,
)
from contracts.envelope import IdentityEvent
from contracts.permissions import Permissions

# --- users -----------------------------------------------------------------------------------


class UserStatus(StrEnum):
    """使用状態 (ID-USER-05): an inactive user cannot log in."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class ProfileField(StrEnum):
    """The parts of a profile a change can touch (login ID included: ID-USER-08)."""

    LOGIN_ID = "login_id"
    NAME = "name"
    DEPARTMENT = "department"
    TITLE = "title"
    EMAIL = "email"
    PHONE = "phone"


class UserCreated(IdentityEvent):
    """A user was created: an organisation's admin with the organisation, a business user by
    the admin, a member by enrolment, a support operator (ID-USER-01, -03, -04, -09)."""

    type: Literal["UserCreated"] = "UserCreated"
    version: Literal[1] = 1
    login_id: LoginId
    role: Role
    profile: UserProfile
    status: UserStatus = UserStatus.ACTIVE
    permissions: Permissions | None = None
    """The business user's permissions at creation (`nexi`, ID-PERM-01), if the realm has them."""


class UserProfileChanged(IdentityEvent):
    """A profile changed; carries the *full new* profile (ID-USER-06), not a patch, so audit
    knows the profile as it was at each moment (AU-01) from this one event."""

    type: Literal["UserProfileChanged"] = "UserProfileChanged"
    version: Literal[1] = 1
    login_id: LoginId
    """The login ID after the change (members may change it, ID-USER-08)."""
    profile: UserProfile
    changed_fields: Annotated[frozenset[ProfileField], Field(min_length=1)]
    completion_notice_to: EmailAddress | None = None
    """Where the completion mail goes (ID-PW-07, `mypage`); ``None`` when the realm sends none."""

    @field_serializer("changed_fields")
    def _sorted_fields(self, value: frozenset[ProfileField]) -> list[str]:
        """Sorted, so the same event always serialises to the same bytes."""
        return sorted(value)


class UserStatusChanged(IdentityEvent):
    """A user was made active or inactive (ID-USER-05); deactivation also ends sessions."""

    type: Literal["UserStatusChanged"] = "UserStatusChanged"
    version: Literal[1] = 1
    status: UserStatus
    previous_status: UserStatus
    note: Note | None = None


class PermissionsChanged(IdentityEvent):
    """A business user's permissions were set anew by the admin (ID-PERM-01); full new set."""

    type: Literal["PermissionsChanged"] = "PermissionsChanged"
    version: Literal[1] = 1
    permissions: Permissions


class OtpPolicyChanged(IdentityEvent):
    """The admin turned the organisation's OTP step-up on or off (ID-OTP-01).

    ``subject_id`` is the organisation id here: the policy belongs to the organisation.
    """

    type: Literal["OtpPolicyChanged"] = "OtpPolicyChanged"
    version: Literal[1] = 1
    enabled: bool
