"""Server-side sessions (ID-SESS-01, -02): an opaque cookie, idle and absolute timeouts.

The cookie holds 256 random bits (X-11); the database holds only their SHA-256, as the ``_id``
of the session document, so introspection is one ``_id`` read and a stolen database dump
opens no session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

IDLE_TIMEOUT = timedelta(minutes=30)
#: Use restarts the idle time at most this often: introspection runs on every request, and a
#: write per request would cost more than the read. A session idle for 30 minutes may so end
#: up to a minute early, never late.
TOUCH_INTERVAL = timedelta(minutes=1)
ABSOLUTE_LIFETIME = timedelta(hours=12)
COOKIE = "__Host-session"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def session_key(token: str) -> str:
    """What is stored: the token's SHA-256 (a 256-bit random token needs no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def session_ref(token: str) -> str:
    """Names the session in events and logs, one-way from the token."""
    return session_key(token)[:16]


@dataclass(frozen=True)
class Session:
    user_id: str
    realm: str
    org_id: str | None
    role: str
    login_id: str
    restricted: bool
    """Steps are pending: only they may be done (ID-LOGIN-01 steps 7-9)."""
    otp_verified: bool
    previous_login_at: datetime | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    readable_org_ids: list[str] = field(default_factory=list)
    """A group-wide read-only ID's organisations (ID-USER-09)."""
    pending_steps: list[str] = field(default_factory=list)
    """``login.PendingStep`` values still to complete, in order."""

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at or now - self.last_seen_at >= IDLE_TIMEOUT

    def needs_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_INTERVAL


class Sessions:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["sessions"]

    async def start(self, token: str, session: Session) -> None:
        await self.collection.insert_one({"_id": session_key(token), **session.__dict__})

    async def find(self, token: str) -> Session | None:
        doc = await self.collection.find_one({"_id": session_key(token)})
        if doc is None:
            return None
        doc.pop("_id")
        return Session(**doc)

    async def touch(self, token: str, now: datetime) -> None:
        """Idle timeout restarts on use; a lost update only shortens the session a little."""
        await self.collection.update_one(
            {"_id": session_key(token)}, {"$set": {"last_seen_at": now}}
        )

    async def complete_step(self, token: str, session: Session, step: str) -> None:
        """A pending step of ``session`` (as its request found it) is done; with none left the
        same session may do everything. Only the session's own requests change it."""
        left = [s for s in session.pending_steps if s != step]
        await self.collection.update_one(
            {"_id": session_key(token)}, {"$set": {"pending_steps": left, "restricted": bool(left)}}
        )

    async def end_all(self, user_id: str) -> int:
        """Every session of a user (ID-SESS-01: disabled or reset by an admin). Rare, so a
        filter on ``user_id`` is fine even where FerretDB scans for it."""
        result = await self.collection.delete_many({"user_id": user_id})
        return result.deleted_count

    async def rename(self, user_id: str, login_id: str) -> None:
        """A member changed their login ID (ID-USER-08): their sessions carry the new one."""
        await self.collection.update_many({"user_id": user_id}, {"$set": {"login_id": login_id}})

    async def end(self, token: str) -> bool:
        result = await self.collection.delete_one({"_id": session_key(token)})
        return result.deleted_count == 1
