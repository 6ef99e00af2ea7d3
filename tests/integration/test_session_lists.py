"""A user's sessions found through the user's list, kept by the hour they end in (decision 0020).

The store is driven directly on the real database (sessions of many users, of different
lifetimes, ended through the list instead of a filter on ``user_id``), and so is the identity
core with a moved clock (``clocked``): logins list their sessions in the user's commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clocked_identity import DEMO, Clocked, clocked_identity
from harness import Infra, Namespace
from hypothesis import given
from hypothesis import strategies as st
from identity_client import NEW_PASSWORD
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from contracts.common import Role
from servicekit.clock import ManualClock
from services.identity.domain.session_lists import LISTED, Listed
from services.identity.domain.sessions import (
    Session,
    expiry_hour,
    hour_of,
    new_session_token,
    session_key,
)
from services.identity.store.sessions import SessionStore

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


class Filters(monitoring.CommandListener):
    """What each read and delete asked the database for."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command = event.command
        if event.command_name == "find":
            self.seen.append(("find", dict(command["filter"])))
        elif event.command_name == "delete":
            self.seen.extend(("delete", dict(d["q"])) for d in command["deletes"])

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def watched(
    infra: Infra, ns: Namespace
) -> AsyncIterator[tuple[AsyncDatabase[dict[str, Any]], Filters]]:
    filters = Filters()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        infra.mongodb_uri, tz_aware=True, event_listeners=[filters]
    )
    yield client[ns.database("watched")], filters
    await client.drop_database(ns.database("watched"))
    await client.close()


@pytest.fixture
def clocked(db: AsyncDatabase[dict[str, Any]]) -> Clocked:
    return clocked_identity(db)


