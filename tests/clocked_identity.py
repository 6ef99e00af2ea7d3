"""Identity's use cases in this process, on the real database, with a clock the tests move:
for tests of rules that depend on time or on what the database holds (X-13, X-14)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from identity_client import NEW_PASSWORD, NOTIFY_PUBLIC
from pymongo.asynchronous.database import AsyncDatabase

from contracts.common import UserProfile
from servicekit.clock import ManualClock, SystemClock
from servicekit.store import VersionedStore
from services.identity.app import challenge_policy
from services.identity.domain import authz
from services.identity.domain.lockout import ShadowPolicy
from services.identity.domain.realms import PRESETS
from services.identity.domain.sessions import Session
from services.identity.settings import IdentitySettings
from services.identity.store import IdentityStore
from services.identity.usecases import Identity, Tuning
from services.identity.usecases.context import Context

DEMO = PRESETS["demo"]
CLAIM_GRACE = timedelta(minutes=10)
SHADOWS = ShadowPolicy(slots=4, capacity=2, lock_period=timedelta(days=90))


@dataclass
class Clocked:
    identity: Identity
    clock: ManualClock
    store: VersionedStore
    db: AsyncDatabase[dict[str, Any]]
    tokens: dict[str, str] = field(default_factory=dict)
    """The session token of each user ``opened`` signed in."""

    async def opened(self, realm: Any = DEMO, email: str | None = None) -> tuple[str, Session]:
        """An organisation whose admin made the forced change: its id and the admin's session."""
        login_id = f"XA3{uuid.uuid4().hex[:8]}" if realm.name != "nexi" else uuid_digits()
        opened = await self.identity.organisations.open(
            realm, authz.BackOffice(), "テスト団体", login_id, UserProfile(email=email)
        )
        assert opened.initial_password is not None
        session = await self.log_in(realm, login_id, opened.initial_password)
        token, found = session
        token = await self.identity.self_service.change_password(
            realm, found, token, opened.initial_password, NEW_PASSWORD
        )  # the session goes on rotated (ID-SESS-03)
        found = await self.identity.login.introspect(token)
        assert found is not None
        self.tokens[found.user_id] = token
        return opened.organisation.org_id, found

    async def log_in(self, realm: Any, login_id: str, password: str) -> tuple[str, Session]:
        outcome = await self.identity.login.log_in(realm, login_id, password, None, None)
        assert outcome.session_token is not None, outcome.result.answer
        found = await self.identity.login.introspect(outcome.session_token)
        assert found is not None
        return outcome.session_token, found

    async def commits_of(self, prefix: str) -> list[dict[str, Any]]:
        return [c async for c in self.db["commits"].find({}) if c["_id"].startswith(prefix)]


def uuid_digits() -> str:
    return str(uuid.uuid4().int)[:11]


def clocked_identity(db: AsyncDatabase[dict[str, Any]]) -> Clocked:
    clock = ManualClock(SystemClock().now())
    store = VersionedStore(db, clock)
    context = Context(
        IdentityStore(db, store, clock),
        clock,
        notify_public_key=NOTIFY_PUBLIC,
        shadow_key=b"test-shadow-key",
        shadows=SHADOWS,
    )
    tuning = Tuning(CLAIM_GRACE, timedelta(seconds=5), challenge_policy(IdentitySettings()))
    return Clocked(Identity.of(context, tuning), clock, store, db)
