"""The one realm enrolment serves, and the envelope every enroll event carries (X-01)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts import Actor
from domainkit import decision

REALM = "kencom"
"""The one realm enrolment serves (SPEC section 6)."""


def envelope(subject_id: str, actor: Actor, correlation_id: str, now: datetime) -> dict[str, Any]:
    """The X-01 envelope fields of an enroll event: kencom's, and members have no organisation."""
    return decision.envelope(REALM, None, subject_id, actor, correlation_id, now)
