"""Sessions as documents keyed by the token's SHA-256 (ID-SESS-01, -02), and their upkeep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.identity.domain.sessions import IDLE_TIMEOUT, Session, session_key
from services.identity.store.documents import session_from_document, session_to_document


class SessionStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["sessions"]

    async def start(self, token: str, session: Session) -> None:
        await self.collection.insert_one(session_to_document(session_key(token), session))

    async def find(self, token: str) -> Session | None:
        doc = await self.collection.find_one({"_id": session_key(token)})
        return None if doc is None else session_from_document(doc)

    async def touch(self, token: str, now: datetime) -> None:
        """Idle timeout restarts on use; a lost update only shortens the session a little."""
        await self.collection.update_one(
            {"_id": session_key(token)}, {"$set": {"last_seen_at": now}}
        )

    async def save_steps(self, token: str, session: Session) -> None:
        """The steps still pending; only the session's own requests change them."""
        await self.collection.update_one(
            {"_id": session_key(token)}, {"$set": {"pending_steps": list(session.pending_steps)}}
        )

    async def end(self, token: str) -> bool:
        result = await self.collection.delete_one({"_id": session_key(token)})
        return result.deleted_count == 1

    async def end_all(self, user_id: str, begun_before: datetime) -> int:
        """Every session of a user that began before ``begun_before`` (ID-SESS-01: disabled or
        reset by an admin); a session begun after the change is the user's new one. Rare, so
        a filter on ``user_id`` is fine even where FerretDB scans for it."""
        result = await self.collection.delete_many(
            {"user_id": user_id, "created_at": {"$lt": begun_before}}
        )
        return result.deleted_count

    async def rename(self, user_id: str, login_id: str) -> None:
        """A member changed their login ID (ID-USER-08): their sessions carry the new one."""
        await self.collection.update_many({"user_id": user_id}, {"$set": {"login_id": login_id}})

    async def purge_ended(self, now: datetime) -> int:
        """Sessions past their absolute lifetime or idle timeout (X-14): nobody can use them."""
        expired = await self.collection.delete_many({"expires_at": {"$lte": now}})
        idle = await self.collection.delete_many({"last_seen_at": {"$lte": now - IDLE_TIMEOUT}})
        return expired.deleted_count + idle.deleted_count
