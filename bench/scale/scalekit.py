"""What the areas of ``bench/scale`` share: the sizes, a measured figure, and an area's shape.

An *area* is one service's data and its hot operations (``identity_area``, ``audit_area``, …).
``run.py`` grows every area's data step by step (1 %, 10 %, 100 % of the sizes) and measures
each area's operations after every step; the growth factor of an operation is its cost at the
last step over its cost at the first. Seeding is written in bulk through the stores' own
document mapping (never the API), and each item is numbered, so growing from one step to the
next writes only the items ``[done, target)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Protocol

from harness import Infra, Namespace


@dataclass(frozen=True)
class Sizes:
    """The data years of use leave behind (issue 24's figures); ``run.py`` takes each as a flag."""

    users: int = 1_000_000
    orgs: int = 10_000
    sessions: int = 1_000_000
    access_records: int = 10_000_000
    months: int = 13
    certificates: int = 100_000
    roster_lines: int = 1_000_000
    mails: int = 1_000_000

    def scaled(self, fraction: float) -> Sizes:
        """Every count times ``fraction`` (at least 1), but the months and organisations: the
        same portal, younger. A smaller portal has fewer organisations too, but keeping them
        makes a one-organisation figure compare like with like across steps."""
        kept = {"months", "orgs"}
        return replace(
            self,
            **{
                f.name: max(1, round(getattr(self, f.name) * fraction))
                for f in fields(self)
                if f.name not in kept
            },
        )


@dataclass(frozen=True)
class Figure:
    """One operation's cost at one step."""

    operation: str
    unit: str
    value: float
    commands: float | None = None
    """Database commands per operation, from the services' ``mongodb_commands_total``."""
    higher_is_better: bool = False
    """A rate (more is better) or a latency / duration (less is better)."""

    def cost(self) -> float:
        """What grows when the operation gets dearer: a latency, or the inverse of a rate."""
        return 1 / self.value if self.higher_is_better else self.value


def growth(first: Figure, last: Figure) -> float:
    """Cost at the last step over cost at the first (goal: at most 1.5)."""
    return last.cost() / first.cost()


def numbered(start: int, stop: int, chunk: int) -> Iterator[range]:
    """``[start, stop)`` in chunks of ``chunk``: one bulk insert each."""
    for low in range(start, stop, chunk):
        yield range(low, min(low + chunk, stop))


class Area(Protocol):
    """One service's data and hot operations, driven by ``run.py``."""

    name: str

    async def start(self, infra: Infra, ns: Namespace, log_dir: Path) -> None:
        """Start the service processes the operations go through."""

    async def grow(self, sizes: Sizes) -> None:
        """Seed up to ``sizes`` (already scaled to this step) from where the last step left."""

    async def measure(self) -> list[Figure]:
        """Each hot operation's figure at the current size."""

    async def stop(self) -> None:
        """Stop the processes; ``run.py`` drops the databases."""
