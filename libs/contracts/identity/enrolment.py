"""Identity's side of kencom's self sign-up (EN-05, EN-08): the saga's compensation.

Enroll's ``EligibilityChecked`` with the outcome ``eligible`` asks identity to turn the
credential it holds for that sign-up into a member; identity answers with ``UserCreated``
(``subject_id`` = the sign-up id, which becomes the member's user id) or, when it cannot, with
:class:`MemberEnrolmentRefused`, so that enroll frees the person and the address the sign-up
held and the person may start again. Either way the sign-up ends; never both.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from contracts.envelope import IdentityEvent


class EnrolmentRefusal(StrEnum):
    """Why identity could not create the member a sign-up asked for."""

    LOGIN_ID_TAKEN = "login_id_taken"
    """Another member has this address (equal ignoring case, ID-USER-02) since the sign-up."""
    CREDENTIAL_EXPIRED = "credential_expired"
    """The credential held for the sign-up was forgotten before eligibility was announced."""


class MemberEnrolmentRefused(IdentityEvent):
    """Identity created no member for an eligible sign-up (``subject_id`` = the sign-up id).

    No address and no secret: enroll knows the sign-up's address itself (X-02).
    """

    type: Literal["MemberEnrolmentRefused"] = "MemberEnrolmentRefused"
    version: Literal[1] = 1
    reason: EnrolmentRefusal
