"""The portal the audit and notify areas seed, and how they time a page of it.

Organisations are numbered: organisation ``n`` has a 32-hex id (the form the support console's
search takes) and belongs to one of the realms in turn. An item's time is spread by the golden
ratio, so every prefix of the numbered items already covers the whole period evenly: a step
that grows the data adds items across all of it, as more years of use would, not only at its end.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import httpx
from benchkit import CommandsPerOperation

REALMS: Final = ("dantai-net", "kihonet", "mypage", "kencom", "nexi", "demo")
"""The realms audit keeps a history of (``services.audit.domain.period.KNOWN_REALMS``)."""

USERS_PER_ORG: Final = 100
"""1,000,000 users across 10,000 organisations (issue 24)."""

_IDS: Final = uuid.UUID("0b3c5a4e-24a1-4d8e-9c57-5ca1e0000024")
_GOLDEN: Final = (5**0.5 - 1) / 2


def org_id(n: int) -> str:
    """Organisation ``n``'s id: 32 hex digits, as identity gives them."""
    return uuid.uuid5(_IDS, f"org:{n}").hex


def realm_of(n: int) -> str:
    return REALMS[n % len(REALMS)]


def measured_org(area: str) -> str:
    """The one organisation an area measures, whose data stays the same size at every step."""
    return uuid.uuid5(_IDS, f"measured:{area}").hex


def spread(i: int) -> float:
    """Item ``i``'s place in its period, in ``[0, 1)``: any ``n`` first items cover it evenly."""
    return (i * _GOLDEN) % 1.0


def at(i: int, start: datetime, end: datetime) -> datetime:
    """Item ``i``'s time in ``[start, end)``."""
    return start + (end - start) * spread(i)


@dataclass(frozen=True)
class Timed:
    """A page asked ``requests`` times one after the other."""

    p50_ms: float
    commands: float


async def timed_gets(
    service_url: str,
    path: str,
    requests: int,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Timed:
    """The page's p50 latency over ``requests`` GETs, and the database commands each cost the
    service (its ``mongodb_commands_total``). One warm-up request first, not counted."""
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=service_url, timeout=600) as client:
        (await client.get(path, params=params, headers=headers)).raise_for_status()
        async with CommandsPerOperation(service_url) as counted:
            for _ in range(requests):
                started = time.perf_counter()
                answer = await client.get(path, params=params, headers=headers)
                latencies.append(time.perf_counter() - started)
                answer.raise_for_status()
    return Timed(statistics.median(latencies) * 1000, counted.per(requests))
