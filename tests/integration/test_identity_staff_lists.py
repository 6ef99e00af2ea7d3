"""The support console's lists of a realm's own staff (WEB-04; ID-USER-04, -09), proven on the
real database with identity's use cases in this process: support operators and group-wide
readers are found by the role their login ID's claim records (one indexed query), the newest
first, bounded, with one read of each listed user and none of the realm's other users; claims
made before roles were recorded get theirs once, from their user, by the backfill."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from identity_client import NOTIFY_PUBLIC
from pymongo.asynchronous.database import AsyncDatabase

from contracts.common import Role, UserProfile
from servicekit.clock import ManualClock, SystemClock
from servicekit.store import VersionedStore
from services.identity.app import challenge_policy
from services.identity.domain import authz
from services.identity.domain.lockout import ShadowPolicy
from services.identity.domain.realms import PRESETS, RealmPolicy
from services.identity.domain.refusals import NotPermitted
from services.identity.domain.sessions import Session
from services.identity.settings import IdentitySettings
from services.identity.store import IdentityStore
from services.identity.usecases import Identity, Tuning
from services.identity.usecases.context import Context
from services.identity.usecases.staff import LIST_LIMIT

pytestmark = pytest.mark.integration

DEMO, NEXI = PRESETS["demo"], PRESETS["nexi"]


@dataclass
class Desk:
    identity: Identity
    clock: ManualClock
    db: AsyncDatabase[dict[str, Any]]
    reads: list[str]
    """The id of every user aggregate read, in order."""

    async def operator(self, realm: RealmPolicy, login_id: str) -> Session:
        """A support operator made on the command line, and a full session of it."""
        made = await self.identity.users.create_support_operator(realm, login_id)
        return self.session(made.user_id, realm, Role.SUPPORT, login_id)

    def session(
        self, user_id: str, realm: RealmPolicy, role: Role, login_id: str, org_id: str | None = None
    ) -> Session:
        """A full session as introspection answers it: the use cases ask only ``authz``."""
        now = self.clock.now()
        return Session(
            user_id=user_id,
            realm=realm.name,
            org_id=org_id,
            role=role,
            login_id=login_id,
            otp_verified=False,
            previous_login_at=None,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=1),
        )


@pytest.fixture
async def desk(db: AsyncDatabase[dict[str, Any]]) -> Desk:
    clock = ManualClock(SystemClock().now())
    store = IdentityStore(db, VersionedStore(db, clock), clock)
    await store.login_ids.create_indexes()
    reads: list[str] = []
    get = store.users.get

    async def counted(aggregate_id: str) -> Any:
        reads.append(aggregate_id)
        return await get(aggregate_id)

    store.users.get = counted  # type: ignore[method-assign]
    context = Context(
        store,
        clock,
        notify_public_key=NOTIFY_PUBLIC,
        shadow_key=b"test-shadow-key",
        shadows=ShadowPolicy(slots=4, capacity=2, lock_period=timedelta(days=90)),
    )
    tuning = Tuning(
        timedelta(minutes=10), timedelta(seconds=5), challenge_policy(IdentitySettings())
    )
    return Desk(Identity.of(context, tuning), clock, db, reads)


def digits() -> str:
    return str(uuid.uuid4().int)[:11]


async def test_web_04_the_desk_lists_its_realms_support_operators_reading_no_other_user(
    desk: Desk,
) -> None:
    first = await desk.operator(DEMO, "SUPa-older")
    desk.clock.advance(timedelta(minutes=1))
    await desk.operator(DEMO, "SUPb-newer")
    await desk.operator(NEXI, "SUPc-nexi")  # another realm's
    for n in range(5):  # the realm's organisations and their users, never read by the list
        opened = await desk.identity.organisations.open(
            DEMO, authz.BackOffice(), f"団体{n}", f"XA3{uuid.uuid4().hex[:8]}", UserProfile()
        )
        assert opened.initial_password
    desk.reads.clear()

    listed = await desk.identity.staff.support_operators(DEMO, first)

    assert [o.login_id for o in listed.ids] == ["SUPb-newer", "SUPa-older"], "the newest first"
    assert not listed.more
    assert all(o.created_at is not None and not o.locked for o in listed.ids)
    assert all(o.last_login_at is None for o in listed.ids), "nobody has logged in yet"
    assert len(desk.reads) == 2, "one read of each listed operator, none of the realm's others"


async def test_web_04_an_operator_s_last_login_and_lock_are_listed(desk: Desk) -> None:
    made = await desk.identity.users.create_support_operator(DEMO, "SUPlogin")
    assert made.initial_password
    outcome = await desk.identity.login.log_in(DEMO, "SUPlogin", made.initial_password, None, None)
    assert outcome.session_token is not None
    other = await desk.operator(DEMO, "SUPother")
    for _ in range(DEMO.lock_threshold):  # wrong passwords lock it (ID-LOCK-01)
        await desk.identity.login.log_in(DEMO, "SUPother", "Wrong-Pass-2026", None, None)

    listed = {o.login_id: o for o in (await desk.identity.staff.support_operators(DEMO, other)).ids}

    assert listed["SUPlogin"].last_login_at is not None and not listed["SUPlogin"].locked
    assert listed["SUPother"].locked


async def test_web_04_the_operators_list_is_bounded_and_says_so(desk: Desk) -> None:
    support = await desk.operator(DEMO, "SUP-000")
    now = desk.clock.now()
    await desk.db["login_ids"].insert_many(  # claims whose users nobody read: only the bound
        [
            {
                "_id": f"login:demo:SUP-{n:03d}",
                "owner": uuid.uuid4().hex,
                "claimed_at": now,
                "realm": "demo",
                "login_id": f"SUP-{n:03d}",
                "org_id": None,
                "role": "support",
                "settled": True,
            }
            for n in range(1, LIST_LIMIT + 5)
        ]
    )
    desk.reads.clear()
    listed = await desk.identity.staff.support_operators(DEMO, support)
    assert listed.more, "more exist than shown"
    assert len(desk.reads) == LIST_LIMIT, "at most LIST_LIMIT users read"
    assert [o.login_id for o in listed.ids] == ["SUP-000"], "a claim without its user is no row"


async def test_web_04_x_15_only_the_realms_desk_lists_its_staff(desk: Desk) -> None:
    support = await desk.operator(DEMO, "SUPdesk")
    opened = await desk.identity.organisations.open(
        DEMO, authz.BackOffice(), "団体", f"XA3{uuid.uuid4().hex[:8]}", UserProfile()
    )
    org = opened.organisation
    admin = desk.session(org.admin_user_id, DEMO, Role.ADMIN, org.admin_login_id, org.org_id)
    for caller, realm in ((admin, DEMO), (support, NEXI), (authz.BackOffice(), DEMO)):
        with pytest.raises(NotPermitted):
            await desk.identity.staff.support_operators(realm, caller)
    with pytest.raises(NotPermitted):  # demo has no group readers
        await desk.identity.staff.group_readers(DEMO, support)


async def test_web_04_nexis_group_readers_are_listed_with_the_organisations_they_read(
    desk: Desk,
) -> None:
    support = await desk.operator(NEXI, "SUPnexi")
    orgs = []
    for name in ("東日本物流", "西日本物流"):
        opened = await desk.identity.organisations.open(
            NEXI, authz.BackOffice(), name, digits(), UserProfile()
        )
        orgs.append(opened.organisation.org_id)
    reader = digits()
    await desk.identity.users.create_group_reader(NEXI, support, reader, orgs)
    desk.reads.clear()

    listed = await desk.identity.staff.group_readers(NEXI, support)

    [one] = listed.ids
    assert one.login_id == reader and not one.locked
    assert [(r.org_id, r.name) for r in one.readable] == list(
        zip(orgs, ["東日本物流", "西日本物流"], strict=True)
    )
    assert [
        o.login_id for o in (await desk.identity.staff.support_operators(NEXI, support)).ids
    ] == ["SUPnexi"], "a group reader is not an operator"


async def test_web_04_claims_made_before_roles_were_recorded_get_them_once_from_their_user(
    desk: Desk,
) -> None:
    support = await desk.operator(DEMO, "SUPnew")
    old = await desk.identity.users.create_support_operator(DEMO, "SUPold")
    opened = await desk.identity.organisations.open(
        DEMO, authz.BackOffice(), "古い団体", f"XA3{uuid.uuid4().hex[:8]}", UserProfile()
    )
    claims = desk.db["login_ids"]
    await claims.update_many({}, {"$unset": {"role": ""}})  # as the release before made them
    now = desk.clock.now()
    await claims.insert_many(
        [
            {  # a business ID request: its user is made on approval
                "_id": "login:demo:XA5request",
                "owner": uuid.uuid4().hex,
                "claimed_at": now,
                "realm": "demo",
                "login_id": "XA5request",
                "org_id": opened.organisation.org_id,
                "settled": True,
            },
            {  # a creation cut short: the claim reaper's, no role to find
                "_id": "login:demo:SUPcrashed",
                "owner": uuid.uuid4().hex,
                "claimed_at": now,
                "realm": "demo",
                "login_id": "SUPcrashed",
                "org_id": None,
                "settled": False,
            },
        ]
    )
    assert (await desk.identity.staff.support_operators(DEMO, support)).ids == [], "not yet"

    first = await desk.identity.staff.record_old_claims_roles(limit=2)
    assert first.recorded + first.skipped == 2, "bounded by the limit"
    assert first.left == 5 - first.recorded
    rest = await desk.identity.staff.record_old_claims_roles(limit=100)
    assert (first.recorded + rest.recorded, rest.skipped, rest.left) == (4, 1, 1)
    again = await desk.identity.staff.record_old_claims_roles(limit=100)
    assert (again.recorded, again.skipped, again.left) == (0, 1, 1), "idempotent"

    listed = await desk.identity.staff.support_operators(DEMO, support)
    assert [o.login_id for o in listed.ids] == ["SUPnew", "SUPold"]
    roles = {doc["login_id"]: doc.get("role") async for doc in claims.find({})}
    assert roles == {
        "SUPnew": "support",
        "SUPold": "support",
        opened.organisation.admin_login_id: "admin",
        "XA5request": "business",
        "SUPcrashed": None,
    }
    assert old.user_id in {o.user_id for o in listed.ids}
