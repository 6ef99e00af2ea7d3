"""Sessions as documents keyed by the token's SHA-256 (ID-SESS-01, -02), and their upkeep.

The decision API and introspection may trust a session read within a short time without
reading it again (:meth:`SessionStore.find_recent`): introspection is on every request through
the gateway, and a decision is asked right after it. Whatever ends or changes a session in this
process forgets it at once; another replica's logout, or its ending of a disabled user's
sessions, reaches this one within that time (introspection: under a second; docs/decisions says
so and a test moves the clock through it).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from servicekit.clock import Clock
from services.identity.domain.realms import longest_idle_timeout
from services.identity.domain.sessions import Session, session_key
from services.identity.store.documents import session_from_document, session_to_document
from services.identity.store.recent import Recent

RECENT_SESSIONS = 10_000
"""Sessions the decision API keeps at most (X-14): about 5 MB."""


class SessionStore:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        clock: Clock,
        recent_for: timedelta = timedelta(0),
    ) -> None:
        self.collection = db["sessions"]
        self.recent: Recent[str, Session] = Recent(clock, recent_for, RECENT_SESSIONS)

    async def start(self, token: str, session: Session) -> None:
        await self.collection.insert_one(session_to_document(session_key(token), session))

    async def find(self, token: str) -> Session | None:
        doc = await self.collection.find_one({"_id": session_key(token)})
        return None if doc is None else session_from_document(doc)

    async def find_recent(self, token: str, within: timedelta | None = None) -> Session | None:
        """The session as read within ``recent_for`` (or the shorter ``within``), or read now."""
        key = session_key(token)
        seen = self.recent.get(key, within)
        if seen is not None:
            return seen.value
        found = await self.find(token)
        if found is not None:
            self.recent.put(key, found)
        return found

    async def touch(self, token: str, session: Session, now: datetime) -> None:
        """Idle timeout restarts on use; a lost update only shortens the session a little. A
        remembered copy is touched too, or it would ask for the write on every use."""
        key = session_key(token)
        await self.collection.update_one({"_id": key}, {"$set": {"last_seen_at": now}})
        self.recent.amend(key, replace(session, last_seen_at=now))

    async def save_steps(self, token: str, session: Session) -> None:
        """The steps still pending; only the session's own requests change them."""
        self.recent.forget(session_key(token))
        await self.collection.update_one(
            {"_id": session_key(token)}, {"$set": {"pending_steps": list(session.pending_steps)}}
        )

    async def replace(self, token: str, new_token: str, session: Session) -> bool:
        """``token``'s session goes on as ``new_token``'s (a rotation): the new one is started,
        then the old one ended. If the old one had ended meanwhile (a credential change ended
        every session of its user, ID-SESS-03), the new one is ended too and ``False`` is
        answered: whichever of the two endings came last, no session outlives the change."""
        await self.start(new_token, session)
        if await self.end(token):
            return True
        await self.end(new_token)
        return False

    async def end(self, token: str) -> bool:
        self.recent.forget(session_key(token))
        result = await self.collection.delete_one({"_id": session_key(token)})
        return result.deleted_count == 1

    async def end_all(
        self,
        user_id: str,
        begun_before: datetime | None = None,
        *,
        keep_ref: str | None = None,
    ) -> int:
        """Every session of a user, or only those begun before ``begun_before`` (the session
        reaper, acting on a commit's event later: a session begun after the change is one the
        change allowed), but the one named ``keep_ref`` (``session_ref``): the pending login
        that registered the e-mail-authentication address goes on (ID-SESS-03). Rare, so a
        filter on ``user_id`` is fine even where FerretDB scans for it."""
        self.recent.forget_where(lambda session: session.user_id == user_id)
        found: dict[str, Any] = {"user_id": user_id}
        if begun_before is not None:
            found["created_at"] = {"$lt": begun_before}
        if keep_ref is None:
            result = await self.collection.delete_many(found)
            return result.deleted_count
        keys = [
            doc["_id"]
            async for doc in self.collection.find(found, {"_id": 1})
            if doc["_id"][: len(keep_ref)] != keep_ref
        ]
        ended = 0
        for key in keys:  # a user has a handful; one ``_id`` delete each, pushed down anywhere
            ended += (await self.collection.delete_one({"_id": key})).deleted_count
        return ended

    async def end_restricted(self, user_id: str, but: str) -> int:
        """The user's sessions that still owe login steps, but the token ``but``: a new login
        with an initial or temporary password ends the older ones (ID-SESS-03)."""
        self.recent.forget_where(lambda session: session.user_id == user_id)
        keep = session_key(but)
        keys = [
            doc["_id"]
            async for doc in self.collection.find({"user_id": user_id})
            if doc["_id"] != keep and doc.get("pending_steps")
        ]
        for key in keys:
            await self.collection.delete_one({"_id": key})
        return len(keys)

    async def purge_ended(self, now: datetime) -> int:
        """Sessions past their absolute lifetime or idle timeout (X-14): nobody can use them."""
        expired = await self.collection.delete_many({"expires_at": {"$lte": now}})
        idle_since = now - longest_idle_timeout()
        idle = await self.collection.delete_many({"last_seen_at": {"$lte": idle_since}})
        return expired.deleted_count + idle.deleted_count
