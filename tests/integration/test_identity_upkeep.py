"""Identity's commands are all-or-nothing and its storage stays bounded (X-13, X-14), proven on
the real database with identity's use cases in this process and a clock the tests move."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from identity_client import NEW_PASSWORD, NOTIFY_PUBLIC
from pymongo.asynchronous.database import AsyncDatabase

from contracts.common import Role, UserProfile
from servicekit.clock import ManualClock, SystemClock
from servicekit.compaction import Compaction
from servicekit.store import VersionedStore
from services.identity.app import challenge_policy
from services.identity.domain import authz, organisations
from services.identity.domain.attempts import LoginAnswer
from services.identity.domain.lockout import ShadowPolicy
from services.identity.domain.realms import PRESETS
from services.identity.domain.refusals import BusinessUserLimitReached, MissingContact
from services.identity.domain.sessions import IDLE_TIMEOUT, Session
from services.identity.settings import IdentitySettings
from services.identity.store import IdentityStore
from services.identity.usecases import Identity, Tuning
from services.identity.usecases.context import Context

pytestmark = pytest.mark.integration

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


@pytest.fixture
async def clocked(db: AsyncDatabase[dict[str, Any]]) -> Clocked:
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


async def test_id_user_01_an_organisation_and_its_admin_are_opened_in_one_commit(
    clocked: Clocked,
) -> None:
    before = await clocked.db["commits"].count_documents({})
    opened = await clocked.identity.organisations.open(
        DEMO, authz.BackOffice(), "一つの団体", "XA3one", UserProfile()
    )
    commits = await clocked.db["commits"].find({}).to_list()
    assert len(commits) - before == 1, "one commit: nothing to leave half done"
    [commit] = commits
    assert [e["type"] for e in commit["events"]] == ["UserCreated", "InitialPasswordIssued"]
    read = await clocked.identity.organisations.read(DEMO, opened.organisation.org_id)
    assert (read.name, read.admin_login_id) == ("一つの団体", "XA3one")


async def test_x_13_a_refused_creation_leaves_no_claim_on_the_login_id(clocked: Clocked) -> None:
    nexi = PRESETS["nexi"]
    org_id, admin = await clocked.opened(nexi, email=None)  # nobody to mail the password to
    with pytest.raises(MissingContact):  # nexi assigns the applicant's ID (ID-USER-12)
        await clocked.identity.users.create_business_user(nexi, admin, org_id, None, UserProfile())
    held = {"realm": "nexi", "org_id": org_id}
    assert await clocked.db["login_ids"].count_documents(held) == 0, "no ID claimed"
    org = await clocked.identity.organisations.read(nexi, org_id)
    assert org.business_user_ids == (), "no slot held"


async def test_x_14_the_claim_reaper_frees_the_id_and_slot_of_a_creation_cut_short(
    clocked: Clocked,
) -> None:
    one_slot = replace(DEMO, business_user_limit=1)
    org_id, admin = await clocked.opened(one_slot)
    login_id, user_id = f"XA5{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    # What a crash between the organisation's reservation and the user's commit leaves behind.
    store = clocked.identity.context.store
    assert await store.login_ids.claim("demo", login_id, user_id, org_id, Role.BUSINESS)
    await clocked.identity.organisations.change(
        one_slot, org_id, partial(organisations.reserve_business_user, user_id=user_id, limit=1)
    )
    with pytest.raises(BusinessUserLimitReached):
        await clocked.identity.users.create_business_user(
            one_slot, admin, org_id, f"XA5{uuid.uuid4().hex[:8]}", UserProfile()
        )
    clocked.clock.advance(CLAIM_GRACE - timedelta(seconds=1))
    assert (await clocked.identity.upkeep.run_once()).claims == 0, "within the grace: in flight"
    clocked.clock.advance(timedelta(seconds=2))
    assert (await clocked.identity.upkeep.run_once()).claims == 1
    created = await clocked.identity.users.create_business_user(
        one_slot, admin, org_id, login_id, UserProfile()
    )
    assert created.login_id == login_id, "the ID and the slot are free again"
    clocked.clock.advance(CLAIM_GRACE * 2)
    assert (await clocked.identity.upkeep.run_once()).claims == 0, "a settled claim stays"


async def test_x_14_sessions_and_link_tokens_are_purged_after_their_last_possible_use(
    clocked: Clocked,
) -> None:
    _, admin = await clocked.opened(email="admin@example.jp")
    await clocked.identity.self_service.request_email_change(
        DEMO, admin, clocked.tokens[admin.user_id], NEW_PASSWORD, "new@example.jp"
    )
    assert await clocked.db["link_tokens"].count_documents({}) == 1
    clocked.clock.advance(IDLE_TIMEOUT - timedelta(seconds=1))
    assert (await clocked.identity.upkeep.run_once()).sessions == 0, "still usable"
    clocked.clock.advance(timedelta(seconds=1))
    assert (await clocked.identity.upkeep.run_once()).sessions == 1, "idle for 30 minutes"
    assert await clocked.db["sessions"].count_documents({}) == 0
    clocked.clock.advance(timedelta(hours=23, minutes=30))
    assert (await clocked.identity.upkeep.run_once()).link_tokens == 1, "the 24-hour link"
    assert await clocked.db["link_tokens"].count_documents({}) == 0


async def test_id_sess_01_the_idle_timeout_and_the_lifetime_are_the_realms_policy(
    clocked: Clocked,
) -> None:
    """A realm whose policy says 10 minutes idle and one hour in all: its sessions keep it,
    by the moved clock; the purge waits for the longest realm's idle time (X-14)."""
    brief = replace(DEMO, idle_timeout=timedelta(minutes=10), session_lifetime=timedelta(hours=1))
    _, admin = await clocked.opened(brief)
    token = clocked.tokens[admin.user_id]
    assert admin.idle_timeout == timedelta(minutes=10)
    started = await clocked.commits_of(f"user:demo:{admin.user_id}#")
    [begun] = [e for c in started for e in c["events"] if e["type"] == "SessionStarted"][-1:]
    assert json.loads(begun["json"])["idle_timeout_seconds"] == 600
    clocked.clock.advance(timedelta(minutes=9, seconds=59))
    assert await clocked.identity.login.introspect(token) is not None, "used: idle time restarts"
    clocked.clock.advance(timedelta(minutes=9, seconds=59))
    assert await clocked.identity.login.introspect(token) is not None
    clocked.clock.advance(timedelta(minutes=10))
    assert await clocked.identity.login.introspect(token) is None, "10 minutes idle, not 30"
    assert (await clocked.identity.upkeep.run_once()).sessions == 0, "purged after the longest"

    token, _ = await clocked.log_in(brief, admin.login_id, NEW_PASSWORD)
    for _ in range(11):  # busy: used every five minutes, for 55 minutes
        clocked.clock.advance(timedelta(minutes=5))
        assert await clocked.identity.login.introspect(token) is not None
    clocked.clock.advance(timedelta(minutes=5))
    assert await clocked.identity.login.introspect(token) is None, "an hour in all, not 12"
    presets = {p.idle_timeout for p in PRESETS.values()}
    assert presets == {IDLE_TIMEOUT}, "the seeds name none: SPEC's 30 minutes everywhere"


