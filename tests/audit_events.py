"""Events as producers publish them, for the audit tests and bench: one user's story at a time.

They go to the real topics with a raw producer (``publish``), so audit consumes them exactly as
it consumes identity's and certs' own: audit cannot tell a test from a producer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts import (
    Actor,
    Event,
    LoginSucceeded,
    OperationPerformed,
    UserCreated,
    UserProfileChanged,
)
from contracts.common import Role, UserProfile
from contracts.envelope import ActorKind
from contracts.identity import ProfileField
from servicekit.publish import make_producer


@dataclass(frozen=True)
class User:
    """A user of one organisation, as the events about them name them."""

    realm: str
    org_id: str
    login_id: str
    user_id: str = ""

    def __post_init__(self) -> None:
        if not self.user_id:
            object.__setattr__(self, "user_id", uuid.uuid4().hex)

    def _envelope(self, at: datetime) -> dict[str, object]:
        return {
            "occurred_at": at,
            "realm": self.realm,
            "org_id": self.org_id,
            "subject_id": self.user_id,
            "actor": Actor(kind=ActorKind.USER, id=self.user_id),
            "correlation_id": uuid.uuid4().hex,
        }

    def created(self, at: datetime, **profile: str) -> UserCreated:
        return UserCreated(
            **self._envelope(at),  # type: ignore[arg-type]
            login_id=self.login_id,
            role=Role.BUSINESS,
            profile=UserProfile(**profile),
        )

    def renamed(self, at: datetime, **profile: str) -> UserProfileChanged:
        return UserProfileChanged(
            **self._envelope(at),  # type: ignore[arg-type]
            login_id=self.login_id,
            profile=UserProfile(**profile),
            changed_fields=frozenset({ProfileField.NAME}),
        )

    def logged_in(self, at: datetime, user_agent: str | None = None) -> LoginSucceeded:
        return LoginSucceeded(
            **self._envelope(at),  # type: ignore[arg-type]
            login_id=self.login_id,
            ip="192.0.2.10",
            user_agent=user_agent,
        )

    def performed(self, at: datetime, code: str, label: str = "操作") -> OperationPerformed:
        """An outside system's report of one operation (seed 004's catalogue)."""
        return OperationPerformed(
            **self._envelope(at),  # type: ignore[arg-type]
            source_system="application-system",
            login_id=self.login_id,
            operation_code=code,
            operation_label=label,
        )


async def publish(bootstrap: str, prefix: str, events: Sequence[Event]) -> None:
    """Send events to their producers' topics (with ``prefix``), keyed by subject, acks=all."""
    producer = make_producer(bootstrap, "audit-test-producer")
    await producer.start()
    try:
        sent = [
            await producer.send(prefix + e.topic, value=e.to_json(), key=e.key()) for e in events
        ]
        for future in sent:
            await future
    finally:
        await producer.stop()
