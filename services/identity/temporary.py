"""Self-service temporary passwords (ID-PW-05): mailed, single use, forcing a change, 24 hours.

The temporary password is kept beside the real one, so asking for it locks nobody out: the
real password keeps working until the temporary one is used. A login with the temporary
password consumes it (the same versioned-store commit that logs in), so two parallel logins
with it cannot both succeed (X-11). The mail's password travels sealed to notify (X-02).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from contracts import Actor, SealedSecret, TemporaryPasswordIssued
from contracts.identity import RecipientRole, TemporaryPasswordReason
from servicekit.store import Change, Loaded
from services.identity.domain import envelope_of

LIFETIME = timedelta(hours=24)


def issue(
    current: Loaded,
    email: str,
    temporary_hash: str,
    sealed: SealedSecret,
    correlation_id: str,
    now: datetime,
) -> Change[bool]:
    """Issue one, replacing any earlier one, if the e-mail is the user's registered address."""
    state = current.state
    if state is None or state.get("profile", {}).get("email") != email:
        return Change.nothing(False)
    expires_at = now + LIFETIME
    event = TemporaryPasswordIssued(
        **envelope_of(
            state["realm"], state["org_id"], state["user_id"], Actor.system(), correlation_id, now
        ),
        login_id=state["login_id"],
        reason=TemporaryPasswordReason.SELF_SERVICE,
        recipient_role=RecipientRole.USER,
        recipient_email=email,
        sealed_password=sealed,
        expires_at=expires_at,
    )
    new = {**state, "temporary_password": {"hash": temporary_hash, "expires_at": expires_at}}
    return Change(outcome=True, state=new, events=[event])


def usable_hash(state: dict[str, Any], now: datetime) -> str | None:
    """The temporary password's hash while it may still be used."""
    temporary = state.get("temporary_password")
    if not temporary or now >= temporary["expires_at"]:
        return None
    return str(temporary["hash"])
