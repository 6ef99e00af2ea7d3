"""A business user's permissions (ID-PERM-01, realm `nexi`), as events carry them.

A full set, never a patch, so that any consumer can rebuild a user's permissions from the
latest ``PermissionsChanged`` (or ``UserCreated``) alone.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

__all__ = [
    "ApplicationScope",
    "ContractScope",
    "InputRight",
    "Permissions",
    "RiderCode",
]

RiderCode = Annotated[str, StringConstraints(min_length=1, max_length=32)]
"""A contract rider's code (特約コード): names a kind of rider, public, not a secret."""


class InputRight(StrEnum):
    """Whether the user may input and/or submit applications (入力・申込権限)."""

    NONE = "none"
    INPUT = "input"
    INPUT_APPLY = "input_apply"


class ContractScope(StrEnum):
    """Which contract data the user may read (情報データ参照範囲)."""

    NONE = "none"
    ALL = "all"
    RIDERS = "riders"
    """Only the riders listed in ``rider_codes`` (対象特約のみ参照可能)."""


class ApplicationScope(StrEnum):
    """Which application data the user may read (申込データ参照範囲)."""

    NONE = "none"
    OWN = "own"
    ALL = "all"


class Permissions(BaseModel):
    """The three permission axes of ID-PERM-01. The admin implicitly has the maximum of each."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", hide_input_in_errors=True, use_attribute_docstrings=True
    )

    input_right: InputRight
    contract_scope: ContractScope
    rider_codes: tuple[RiderCode, ...] = ()
    """Non-empty exactly when ``contract_scope`` is ``riders``."""
    application_scope: ApplicationScope

    @model_validator(mode="after")
    def _riders_listed_only_for_rider_scope(self) -> Self:
        """A rider scope without riders would read nothing; riders without it would mislead."""
        if self.contract_scope is ContractScope.RIDERS and not self.rider_codes:
            raise ValueError("contract_scope 'riders' needs a non-empty rider_codes list")
        if self.contract_scope is not ContractScope.RIDERS and self.rider_codes:
            raise ValueError("rider_codes are only allowed with contract_scope 'riders'")
        return self
