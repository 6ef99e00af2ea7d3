"""Small builders of real contract events for tests that need *some* event."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts import Actor, UserCreated, UserStatusChanged
from contracts.common import Role, UserProfile
from contracts.identity import UserStatus

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def status_changed(
    subject: str, n: int, *, realm: str = "demo", cid: str = "c-test"
) -> UserStatusChanged:
    """The ``n``-th toggle of a user's status: any event whose order we can check."""
    on = n % 2 == 0
    return UserStatusChanged(
        occurred_at=T0,
        realm=realm,
        org_id="org-1",
        subject_id=subject,
        actor=Actor.system(),
        correlation_id=cid,
        status=UserStatus.ACTIVE if on else UserStatus.INACTIVE,
        previous_status=UserStatus.INACTIVE if on else UserStatus.ACTIVE,
        note=f"toggle {n}",
    )


def user_created(subject: str, *, realm: str = "demo", org_id: str = "org-1") -> UserCreated:
    return UserCreated(
        occurred_at=T0,
        realm=realm,
        org_id=org_id,
        subject_id=subject,
        actor=Actor.system(),
        correlation_id=f"c-{subject}",
        login_id=f"L{subject}"[:20],
        role=Role.BUSINESS,
        profile=UserProfile(name="山田太郎"),
    )
