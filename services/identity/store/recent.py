"""What this process read lately, trusted for a short time: a bounded cache on the clock.

Used where a read on every request would cost more than the request (introspection's policies,
the decision API's sessions). Expiry is by the service's injected clock (X-04), so tests move
the clock instead of waiting, and the size is bounded (X-14).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from servicekit.clock import Clock

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class _Entry(Generic[V]):
    value: V
    read_at: datetime


class Recent(Generic[K, V]):
    """Values read lately: each for ``ttl`` by the injected clock, at most ``size`` of them
    (the least recently used goes first)."""

    def __init__(self, clock: Clock, ttl: timedelta, size: int) -> None:
        self.clock = clock
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()

    def get(self, key: K, within: timedelta | None = None) -> _Entry[V] | None:
        """The value if read within ``ttl`` (or the shorter ``within`` this caller trusts)."""
        entry = self._entries.get(key)
        trusted = self.ttl if within is None else min(within, self.ttl)
        if entry is None or self.clock.now() - entry.read_at >= trusted:
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: K, value: V) -> None:
        if self.ttl <= timedelta(0):
            return  # nothing is trusted: keep nothing
        self._entries[key] = _Entry(value, self.clock.now())
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def amend(self, key: K, value: V) -> None:
        """A value this process changed itself, trusted no longer than the one it replaces."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries[key] = _Entry(value, entry.read_at)

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def forget_where(self, unwanted: Callable[[V], bool]) -> None:
        for key in [k for k, e in self._entries.items() if unwanted(e.value)]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
