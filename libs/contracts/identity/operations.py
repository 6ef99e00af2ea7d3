"""Operations that outside systems report for a user (AU-01, AU-02)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from contracts.common import (
    Identifier,
    IpAddress,
    LoginId,
    UserAgent,
)
from contracts.envelope import IdentityEvent

OperationCode = Annotated[
    str, StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z]+(-[0-9A-Za-z]+)*$")
]
"""An operation's catalogue code as in seed 004, e.g. ``1-2`` for パスワード変更 (AU-02). Public,
not a secret: it names a kind of operation."""


# --- operations from outside systems ---------------------------------------------------------


class OperationPerformed(IdentityEvent):
    """A user performed an operation in another system (AU-01, AU-02).

    For example ``[1-4] Web申込状況一覧の参照`` reported by the application system.

    Published on ``identity.events`` keyed by the user, beside that user's profile changes, so
    that in the usual case audit sees the profile before the operations that follow it.
    ``actor`` is the reporting system (kind ``service``) or the user.
    """

    type: Literal["OperationPerformed"] = "OperationPerformed"
    version: Literal[1] = 1
    source_system: Identifier
    login_id: LoginId
    operation_code: OperationCode
    operation_label: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    ip: IpAddress | None = None
    user_agent: UserAgent | None = None
