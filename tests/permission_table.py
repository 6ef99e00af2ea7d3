"""Seed 004 chapter 1's permission matrix, written out as the seed words it, for the tests that
check identity's decisions against it (ID-PERM-01)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from contracts.permissions import ApplicationScope, ContractScope, InputRight, Permissions

RIDERS = ("999999901", "999999902")
"""The rider codes a riders-scope matrix lists (対象特約のみ参照可能)."""
UNLISTED_RIDER = "999999909"


def matrix(input_right: str, contract: str, application: str) -> Permissions:
    return Permissions(
        input_right=InputRight(input_right),
        contract_scope=ContractScope(contract),
        rider_codes=RIDERS if contract == "riders" else (),
        application_scope=ApplicationScope(application),
    )


ALL_MATRICES = [
    matrix(*cell) for cell in itertools.product(InputRight, ContractScope, ApplicationScope)
]
"""Every combination of the three axes: 3 × 3 × 3."""

Allows = Callable[[Permissions, Any, str], bool]

TABLE: dict[str, Allows] = {
    "application.input": lambda p, resource, me: p.input_right in ("input", "input_apply"),
    "application.apply": lambda p, resource, me: p.input_right == "input_apply",
    "contract.read": lambda p, resource, me: (
        p.contract_scope == "all"
        or (p.contract_scope == "riders" and resource.get("rider_code") in p.rider_codes)
    ),
    "application.read": lambda p, resource, me: (
        p.application_scope == "all"
        or (p.application_scope == "own" and resource.get("owner") == me)
    ),
}
"""Which cell allows which action: 入力・申込権限, 情報データ参照権限, 申込データ参照権限."""


def resources(me: str, other: str) -> list[dict[str, str]]:
    """An own and another's application, a listed and an unlisted rider."""
    return [
        {"owner": owner, "rider_code": rider}
        for owner in (me, other)
        for rider in (RIDERS[0], UNLISTED_RIDER)
    ]
