"""A user's profile as it was at each moment (AU-01): pure rules, no I/O.

Seed 004: 氏名・所属名・役職名 "are shown as they were when the operation was done, even when the
Web user's information changed within the period". Identity announces every profile with
``UserCreated`` and ``UserProfileChanged``, each carrying the whole profile, so one user's
history is just the list of those profiles with their times. Operations resolve against the
history when the CSV is written, not when they are recorded: a rename consumed after the
operation it precedes (another topic, no order between them) still shows on the right row.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts import UserCreated, UserProfileChanged


@dataclass(frozen=True)
class ProfileVersion:
    """The profile from ``since`` on: the login ID and what the CSV shows beside it."""

    since: datetime
    event_id: str
    login_id: str
    name: str | None = None
    department: str | None = None
    title: str | None = None
    email: str | None = None
    """The registered address: where a finished export job is announced (issue 16)."""

    @classmethod
    def of(cls, event: UserCreated | UserProfileChanged) -> ProfileVersion:
        profile = event.profile
        return cls(
            since=event.occurred_at,
            event_id=str(event.event_id),
            login_id=event.login_id,
            name=profile.name,
            department=profile.department,
            title=profile.title,
            email=profile.email,
        )

    def to_document(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> ProfileVersion:
        return cls(
            since=doc["since"],
            event_id=doc["event_id"],
            login_id=doc["login_id"],
            name=doc.get("name"),
            department=doc.get("department"),
            title=doc.get("title"),
            email=doc.get("email"),
        )


def with_versions(
    history: Sequence[ProfileVersion], versions: Sequence[ProfileVersion]
) -> tuple[ProfileVersion, ...] | None:
    """The history with ``versions`` in their places by time; ``None`` if all are there already.

    Versions may arrive in any order and more than once (X-03): the event id makes a repeat a
    no-op, and sorting by time (then event id, for equal times) makes arrival order irrelevant.
    """
    known = {v.event_id for v in history}
    new = {v.event_id: v for v in versions if v.event_id not in known}
    if not new:
        return None
    return tuple(sorted((*history, *new.values()), key=lambda v: (v.since, v.event_id)))


def as_of(history: Sequence[ProfileVersion], instant: datetime) -> ProfileVersion | None:
    """The version in force at ``instant``: the latest one that began at or before it.

    An operation stamped before the user's first known version (two services' clocks a little
    apart) gets that first version: a user has no profile older than their creation.
    """
    if not history:
        return None
    at = bisect.bisect_right([v.since for v in history], instant)
    return history[max(at - 1, 0)]
