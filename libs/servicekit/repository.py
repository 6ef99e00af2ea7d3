"""Typed aggregates on the versioned store: documents are mapped to aggregates in one place.

A service's domain decides on typed values (frozen dataclasses) and answers a decision: an
outcome, the next state (or none) and its events. A :class:`Repository` loads an aggregate's
latest commit, maps the document to the aggregate, runs the decision, maps the next state back
and commits it through :class:`~servicekit.store.VersionedStore` (X-13: on a lost race it reloads
and decides again). Nothing outside the mapping functions reads a stored document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from contracts.envelope import Event
from servicekit.store import Change, Document, Loaded, VersionedStore

A = TypeVar("A")
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
A_co = TypeVar("A_co", covariant=True)


class Decided(Protocol[A_co, T_co]):
    """What a domain decision answers (each domain has its own ``Decision`` type)."""

    @property
    def outcome(self) -> T_co: ...

    @property
    def state(self) -> A_co | None: ...

    @property
    def events(self) -> Sequence[Event]: ...


@dataclass(frozen=True)
class Versioned(Generic[A]):
    """An aggregate as of its latest version; ``state is None``: it does not exist."""

    state: A | None
    loaded: Loaded

    @property
    def version(self) -> int:
        return self.loaded.version


class Repository(Generic[A]):
    """One kind of aggregate: how it is stored, and the only way it changes."""

    def __init__(
        self,
        store: VersionedStore,
        to_document: Callable[[A], Document],
        from_document: Callable[[Document], A],
    ) -> None:
        self.store = store
        self._to_document = to_document
        self._from_document = from_document

    def _state(self, loaded: Loaded) -> A | None:
        return None if loaded.state is None else self._from_document(loaded.state)

    async def load(
        self, aggregate_id: str, *, trust_hint: bool = False, remembered: bool = False
    ) -> Versioned[A]:
        """The latest version (``VersionedStore.load``: ``trust_hint`` and ``remembered`` are
        for a caller that decides through ``update(known=…)``, where a commit proves it)."""
        loaded = await self.store.load(aggregate_id, trust_hint=trust_hint, remembered=remembered)
        return Versioned(self._state(loaded), loaded)

    async def get(self, aggregate_id: str) -> A | None:
        """The latest state, or ``None``: for reads that decide nothing."""
        return (await self.load(aggregate_id)).state

    async def update(
        self,
        aggregate_id: str,
        decide: Callable[[A | None], Decided[A, T]],
        *,
        known: Versioned[A] | None = None,
    ) -> T:
        """Decide on the latest version and commit the next one (see ``VersionedStore.update``:
        ``decide`` must be pure, as it may run again after a lost race)."""

        def change(loaded: Loaded) -> Change[T]:
            current = known.state if known is not None and loaded is known.loaded else None
            if current is None:
                current = self._state(loaded)
            decided = decide(current)
            state: Any = decided.state
            return Change(
                outcome=decided.outcome,
                state=None if state is None else self._to_document(state),
                events=tuple(decided.events),
            )

        return await self.store.update(
            aggregate_id, change, known=None if known is None else known.loaded
        )
