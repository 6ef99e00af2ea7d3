"""Identity's commands are all-or-nothing and its storage stays bounded (X-13, X-14), proven on
the real database with identity's use cases in this process and a clock the tests move."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from clocked_identity import CLAIM_GRACE, DEMO, SHADOWS, Clocked, clocked_identity
from identity_client import NEW_PASSWORD
from pymongo.asynchronous.database import AsyncDatabase

from contracts.common import Role, UserProfile
from servicekit.compaction import Compaction
from services.identity.domain import authz, organisations
from services.identity.domain.attempts import LoginAnswer
from services.identity.domain.realms import PRESETS
from services.identity.domain.refusals import BusinessUserLimitReached, MissingContact
from services.identity.domain.sessions import HOUR_KEPT, IDLE_TIMEOUT, expiry_hour

pytestmark = pytest.mark.integration


@pytest.fixture
def clocked(db: AsyncDatabase[dict[str, Any]]) -> Clocked:
    return clocked_identity(db)


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
    began = clocked.clock.now()
    session = await clocked.identity.login.introspect(clocked.tokens[admin.user_id])
    assert session is not None
    clocked.clock.advance(IDLE_TIMEOUT)
    assert await clocked.identity.login.introspect(clocked.tokens[admin.user_id]) is None
    assert (await clocked.identity.upkeep.run_once()).sessions == 0, "its hour is not over"
    hours = [n for n in await clocked.db.list_collection_names() if n.startswith("sessions_")]
    assert hours == ["sessions_" + expiry_hour(session.expires_at)]
    clocked.clock.set(session.expires_at.replace(minute=0, second=0, microsecond=0))
    clocked.clock.advance(timedelta(hours=1) + HOUR_KEPT - timedelta(seconds=1))
    assert (await clocked.identity.upkeep.run_once()).sessions == 0, "an hour's grace"
    clocked.clock.advance(timedelta(seconds=1))
    assert (await clocked.identity.upkeep.run_once()).sessions == 1, "the whole hour at once"
    assert not [n for n in await clocked.db.list_collection_names() if n.startswith("sessions_")]
    clocked.clock.set(began + timedelta(hours=24))
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