async def test_x_14_storage_stays_bounded_under_a_burst_of_random_unknown_ids(
    clocked: Clocked,
) -> None:
    locked_id = "XA3locked-nobody"
    answers = [
        (await clocked.identity.login.log_in(DEMO, locked_id, "guess", None, None)).result.answer
        for _ in range(3)
    ]
    assert answers[-1] is LoginAnswer.LOCKED
    for _ in range(120):
        stranger = f"XA3{uuid.uuid4().hex}"
        await clocked.identity.login.log_in(DEMO, stranger, "guess", None, None)
    slots = await clocked.db["commit_heads"].count_documents({"_id": {"$regex": "^shadow:"}})
    assert slots <= SHADOWS.slots
    for head in await clocked.db["commit_heads"].find({"_id": {"$regex": "^shadow:"}}).to_list():
        loaded = await clocked.identity.context.store.shadows.get(head["_id"])
        assert loaded is not None and len(loaded.counts) <= SHADOWS.capacity
    await clocked.db["outbox"].delete_many({})  # as the relay does once Kafka has the events
    clocked.clock.advance(timedelta(hours=2))
    await Compaction(clocked.store, timedelta(hours=1)).run_once()
    assert len(await clocked.commits_of("shadow:")) <= SHADOWS.slots, "one version per slot"
    clocked.clock.advance(SHADOWS.lock_period - timedelta(hours=3))
    await clocked.identity.upkeep.run_once()
    still = await clocked.identity.login.log_in(DEMO, locked_id, "guess", None, None)
    assert still.result.answer is LoginAnswer.LOCKED, "no purge unlocks within the period"


async def test_x_14_relayed_versions_are_compacted_and_old_password_hashes_go(
    clocked: Clocked,
) -> None:
    org_id, admin = await clocked.opened()
    user = f"user:demo:{admin.user_id}"
    before = [c["state"]["password_hash"] for c in await clocked.commits_of(user)]
    assert len(set(before)) == 2, "the initial hash and the new one"
    grace = Compaction(clocked.store, timedelta(hours=1))
    pending = await clocked.db["outbox"].find({}).to_list()
    assert pending, "the events are not relayed yet"
    clocked.clock.advance(timedelta(hours=2))
    assert await grace.run_once() == 0, "unpublished versions stay"
    await clocked.db["outbox"].delete_many({})
    assert await grace.run_once() >= 1
    [kept] = await clocked.commits_of(user)
    assert kept["state"]["password_hash"] == before[-1], "the latest version stays"
    initial = kept["state"]["initial_password_hash"]
    assert {initial, kept["state"]["password_hash"]} == set(before), "no other hash remains"
    again = await clocked.log_in(DEMO, admin.login_id, NEW_PASSWORD)
    assert again[1].org_id == org_id, "logs in on the compacted user"
    clocked.clock.advance(timedelta(minutes=30))
    assert await grace.run_once() == 0, "the login's predecessor is within the grace period"
