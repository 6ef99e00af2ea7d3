"""Sessions as documents keyed by the token's SHA-256 (ID-SESS-01, -02), and their upkeep.

Each session is kept in the collection of the hour its absolute lifetime ends in
(``sessions_<YYYYMMDDHH>``), which its token names (``new_session_token``): introspection is one
``_id`` read, the purge drops an hour's collection once all of its sessions have ended, and a
user's sessions are found through the list in the user's state (``session_lists``), never by a
filter that FerretDB would answer by reading them all (decision 0020).

The decision API and introspection may trust a session read within a short time without
reading it again (:meth:`SessionStore.find_recent`): introspection is on every request through
the gateway, and a decision is asked right after it. Whatever ends or changes a session in this
process forgets it at once; another replica's logout, or its ending of a disabled user's
sessions, reaches this one within that time (introspection: under a second; docs/decisions says
so and a test moves the clock through it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.clock import Clock
from services.identity.domain.session_lists import Listed
from services.identity.domain.sessions import (
    Session,
    expiry_hour,
    hour_is_over,
    hour_of,
    is_hour,
    session_key,
)
from services.identity.store.documents import session_from_document, session_to_document
from services.identity.store.recent import Recent

HOURS = "sessions_"
"""The prefix of each hour's collection of sessions."""

RECENT_SESSIONS = 10_000
"""Sessions the decision API keeps at most (X-14): about 5 MB."""


class SessionStore:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        clock: Clock,
        recent_for: timedelta = timedelta(0),
    ) -> None:
        self.db = db
        self.recent: Recent[str, Session] = Recent(clock, recent_for, RECENT_SESSIONS)

    def hour(self, hour: str) -> AsyncCollection[dict[str, Any]]:
        """The collection of the sessions that end in ``hour``."""
        return self.db[HOURS + hour]

    async def start(self, token: str, session: Session) -> None:
        """Keeps the session, which the user's commit has listed already (decision 0020)."""
        hour = hour_of(token)
        if hour is None or hour != expiry_hour(session.expires_at):
            raise ValueError("a session's token names the hour the session ends in")
        await self.hour(hour).insert_one(session_to_document(session_key(token), session))

    async def find(self, token: str) -> Session | None:
        hour = hour_of(token)
        if hour is None:
            return None
        doc = await self.hour(hour).find_one({"_id": session_key(token)})
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
        hour = hour_of(token)
        if hour is None:
            return
        key = session_key(token)
        await self.hour(hour).update_one({"_id": key}, {"$set": {"last_seen_at": now}})
        self.recent.amend(key, replace(session, last_seen_at=now))

    async def save_steps(self, token: str, session: Session) -> None:
        """The steps still pending; only the session's own requests change them."""
        self.recent.forget(session_key(token))
        hour = hour_of(token)
        if hour is None:
            return
        await self.hour(hour).update_one(
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
        """Ends one session; its user's list forgets it when the list is next rewritten."""
        self.recent.forget(session_key(token))
        hour = hour_of(token)
        if hour is None:
            return False
        result = await self.hour(hour).delete_one({"_id": session_key(token)})
        return result.deleted_count == 1

    async def end_all(
        self,
        user_id: str,
        listed: Sequence[Listed],
        begun_before: datetime | None = None,
        *,
        keep_ref: str | None = None,
    ) -> int:
        """Every session of a user, as its latest version lists them (``listed``), or only
        those begun before ``begun_before`` (the session reaper, acting on a commit's event
        later: a session begun after the change is one the change allowed), but the one named
        ``keep_ref`` (``session_ref``): the pending login that registered the e-mail-
        authentication address goes on (ID-SESS-03). One ``_id`` delete each."""
        self.recent.forget_where(lambda session: session.user_id == user_id)
        ended = 0
        for session in listed:
            if keep_ref is not None and session.key.startswith(keep_ref):
                continue
            found: dict[str, Any] = {"_id": session.key}
            if begun_before is not None:
                found["created_at"] = {"$lt": begun_before}
            ended += (await self.hour(session.hour).delete_one(found)).deleted_count
        return ended

    async def end_restricted(self, user_id: str, listed: Sequence[Listed], but: str) -> int:
        """The user's sessions that still owe login steps, but the token ``but``: a new login
        with an initial or temporary password ends the older ones (ID-SESS-03)."""
        self.recent.forget_where(lambda session: session.user_id == user_id)
        keep = session_key(but)
        ended = 0
        for session in listed:
            if session.key == keep:
                continue
            doc = await self.hour(session.hour).find_one({"_id": session.key})
            if doc is not None and doc.get("pending_steps"):
                ended += await self.end_listed(session)
        return ended

    async def end_listed(self, session: Listed) -> bool:
        """One listed session (a login crowded it out of its user's list)."""
        self.recent.forget(session.key)
        result = await self.hour(session.hour).delete_one({"_id": session.key})
        return result.deleted_count == 1

    async def purge_ended(self, now: datetime) -> int:
        """Drops each hour whose sessions have all reached their absolute end (X-14), and
        answers how many sessions went with them. A session ended by its idle timeout waits
        for its hour: introspection refuses it meanwhile, and the purge reads nothing but the
        list of collections (decision 0020)."""
        purged = 0
        for name in await self.db.list_collection_names():
            hour = name.removeprefix(HOURS)
            if hour == name or not is_hour(hour) or not hour_is_over(hour, now):
                continue
            purged += await self.hour(hour).estimated_document_count()
            await self.db.drop_collection(name)
        return purged