class Sessions:
    """The store, and what the user's commits would have listed: its tests list by hand."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.store = SessionStore(db, ManualClock(NOW))
        self.lists: dict[str, list[Listed]] = {}

    async def started(
        self, user_id: str, now: datetime, lifetime: timedelta = timedelta(hours=12)
    ) -> str:
        session = session_of(user_id, now, lifetime)
        token = new_session_token(session.expires_at)
        await self.store.start(token, session)
        listed = Listed(session_key(token), expiry_hour(session.expires_at), now)
        self.lists.setdefault(user_id, []).append(listed)
        return token

    async def live(self, tokens: list[str]) -> list[str]:
        return [token for token in tokens if await self.store.find(token) is not None]


def session_of(user_id: str, now: datetime, lifetime: timedelta) -> Session:
    return Session(
        user_id=user_id,
        realm="demo",
        org_id="org-1",
        role=Role.BUSINESS,
        login_id=user_id,
        otp_verified=False,
        previous_login_at=None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )


async def test_id_sess_03_ending_a_users_sessions_costs_the_same_however_many_others_exist(
    watched: tuple[AsyncDatabase[dict[str, Any]], Filters],
) -> None:
    """Every session of the user ends, across hours and lifetimes, and nobody else's; what it
    asks the database does not grow with the other users' sessions, and names only ``_id``s,
    the one filter FerretDB on SQLite answers without reading every document (issue 24)."""
    db, filters = watched
    sessions = Sessions(db)
    asked = []
    for others in (5, 200):
        theirs = [await sessions.started(f"other-{others}-{n}", NOW) for n in range(others)]
        mine = [
            await sessions.started(f"member-{others}", NOW, timedelta(hours=hours))
            for hours in (1, 8, 12)
        ]
        filters.seen.clear()
        ended = await sessions.store.end_all(f"member-{others}", sessions.lists[f"member-{others}"])
        asked.append(list(filters.seen))
        assert ended == 3
        assert await sessions.live(mine) == []
        assert await sessions.live(theirs) == theirs, "nobody else's session ended"
    assert len(asked[0]) == len(asked[1]) == 3, "one delete per session, nothing else"
    assert all(name == "delete" and set(query) == {"_id"} for name, query in asked[1]), asked
    assert all(not isinstance(query["_id"], dict) for _, query in asked[1]), "equality only"


async def test_id_sess_03_a_reaper_ends_only_what_began_before_and_keeps_the_named_one(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    sessions = Sessions(db)
    early = await sessions.started("member", NOW)
    kept = await sessions.started("member", NOW + timedelta(seconds=1))
    later = await sessions.started("member", NOW + timedelta(minutes=5))
    ended = await sessions.store.end_all(
        "member",
        sessions.lists["member"],
        NOW + timedelta(minutes=1),
        keep_ref=session_key(kept)[:16],
    )
    assert ended == 1
    assert await sessions.live([early, kept, later]) == [kept, later]


async def test_id_sess_01_a_token_names_its_hour_and_only_the_purge_of_that_hour_ends_it(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    sessions = Sessions(db)
    brief = await sessions.started("member", NOW, timedelta(hours=1))
    long = await sessions.started("member", NOW, timedelta(hours=12))
    assert await sessions.store.purge_ended(NOW + timedelta(hours=2, minutes=29)) == 0
    assert await sessions.store.purge_ended(NOW + timedelta(hours=2, minutes=30)) == 1
    assert await sessions.live([brief, long]) == [long]
    with pytest.raises(ValueError, match="names the hour"):
        await sessions.store.start(new_session_token(NOW), session_of("member", NOW, HOUR))


HOUR = timedelta(hours=1)


async def test_x_14_the_fifty_first_login_of_an_account_ends_its_oldest_session(
    clocked: Clocked,
) -> None:
    """Fifty logins in a day are listed; the fifty-first ends the oldest that is still live,
    and a listed session whose hour is over makes room without ending anything."""
    _, admin = await clocked.opened()
    first = clocked.tokens[admin.user_id]
    tokens = [first]
    for _ in range(LISTED):  # within the idle timeout: every one of them is live
        clocked.clock.advance(timedelta(seconds=10))
        token, _ = await clocked.log_in(DEMO, admin.login_id, NEW_PASSWORD)
        tokens.append(token)
    user = await clocked.identity.context.user(DEMO, admin.user_id)
    assert user is not None and len(user.sessions) == LISTED
    alive = [t for t in tokens if await clocked.identity.login.introspect(t) is not None]
    assert first not in alive and len(alive) == LISTED, "the oldest of 51 ended, no other"
    clocked.clock.advance(timedelta(hours=15))  # every listed hour is over
    token, _ = await clocked.log_in(DEMO, admin.login_id, NEW_PASSWORD)
    user = await clocked.identity.context.user(DEMO, admin.user_id)
    assert user is not None and [s.key for s in user.sessions] == [session_key(token)]


async def test_x_13_logins_of_one_account_at_once_are_all_listed_and_all_ended(
    clocked: Clocked,
) -> None:
    """Eight logins at once: each lists its session by inserting the user's next version, so
    none loses another's entry, and the admin's password reset ends all of them."""
    _, admin = await clocked.opened()
    logins = await asyncio.gather(
        *(clocked.log_in(DEMO, admin.login_id, NEW_PASSWORD) for _ in range(8))
    )
    user = await clocked.identity.context.user(DEMO, admin.user_id)
    assert user is not None
    listed = {s.key for s in user.sessions}
    assert {session_key(token) for token, _ in logins} <= listed
    await clocked.identity.context.credential_changed(DEMO, admin.user_id)
    for token, _ in [*logins, (clocked.tokens[admin.user_id], None)]:
        assert await clocked.identity.login.introspect(token) is None


@given(st.text(max_size=60))
def test_id_sess_01_no_presented_cookie_names_a_collection_unless_shaped_like_an_hour(
    presented: str,
) -> None:
    hour = hour_of(presented)
    assert hour is None or (len(hour) == 10 and hour.isascii() and hour.isdigit())
    if hour is not None:
        datetime.strptime(hour, "%Y%m%d%H")
    assert hour_of(new_session_token(NOW)) == "2026120809"
    assert hour_of("2026121399." + "a" * 43) is None
    assert hour_of("../admin.x") is None
