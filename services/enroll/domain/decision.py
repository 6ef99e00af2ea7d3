"""What a decision answers, and the envelope every enroll event shares (X-01)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from contracts import Actor
from contracts.envelope import Event

State = TypeVar("State")
Outcome = TypeVar("Outcome")

REALM = "kencom"
"""The one realm enrolment serves (SPEC section 6)."""


@dataclass(frozen=True)
class Decision(Generic[State, Outcome]):
    """The next state of an aggregate and the events that announce it, and what to answer.

    ``state is None``: nothing to commit (a repeat, or a refusal that changes nothing).
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


def envelope(subject_id: str, actor: Actor, correlation_id: str, now: datetime) -> dict[str, Any]:
    """The X-01 envelope fields of an enroll event (members have no organisation)."""
    return {
        "occurred_at": now,
        "realm": REALM,
        "org_id": None,
        "subject_id": subject_id,
        "actor": actor,
        "correlation_id": correlation_id,
    }
