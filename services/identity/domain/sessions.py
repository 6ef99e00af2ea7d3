"""Server-side sessions (ID-SESS-01, -02): an opaque cookie, idle and absolute timeouts.

The cookie holds 256 random bits (X-11); the database holds only their SHA-256, as the ``_id``
of the session document, so introspection is one ``_id`` read and a stolen database dump
opens no session.

A session is OTP-verified (ID-OTP-03) only by being *replaced*: the verification inserts a new
session document that says so and ends the old one, so the mark is never an update that a
concurrent write could lose on FerretDB (X-13), and the session id changes with the privilege
(OWASP's session-management rule).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from contracts.common import Role
from contracts.permissions import Permissions
from services.identity.domain import tokens

IDLE_TIMEOUT = timedelta(minutes=30)
"""SPEC ID-SESS-01's default; each realm's policy says its own (``RealmPolicy.idle_timeout``)."""
#: Use restarts the idle time at most this often: introspection runs on every request, and a
#: write per request would cost more than the read. A session idle for 30 minutes may so end
#: up to a minute early, never late.
TOUCH_INTERVAL = timedelta(minutes=1)
ABSOLUTE_LIFETIME = timedelta(hours=12)
"""The default absolute lifetime, a working day; a realm's policy says its own."""
COOKIE = "__Host-session"


HOUR_FORMAT = "%Y%m%d%H"
#: A session's hour is the UTC hour its absolute lifetime ends in; its collection is dropped
#: this long after that hour has passed (decision 0020), so a clock a little apart between
#: replicas never drops a session that can still be used.
HOUR_KEPT = timedelta(hours=1)


def new_session_token(expires_at: datetime) -> str:
    """A session's cookie value: the hour its session ends in, then 256 random bits (X-11).
    The hour names the collection the session is kept in, so introspection stays one ``_id``
    read and a whole hour of ended sessions is forgotten at once (decision 0020). It tells the
    holder only when its session ends, which it knows anyway."""
    return f"{expiry_hour(expires_at)}.{tokens.new_token()}"


def expiry_hour(moment: datetime) -> str:
    """The UTC hour of ``moment`` as a session's hour is named (a naive time is UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime(HOUR_FORMAT)


def hour_of(token: str) -> str | None:
    """The hour a session token names, or ``None`` for anything not shaped like one: a
    presented cookie is checked before its hour names a collection."""
    hour, dot, secret = token.partition(".")
    return hour if dot and secret and is_hour(hour) else None


def is_hour(text: str) -> bool:
    """``text`` names an hour as sessions' hours are named: ten ASCII digits that make one."""
    if len(text) != len("2026120800") or not (text.isascii() and text.isdigit()):
        return False
    try:
        datetime.strptime(text, HOUR_FORMAT)
    except ValueError:
        return False
    return True


def hour_is_over(hour: str, now: datetime) -> bool:
    """Every session of ``hour`` has reached its absolute end, and ``HOUR_KEPT`` more."""
    begins = datetime.strptime(hour, HOUR_FORMAT).replace(tzinfo=UTC)
    return now >= begins + timedelta(hours=1) + HOUR_KEPT


def session_key(token: str) -> str:
    """What is stored of a session's token: its digest (``tokens``)."""
    return tokens.digest(token)


def session_ref(token: str) -> str:
    """Names the session in events and logs, one-way from the token."""
    return session_key(token)[:16]


@dataclass(frozen=True)
class Session:
    user_id: str
    realm: str
    org_id: str | None
    role: Role
    login_id: str
    otp_verified: bool
    previous_login_at: datetime | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    readable_org_ids: tuple[str, ...] = ()
    """A group-wide read-only ID's organisations (ID-USER-09)."""
    pending_steps: tuple[str, ...] = ()
    """``PendingStep`` values still to complete, in order (ID-LOGIN-01 steps 7-9)."""
    permissions: Permissions | None = None
    """The user's permission matrix as it is now (ID-PERM-01): resolved when the session is
    read, never stored with it, so an admin's change applies to sessions already open."""
    otp_required: bool = False
    """The organisation requires an OTP for protected operations (ID-OTP-01): resolved when
    read, like ``permissions``."""
    idle_timeout: timedelta = IDLE_TIMEOUT
    """The realm's idle timeout when the session began (ID-SESS-01: realm policy), kept with
    the session so a policy change never shortens or lengthens one already open."""

    @property
    def restricted(self) -> bool:
        """Steps are pending: only they may be done."""
        return bool(self.pending_steps)

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at or now - self.last_seen_at >= self.idle_timeout

    def needs_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_INTERVAL

    @property
    def needs_otp(self) -> bool:
        """A protected operation must wait for an OTP (ID-OTP-04)."""
        return self.otp_required and not self.otp_verified

    def without_step(self, step: str) -> Session:
        return replace(self, pending_steps=tuple(s for s in self.pending_steps if s != step))
