"""Identity's events about an organisation's own details (ID-USER-11, `dantai-net`), added with
団体情報変更 (issue 23).

``OrganisationContactChanged``: the organisation's admin changed its contact (窓口担当者: name,
e-mail, phone, postal address). Like ``UserProfileChanged`` it carries the *full new* contact,
not a patch, so audit shows the contact as it was at each moment from this one event; and like
``OtpPolicyChanged`` its ``subject_id`` is the organisation id, since the contact belongs to
the organisation. It carries no secret (X-02): the phone number opens the password notice's
attachment (NT-06), but only together with the notice itself, which never travels in clear.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_serializer

from contracts.common import EmailAddress
from contracts.envelope import IdentityEvent


class OrgContact(BaseModel):
    """An organisation's contact (第1窓口担当者) as it is at one moment (ID-USER-11): where its
    password notices go and the phone that opens them (NT-06)."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", hide_input_in_errors=True, use_attribute_docstrings=True
    )

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    """The contact person's name (担当者名), full-width."""
    email: EmailAddress
    """Where the organisation's notices go (パスワード通知書, NT-06)."""
    phone: Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[0-9-]+$")]
    """The contact's phone: half-width digits and hyphens; its digits open the notice (NT-06)."""
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{3}-[0-9]{4}$")]
    """郵便番号, ``123-4567``."""
    address: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    """住所, full-width."""


class ContactField(StrEnum):
    """The parts of an organisation's contact a change can touch."""

    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    POSTAL_CODE = "postal_code"
    ADDRESS = "address"


class OrganisationContactChanged(IdentityEvent):
    """The organisation's admin changed its contact (seed 000: 団体情報を変更する)."""

    type: Literal["OrganisationContactChanged"] = "OrganisationContactChanged"
    version: Literal[1] = 1
    contact: OrgContact
    changed_fields: Annotated[frozenset[ContactField], Field(min_length=1)]
    previous_email: EmailAddress | None = None
    """The address notices went to before, where the change moved them; ``None`` otherwise."""
    completion_notice_to: EmailAddress
    """Where the completion mail goes: the new contact's address."""

    @field_serializer("changed_fields")
    def _sorted_fields(self, value: frozenset[ContactField]) -> list[str]:
        """Sorted, so the same event always serialises to the same bytes."""
        return sorted(value)
