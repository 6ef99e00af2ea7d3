"""Identity's events about business-ID requests (ID-USER-10, `dantai-net`), added with the
support console (issue 22).

``BusinessIdRequested``: the organisation's admin asked for a business ID; the request holds
the ID and a slot of the realm's limit until the support desk decides. ``BusinessIdRequestRefused``:
the support desk refused it; the ID and the slot are free again. An approval needs no event of
its own: it is the business user's ``UserCreated`` and its password notice
(``InitialPasswordIssued``). Both name the requested user id as ``subject_id``, so a request's
story (asked, then created or refused) stays in order on one partition, and audit shows who did
each step.
"""

from __future__ import annotations

from typing import Literal

from contracts.common import LoginId, Note
from contracts.envelope import IdentityEvent


class BusinessIdRequested(IdentityEvent):
    """The admin applied for a business ID (seed 000 Q4: 業務用IDを追加申込)."""

    type: Literal["BusinessIdRequested"] = "BusinessIdRequested"
    version: Literal[1] = 1
    login_id: LoginId


class BusinessIdRequestRefused(IdentityEvent):
    """The support desk refused an admin's request for a business ID; ``note`` says why."""

    type: Literal["BusinessIdRequestRefused"] = "BusinessIdRequestRefused"
    version: Literal[1] = 1
    login_id: LoginId
    note: Note | None = None
