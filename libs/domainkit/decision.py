"""What a decision answers, and the envelope every event it announces carries (X-01)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from contracts import Actor
from contracts.envelope import Event

State = TypeVar("State")
Outcome = TypeVar("Outcome")


@dataclass(frozen=True)
class Decision(Generic[State, Outcome]):
    """The next state of an aggregate and the events that announce it, and what to answer.

    ``state is None`` means "nothing to commit": a repeat, or a refusal that changes nothing.
    A refusal that must be recorded (a failed login) commits its events and answers the
    refusal as its ``outcome``.
    """

    outcome: Outcome
    state: State | None = None
    events: tuple[Event, ...] = ()

    @classmethod
    def nothing(cls, outcome: Outcome) -> Decision[State, Outcome]:
        return cls(outcome)

    @classmethod
    def commit(cls, outcome: Outcome, state: State, *events: Event) -> Decision[State, Outcome]:
        return cls(outcome, state, tuple(events))


def envelope(
    realm: str,
    org_id: str | None,
    subject_id: str,
    actor: Actor,
    correlation_id: str,
    now: datetime,
) -> dict[str, Any]:
    """The X-01 envelope fields of an event, as keyword arguments for its constructor."""
    return {
        "occurred_at": now,
        "realm": realm,
        "org_id": org_id,
        "subject_id": subject_id,
        "actor": actor,
        "correlation_id": correlation_id,
    }
